// Light augmentation for small images, in plain typed-array code: a small random rotation, scale and shift (one affine
// map, bilinear sampling, edges clamped) and, now and then, a thicker or thinner stroke (a 3×3 max or min filter
// blended half-way). Handwriting varies exactly so; flips would not be right for digits and are not done.

export interface AugmentOptions {
  /** largest rotation either way, degrees */
  rotateDegrees: number;
  /** largest shift either way, pixels */
  shiftPixels: number;
  /** largest relative zoom either way (0.1 = 90 %..110 %) */
  scale: number;
  /** chance of a stroke-thickness change */
  strokeChance: number;
}

export const DEFAULT_AUGMENT: AugmentOptions = { rotateDegrees: 10, shiftPixels: 2, scale: 0.08, strokeChance: 0.3 };

/**
 * Writes an augmented copy of `src` (height × width × channels bytes, channels last) into `out` (same size).
 * `scratch` must hold width × height × channels bytes; it is overwritten.
 */
export function augmentImage(
  src: Uint8Array,
  out: Uint8Array,
  scratch: Uint8Array,
  width: number,
  height: number,
  channels: number,
  random: () => number,
  opts: AugmentOptions = DEFAULT_AUGMENT,
): void {
  const angle = ((random() * 2 - 1) * opts.rotateDegrees * Math.PI) / 180;
  const zoom = 1 + (random() * 2 - 1) * opts.scale;
  const dx = (random() * 2 - 1) * opts.shiftPixels;
  const dy = (random() * 2 - 1) * opts.shiftPixels;
  const stroke = random() < opts.strokeChance ? (random() < 0.5 ? 'thicker' : 'thinner') : 'same';

  // inverse map: for each output pixel, where it comes from in the source (rotation and zoom about the centre)
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const cos = Math.cos(angle) / zoom;
  const sin = Math.sin(angle) / zoom;
  const target = stroke === 'same' ? out : scratch;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const ox = x - cx - dx;
      const oy = y - cy - dy;
      const sx = Math.min(width - 1, Math.max(0, cos * ox + sin * oy + cx));
      const sy = Math.min(height - 1, Math.max(0, -sin * ox + cos * oy + cy));
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = Math.min(width - 1, x0 + 1);
      const y1 = Math.min(height - 1, y0 + 1);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let c = 0; c < channels; c++) {
        const a = src[(y0 * width + x0) * channels + c]!;
        const b = src[(y0 * width + x1) * channels + c]!;
        const d = src[(y1 * width + x0) * channels + c]!;
        const e = src[(y1 * width + x1) * channels + c]!;
        const top = a + (b - a) * fx;
        const bottom = d + (e - d) * fx;
        target[(y * width + x) * channels + c] = Math.round(top + (bottom - top) * fy);
      }
    }
  }
  if (stroke === 'same') return;
  const pick = stroke === 'thicker' ? Math.max : Math.min;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let v = scratch[(y * width + x) * channels + c]!;
        const centre = v;
        for (let ny = Math.max(0, y - 1); ny <= Math.min(height - 1, y + 1); ny++) {
          for (let nx = Math.max(0, x - 1); nx <= Math.min(width - 1, x + 1); nx++) v = pick(v, scratch[(ny * width + nx) * channels + c]!);
        }
        out[(y * width + x) * channels + c] = (centre + v + 1) >> 1;
      }
    }
  }
}
