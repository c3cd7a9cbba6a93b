// The detect-resolution picture: the camera's own view (or a size the user chose), delivered beside the model's input
// by the same ffmpeg, so snapshots, the live view and crops are sharp instead of model-sized.

/**
 * A picture's pixels: packed RGB (`width × height × 3`, what sharp encodes), or, from a video source, ffmpeg's decoded
 * planes as they are (`yuv420p`: half the bytes to carry from ffmpeg, and no conversion there). Read them through
 * `pictureRgb` unless the code knows both layouts (crops, the motion picture).
 */
export interface Picture {
  width: number;
  height: number;
  /** row after row in `format`; from a pool when it rides a Frame: released with the frame */
  data: Uint8Array;
  /** absent: rgb24. `yuv420p`: the Y plane, then U and V at half the width and height (rounded up), limited range */
  format?: 'yuv420p';
  /** the YCbCr matrix of a `yuv420p` picture (the stream's own; bt601 when it does not say) */
  matrix?: YuvMatrix;
}

export type YuvMatrix = 'bt601' | 'bt709';

/** A camera's `detect` setting: either side may be left out (kept from the source's aspect). */
export interface DetectSizeRequest {
  width?: number;
  height?: number;
}

/** Without a `detect` size, pictures are the source's own size, but never wider than this (aspect kept). */
export const MAX_DEFAULT_DETECT_WIDTH = 1280;

/** The picture size for a source of `srcWidth × srcHeight`: both sides given win, one side keeps the aspect. */
export function detectSize(srcWidth: number, srcHeight: number, req: DetectSizeRequest = {}): { width: number; height: number } {
  if (!(srcWidth > 0 && srcHeight > 0)) throw new RangeError(`source size must be positive, got ${srcWidth}x${srcHeight}`);
  const even = (v: number) => Math.max(2, 2 * Math.round(v / 2));
  if (req.width !== undefined && req.height !== undefined) return { width: req.width, height: req.height };
  if (req.width !== undefined) return { width: req.width, height: even((req.width * srcHeight) / srcWidth) };
  if (req.height !== undefined) return { width: even((req.height * srcWidth) / srcHeight), height: req.height };
  if (srcWidth <= MAX_DEFAULT_DETECT_WIDTH) return { width: srcWidth, height: srcHeight };
  return { width: MAX_DEFAULT_DETECT_WIDTH, height: even((MAX_DEFAULT_DETECT_WIDTH * srcHeight) / srcWidth) };
}

export function pictureBytes(size: { width: number; height: number }, format?: Picture['format']): number {
  return format === 'yuv420p' ? yuvLayout(size.width, size.height).bytes : size.width * size.height * 3;
}

/** Where a yuv420p picture's planes are: chroma planes of `chromaWidth × chromaHeight` at byte offsets `u` and `v`. */
export function yuvLayout(width: number, height: number): { chromaWidth: number; chromaHeight: number; u: number; v: number; bytes: number } {
  const chromaWidth = (width + 1) >> 1;
  const chromaHeight = (height + 1) >> 1;
  const u = width * height;
  const v = u + chromaWidth * chromaHeight;
  return { chromaWidth, chromaHeight, u, v, bytes: v + chromaWidth * chromaHeight };
}

/** A rectangle of picture pixels, integer, inside the picture. */
export interface PictureRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The pixels of `rect` (the whole picture by default) as packed RGB, in `out` when given (`width × height × 3` of the
 * rect). An RGB picture's rows are copied; a yuv420p one is converted, each 2×2 block sharing its chroma as ffmpeg's
 * own conversion does.
 */
export function pictureRgb(p: Picture, rect: PictureRect = { x: 0, y: 0, width: p.width, height: p.height }, out = new Uint8Array(rect.width * rect.height * 3)): Uint8Array {
  const { x: x0, y: y0, width: w, height: h } = rect;
  if (!(x0 >= 0 && y0 >= 0 && w > 0 && h > 0 && x0 + w <= p.width && y0 + h <= p.height)) throw new RangeError(`rect ${x0},${y0} ${w}x${h} is not inside the ${p.width}x${p.height} picture`);
  if (out.length < w * h * 3) throw new RangeError(`out must hold ${w * h * 3} bytes, got ${out.length}`);
  const W = p.width;
  const data = p.data;
  if (p.format !== 'yuv420p') {
    for (let y = 0; y < h; y++) out.set(data.subarray(((y0 + y) * W + x0) * 3, ((y0 + y) * W + x0 + w) * 3), y * w * 3);
    return out;
  }
  const { luma, rv, gu, gv, bu } = tablesFor(p.matrix ?? 'bt601');
  // a clamping view: each store clamps to 0–255 itself, no branch or table per channel
  const o8 = new Uint8ClampedArray(out.buffer, out.byteOffset, w * h * 3);
  const { chromaWidth: cw, u: uPlane, v: vPlane } = yuvLayout(W, p.height);
  const x1 = x0 + w;
  let o = 0;
  for (let y = y0; y < y0 + h; y++) {
    const row = y * W;
    const crow = (y >> 1) * cw;
    let x = x0;
    // pixels in pairs that share their chroma (a pair starts on an even column)
    if (x & 1) {
      o = convertOne(p, uPlane + crow + (x >> 1), vPlane + crow + (x >> 1), row + x, o8, o);
      x++;
    }
    for (; x + 1 < x1; x += 2) {
      const c = crow + (x >> 1);
      const u = data[uPlane + c];
      const v = data[vPlane + c];
      const r = rv[v];
      const g = gu[u] + gv[v];
      const b = bu[u];
      let l = luma[data[row + x]];
      o8[o] = (l + r) >> FIXED;
      o8[o + 1] = (l - g) >> FIXED;
      o8[o + 2] = (l + b) >> FIXED;
      l = luma[data[row + x + 1]];
      o8[o + 3] = (l + r) >> FIXED;
      o8[o + 4] = (l - g) >> FIXED;
      o8[o + 5] = (l + b) >> FIXED;
      o += 6;
    }
    if (x < x1) o = convertOne(p, uPlane + crow + (x >> 1), vPlane + crow + (x >> 1), row + x, o8, o);
  }
  return out;
}

/** One pixel of a yuv420p picture (its Y, U and V at those offsets) into `o8` at `o`; returns the next `o`. */
function convertOne(p: Picture, ui: number, vi: number, yi: number, o8: Uint8ClampedArray, o: number): number {
  const { luma, rv, gu, gv, bu } = tablesFor(p.matrix ?? 'bt601');
  const u = p.data[ui];
  const v = p.data[vi];
  const l = luma[p.data[yi]];
  o8[o] = (l + rv[v]) >> FIXED;
  o8[o + 1] = (l - gu[u] - gv[v]) >> FIXED;
  o8[o + 2] = (l + bu[u]) >> FIXED;
  return o + 3;
}

/** Full-range luma (0–255) of each limited-range Y value: the motion picture's grey from a yuv420p picture. */
export const LUMA_FROM_Y: Uint8Array = Uint8Array.from({ length: 256 }, (_, y) => Math.max(0, Math.min(255, Math.round(((y - 16) * 255) / 219))));

// Conversion in fixed point (FIXED fraction bits); negative sums shift to negative values, which the clamping store
// makes 0.
const FIXED = 8;
const COEFFICIENTS: Record<YuvMatrix, { rv: number; gu: number; gv: number; bu: number }> = {
  bt601: { rv: 1.596027, gu: 0.391762, gv: 0.812968, bu: 2.017232 },
  bt709: { rv: 1.792741, gu: 0.213249, gv: 0.532909, bu: 2.112402 },
};
const tables = new Map<YuvMatrix, ReturnType<typeof makeTables>>();

/** The conversion's lookup tables for `matrix`: R = (luma[Y] + rv[V]) >> 8, G = (luma[Y] - gu[U] - gv[V]) >> 8, B = (luma[Y] + bu[U]) >> 8, each clamped to 0–255. */
export function yuvTables(matrix: YuvMatrix): YuvTables {
  return tablesFor(matrix);
}

export type YuvTables = ReturnType<typeof makeTables>;

function tablesFor(matrix: YuvMatrix): ReturnType<typeof makeTables> {
  let t = tables.get(matrix);
  if (!t) tables.set(matrix, (t = makeTables(matrix)));
  return t;
}

function makeTables(matrix: YuvMatrix) {
  const k = COEFFICIENTS[matrix];
  const one = 1 << FIXED;
  const table = (f: (v: number) => number) => Int32Array.from({ length: 256 }, (_, v) => Math.round(f(v) * one));
  return {
    // +0.5 rounds
    luma: table((y) => 1.164383 * (y - 16) + 0.5),
    rv: table((v) => k.rv * (v - 128)),
    gu: table((u) => k.gu * (u - 128)),
    gv: table((v) => k.gv * (v - 128)),
    bu: table((u) => k.bu * (u - 128)),
  };
}
