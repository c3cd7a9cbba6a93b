// Greedy non-maximum suppression: keep the best box, drop the ones that overlap it too much, repeat.
import type { Box } from '../core/types.js';

/** Anything with a score, a class and a corner box (a Detection, or a candidate still in model-input pixels). */
export interface Scored {
  score: number;
  classId: number;
  box: Readonly<Box>;
}

export interface NmsOptions {
  /** boxes of different classes never suppress each other unless this is true */
  classAgnostic?: boolean;
  /** stop after this many kept boxes (bounds the quadratic work when a low threshold lets thousands through) */
  maxDetections?: number;
}

/**
 * Keeps the best-scoring boxes, dropping any box whose IoU with a better kept box is above `iouThreshold`.
 * Returns the kept items (the same objects) sorted by score, best first; ties keep their input order.
 */
export function nms<T extends Scored>(items: readonly T[], iouThreshold: number, options: NmsOptions = {}): T[] {
  const n = items.length;
  const maxDetections = options.maxDetections ?? Infinity;
  const agnostic = options.classAgnostic === true;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => items[j]!.score - items[i]!.score || i - j);
  // Coordinates and areas in sorted order, so the inner loop reads flat typed arrays instead of chasing objects.
  const coords = new Float64Array(n * 4);
  const areas = new Float64Array(n);
  const classes = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const item = items[order[k]!]!;
    const b = item.box;
    coords[k * 4] = b[0];
    coords[k * 4 + 1] = b[1];
    coords[k * 4 + 2] = b[2];
    coords[k * 4 + 3] = b[3];
    areas[k] = Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
    classes[k] = item.classId;
  }
  const suppressed = new Uint8Array(n);
  const kept: T[] = [];
  for (let i = 0; i < n && kept.length < maxDetections; i++) {
    if (suppressed[i]) continue;
    kept.push(items[order[i]!]!);
    const x1 = coords[i * 4]!, y1 = coords[i * 4 + 1]!, x2 = coords[i * 4 + 2]!, y2 = coords[i * 4 + 3]!;
    const area = areas[i]!;
    const cls = classes[i]!;
    for (let j = i + 1; j < n; j++) {
      if (suppressed[j] || (!agnostic && classes[j] !== cls)) continue;
      const w = Math.min(x2, coords[j * 4 + 2]!) - Math.max(x1, coords[j * 4]!);
      if (w <= 0) continue;
      const h = Math.min(y2, coords[j * 4 + 3]!) - Math.max(y1, coords[j * 4 + 1]!);
      if (h <= 0) continue;
      const inter = w * h;
      const union = area + areas[j]! - inter;
      if (union > 0 && inter / union > iouThreshold) suppressed[j] = 1;
    }
  }
  return kept;
}
