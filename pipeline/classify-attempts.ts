// When a tracked object's crop is classified again. Frigate re-classifies an object on later frames until its
// consensus decides; an object whose score never improves has no better snapshot, so attempts only at `new` and on a
// better snapshot would leave it at one vote and never reach `minAttempts`. Here an object seen in a frame is
// classified at its first sighting as an event, on each better snapshot, and — while undecided, with no attempt of it
// still in flight — once `intervalSeconds` of stream time have passed since its last attempt; never past `maxAttempts`.
// Stream time, not frames: the same pace at 5 and at 30 fps. Pure state, no clock, no I/O.
import type { TrackedObject } from '../core/types.js';
import { ObjectConsensus, type ConsensusSettings } from './classify-consensus.js';

export interface AttemptSettings extends ConsensusSettings {
  maxAttempts: number;
  /** stream seconds between attempts on later frames while undecided (0: every frame the object is seen in) */
  intervalSeconds: number;
}

/** One object's attempts and votes. */
export class ObjectAttempts {
  readonly consensus: ObjectConsensus;
  attempts = 0;
  /** classifications asked for and not answered yet */
  inFlight = 0;
  /** the sub-label agreed last (null while undecided) */
  agreed: string | null = null;
  private lastAt: number | null = null;
  private lastSnapshot: number | null = null;

  constructor(readonly settings: AttemptSettings) {
    this.consensus = new ObjectConsensus(settings);
  }

  /** Whether `o`, as of the frame at stream time `pts`, is classified now; if so the attempt is counted. */
  take(o: Readonly<TrackedObject>, pts: number): boolean {
    if (!this.due(o, pts)) return false;
    this.attempts++;
    this.inFlight++;
    this.lastAt = pts;
    this.lastSnapshot = o.bestFrameTime;
    return true;
  }

  private due(o: Readonly<TrackedObject>, pts: number): boolean {
    // not seen in this frame: its box is where it was, the picture is not of it
    if (o.lastSeen !== pts || this.attempts >= this.settings.maxAttempts) return false;
    if (this.lastAt === null) return true;
    if (o.bestFrameTime === pts && o.bestFrameTime !== this.lastSnapshot) return true;
    if (this.agreed !== null || this.inFlight > 0) return false;
    return pts - this.lastAt >= this.settings.intervalSeconds - 1e-9;
  }

  /** An attempt's answer; returns the sub-label when it is newly agreed (or changed), else null. */
  answer(vote: { label: string; score: number } | null): { label: string; score: number } | null {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (vote === null) return null;
    this.consensus.add(vote);
    const agreed = this.consensus.decide();
    if (!agreed || agreed.label === this.agreed) return null;
    this.agreed = agreed.label;
    return { label: agreed.label, score: agreed.score };
  }
}
