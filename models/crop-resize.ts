// Crops a square region out of a packed RGB picture and resizes it (bilinear) into the planar layout a model's tensor
// is prepared from, in one pass: the step that lets regions be batched like frames (issue 12; run by the detector's
// worker for each region). Plain typed-array code, so it can run in the detector's worker thread.
import type { Box, PixelLayout } from '../core/types.js';

export interface CropSource {
  width: number;
  height: number;
  /** rgb24 */
  data: Uint8Array;
}

/**
 * Writes `region` (picture pixels, clipped to the picture) of `src`, resized to `size × size`, into `out` in `layout`
 * (`gbrp`: planes G, B, R; `gray`: one luma plane). Returns the transform back: `xPicture = x / scale + region[0]`.
 */
export function cropResize(src: CropSource, region: Readonly<Box>, size: number, layout: PixelLayout, out: Uint8Array): { scaleX: number; scaleY: number; x0: number; y0: number } {
  const planes = layout === 'gray' ? 1 : 3;
  if (out.length !== size * size * planes) throw new RangeError(`out must hold ${size * size * planes} bytes, got ${out.length}`);
  const x0 = Math.max(0, Math.min(src.width - 1, Math.floor(region[0])));
  const y0 = Math.max(0, Math.min(src.height - 1, Math.floor(region[1])));
  const x1 = Math.max(x0 + 1, Math.min(src.width, Math.ceil(region[2])));
  const y1 = Math.max(y0 + 1, Math.min(src.height, Math.ceil(region[3])));
  const sx = (x1 - x0) / size;
  const sy = (y1 - y0) / size;
  const { width: W, data } = src;
  const plane = size * size;
  if (sx === 1 && sy === 1 && planes === 3) {
    // at source scale (the usual region): a de-interleaving copy, no weights
    for (let y = 0; y < size; y++) {
      let i = ((y0 + y) * W + x0) * 3;
      let o = y * size;
      for (let x = 0; x < size; x++, o++, i += 3) {
        out[2 * plane + o] = data[i];
        out[o] = data[i + 1];
        out[plane + o] = data[i + 2];
      }
    }
    return { scaleX: 1, scaleY: 1, x0, y0 };
  }
  // per output column: the two source columns and the weight, computed once
  const cx = new Int32Array(size);
  const cw = new Uint16Array(size);
  for (let x = 0; x < size; x++) {
    const fx = Math.max(0, (x + 0.5) * sx - 0.5);
    const ix = Math.min(x1 - x0 - 1, Math.floor(fx));
    cx[x] = (x0 + ix) * 3;
    cw[x] = Math.round((fx - ix) * 256);
  }
  const lastCol = (x1 - 1) * 3;
  for (let y = 0; y < size; y++) {
    const fy = Math.max(0, (y + 0.5) * sy - 0.5);
    const iy = Math.min(y1 - y0 - 1, Math.floor(fy));
    const wy = Math.round((fy - iy) * 256);
    const r0 = (y0 + iy) * W * 3;
    const r1 = (y0 + Math.min(iy + 1, y1 - y0 - 1)) * W * 3;
    const wy1 = wy;
    const wy0 = 256 - wy;
    let o = y * size;
    for (let x = 0; x < size; x++, o++) {
      const a = cx[x];
      const b = a + 3 > lastCol ? lastCol : a + 3;
      const wx1 = cw[x];
      const wx0 = 256 - wx1;
      // bilinear mix per channel in 16.16 fixed point, written out: a closure here costs 10× the time
      const w00 = wx0 * wy0, w01 = wx1 * wy0, w10 = wx0 * wy1, w11 = wx1 * wy1;
      const r = (data[r0 + a] * w00 + data[r0 + b] * w01 + data[r1 + a] * w10 + data[r1 + b] * w11 + 32768) >> 16;
      const g = (data[r0 + a + 1] * w00 + data[r0 + b + 1] * w01 + data[r1 + a + 1] * w10 + data[r1 + b + 1] * w11 + 32768) >> 16;
      const bl = (data[r0 + a + 2] * w00 + data[r0 + b + 2] * w01 + data[r1 + a + 2] * w10 + data[r1 + b + 2] * w11 + 32768) >> 16;
      if (planes === 1) {
        out[o] = (77 * r + 150 * g + 29 * bl + 128) >> 8;
      } else {
        out[o] = g;
        out[plane + o] = bl;
        out[2 * plane + o] = r;
      }
    }
  }
  return { scaleX: 1 / sx, scaleY: 1 / sy, x0, y0 };
}
