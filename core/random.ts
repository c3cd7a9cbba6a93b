// Seeded randomness, so that track ids in tests and everything random in training (split, initial weights, batches,
// augmentation, dropout) can be repeated exactly.

/** A source of uniform numbers in [0, 1), like Math.random. */
export type RandomSource = () => number;

/** mulberry32: a small, fast 32-bit generator. */
export function seededRandom(seed: number): RandomSource {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
