// The pixels of one crop, copied out of a camera's detect-resolution picture (the picture belongs to the frame store and
// is overwritten by the next frame, so only the crop is copied, never the frame), and a cheap descriptor of it for
// near-duplicate checks.
import { pictureRgb, type Picture, type PictureRect } from '../../core/picture.js';
import type { Box } from '../../core/types.js';

export interface Crop {
  rect: PictureRect;
  /** packed RGB, `rect.width × rect.height × 3` */
  rgb: Uint8Array;
}

/**
 * A box in source pixels, grown by `margin` × its size on every side, in picture pixels (the picture is the source
 * scaled to the camera's detect size), rounded outwards and clipped to the picture. Undefined when nothing is left.
 */
export function cropRect(box: Box, margin: number, src: { width: number; height: number }, picture: { width: number; height: number }): PictureRect | undefined {
  const sx = picture.width / src.width;
  const sy = picture.height / src.height;
  const [x1, y1, x2, y2] = box;
  const mx = (x2 - x1) * margin;
  const my = (y2 - y1) * margin;
  const left = Math.max(0, Math.floor((x1 - mx) * sx));
  const top = Math.max(0, Math.floor((y1 - my) * sy));
  const right = Math.min(picture.width, Math.ceil((x2 + mx) * sx));
  const bottom = Math.min(picture.height, Math.ceil((y2 + my) * sy));
  if (right - left < 1 || bottom - top < 1) return undefined;
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/** Copies the rectangle out of the picture as packed RGB (one allocation the size of the crop). */
export function copyCrop(picture: Picture, rect: PictureRect): Crop {
  return { rect, rgb: pictureRgb(picture, rect) };
}

/** Side of the grey thumbnail the descriptor is made of. */
export const DESCRIPTOR_SIDE = 16;

/**
 * A perceptual descriptor: the crop shrunk to a 16×16 grey thumbnail (box averages), mean removed, unit length. The
 * cosine of two of them is the correlation of the thumbnails: 1 for the same picture, robust to a brightness shift
 * and to JPEG noise, low for a different layout. It stands in for the MobileNetV2 embedding on the camera path, where a
 * 300 MFLOP network per saved crop would compete with the detector for the same cores.
 */
export function describeCrop(crop: Crop): Float32Array {
  const n = DESCRIPTOR_SIDE;
  const { width, height } = crop.rect;
  const out = new Float32Array(n * n);
  for (let ty = 0; ty < n; ty++) {
    const y0 = Math.floor((ty * height) / n);
    const y1 = Math.max(y0 + 1, Math.floor(((ty + 1) * height) / n));
    for (let tx = 0; tx < n; tx++) {
      const x0 = Math.floor((tx * width) / n);
      const x1 = Math.max(x0 + 1, Math.floor(((tx + 1) * width) / n));
      let sum = 0;
      for (let y = y0; y < y1; y++) {
        let i = (y * width + x0) * 3;
        for (let x = x0; x < x1; x++, i += 3) sum += 0.299 * crop.rgb[i]! + 0.587 * crop.rgb[i + 1]! + 0.114 * crop.rgb[i + 2]!;
      }
      out[ty * n + tx] = sum / ((y1 - y0) * (x1 - x0));
    }
  }
  let mean = 0;
  for (const v of out) mean += v;
  mean /= out.length;
  let norm = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] -= mean;
    norm += out[i]! * out[i]!;
  }
  // a flat crop (one colour) has no layout: it stays all zeros, and two flat crops are duplicates (see similarity)
  if (norm > 1e-9) {
    const s = 1 / Math.sqrt(norm);
    for (let i = 0; i < out.length; i++) out[i] *= s;
  }
  return out;
}

/** Cosine similarity of two descriptors; two flat (all-zero) ones count as identical, a flat and a textured one as unlike. */
export function similarity(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  if (na === 0 && nb === 0) return 1;
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}
