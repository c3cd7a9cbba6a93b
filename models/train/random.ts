// Seeded randomness for training: the same seed gives the same split, initial weights, batches, augmentation and
// dropout, so a run can be repeated exactly. Math.random is never used.
import { seededRandom, type RandomSource } from '../../core/random.js';

/** A seed for one purpose (`'init'`, an epoch number …) derived from the run's seed, so streams do not overlap. */
export function deriveSeed(seed: number, ...parts: (string | number)[]): number {
  // FNV-1a over the seed and the parts
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (const part of parts) {
    for (const ch of `|${part}`) {
      h ^= ch.charCodeAt(0);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h >>> 0;
}

/** Fisher–Yates, in place. */
export function shuffle<T>(items: T[], random: RandomSource): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** A normal sample (Box–Muller). */
export function normal(random: RandomSource): number {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export interface Split {
  /** indices into the labels, in a seeded shuffled order */
  kept: number[];
  held: number[];
}

/**
 * Holds out `fraction` of every class (rounded, at least one per class when the fraction is above 0 and the class has
 * two or more items, and never the whole class), so each class is in both parts in the same proportion.
 */
export function stratifiedSplit(labels: ArrayLike<number>, fraction: number, seed: number): Split {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`fraction must be in [0, 1), got ${fraction}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]!) ?? [];
    list.push(i);
    byClass.set(labels[i]!, list);
  }
  const random = seededRandom(deriveSeed(seed, 'split'));
  const kept: number[] = [];
  const held: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const list = shuffle(byClass.get(label)!, random);
    let n = Math.round(list.length * fraction);
    if (fraction > 0 && list.length >= 2) n = Math.min(list.length - 1, Math.max(1, n));
    held.push(...list.slice(0, n));
    kept.push(...list.slice(n));
  }
  return { kept: shuffle(kept, random), held: shuffle(held, random) };
}
