// When a trained classifier's answers about one tracked object (or one state region) become a fact worth publishing.
// Objects (Frigate 0.17's rule): a sub-label is set only after at least `minAttempts` classifications, with at least
// `minAgree` of them naming the same class at a score ≥ `threshold`; one good crop never decides alone. States: a new
// state is published only after `runLength` identical results in a row. Both are plain state machines, no clocks.

export interface ConsensusSettings {
  /** score a classification must reach to count as a vote */
  threshold: number;
  /** classifications needed before anything is decided */
  minAttempts: number;
  /** share of all attempts that must name the winning class (0..1) */
  minAgree: number;
}

export const DEFAULT_CONSENSUS: Readonly<ConsensusSettings> = Object.freeze({ threshold: 0.8, minAttempts: 3, minAgree: 0.6 });

export interface Vote {
  label: string;
  score: number;
}

/** The votes about one object; `decide()` gives the sub-label once the rule is met (and may change it later). */
export class ObjectConsensus {
  private readonly votes: Vote[] = [];
  constructor(private readonly settings: ConsensusSettings = DEFAULT_CONSENSUS) {
    if (!(settings.minAgree > 0 && settings.minAgree <= 1)) throw new RangeError(`minAgree: expected a share above 0, at most 1, got ${settings.minAgree}`);
    if (!(Number.isInteger(settings.minAttempts) && settings.minAttempts >= 1)) throw new RangeError(`minAttempts: expected a positive integer, got ${settings.minAttempts}`);
  }

  get attempts(): number {
    return this.votes.length;
  }

  add(vote: Vote): void {
    this.votes.push(vote);
  }

  /** The agreed label and its mean score among the agreeing votes, or null while undecided. */
  decide(): { label: string; score: number; agree: number } | null {
    if (this.votes.length < this.settings.minAttempts) return null;
    const tally = new Map<string, { n: number; sum: number }>();
    for (const v of this.votes) {
      if (!(v.score >= this.settings.threshold)) continue;
      const t = tally.get(v.label) ?? { n: 0, sum: 0 };
      t.n++;
      t.sum += v.score;
      tally.set(v.label, t);
    }
    let best: [string, { n: number; sum: number }] | undefined;
    for (const entry of tally) if (!best || entry[1].n > best[1].n || (entry[1].n === best[1].n && entry[1].sum > best[1].sum)) best = entry;
    if (!best) return null;
    const agree = best[1].n / this.votes.length;
    return agree >= this.settings.minAgree ? { label: best[0], score: best[1].sum / best[1].n, agree } : null;
  }
}

/** A state (gate open/closed) that changes only after `runLength` identical results in a row. */
export class StateConsensus {
  private current: string | null = null;
  private candidate: string | null = null;
  private run = 0;
  constructor(private readonly runLength = 3) {
    if (!(Number.isInteger(runLength) && runLength >= 1)) throw new RangeError(`runLength: expected a positive integer, got ${runLength}`);
  }

  get state(): string | null {
    return this.current;
  }

  /** Feeds one result; returns the new state when it changed, else null. */
  add(label: string): string | null {
    if (label === this.current) {
      this.candidate = null;
      this.run = 0;
      return null;
    }
    if (label === this.candidate) this.run++;
    else {
      this.candidate = label;
      this.run = 1;
    }
    if (this.run < this.runLength) return null;
    this.current = label;
    this.candidate = null;
    this.run = 0;
    return label;
  }
}
