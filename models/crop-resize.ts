// Crops a square region out of a picture (packed RGB, or yuv420p) and resizes it (bilinear) into the planar layout a
// model's tensor is prepared from, in one pass: the step that lets regions be batched like frames (issue 12; run by the
// detector's worker for each region). Plain typed-array code, so it can run in the detector's worker thread.
import { LUMA_FROM_Y, yuvLayout, yuvTables, type Picture } from '../core/picture.js';
import type { Box, PixelLayout } from '../core/types.js';

/** A picture: rgb24, or yuv420p (resampled in its planes, converted per output pixel). */
export type CropSource = Picture;

/** Where in the `size × size` output the picture's pixels go (the rest is padding): output pixels. */
interface Dest {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Writes `region` (picture pixels) of `src`, resized to `size × size`, into `out` in `layout` (`gbrp`: planes G, B,
 * R; `gray`: one luma plane). Without `pad`, the region is clipped to the picture first and what is left fills the
 * output (a region the planner placed inside the picture). With `pad`, the region keeps its scale and what lies
 * outside the picture is `pad`: the whole picture letterboxed as the model wants it (core/letterbox.ts
 * `letterboxRegion`).
 * Returns the transform back: `xPicture = x / scaleX + x0`.
 */
export function cropResize(src: CropSource, region: Readonly<Box>, size: number, layout: PixelLayout, out: Uint8Array, pad?: number): { scaleX: number; scaleY: number; x0: number; y0: number } {
  const planes = layout === 'gray' ? 1 : 3;
  if (out.length !== size * size * planes) throw new RangeError(`out must hold ${size * size * planes} bytes, got ${out.length}`);
  let x0: number, y0: number, x1: number, y1: number;
  let dest: Dest;
  if (pad === undefined) {
    x0 = Math.max(0, Math.min(src.width - 1, Math.floor(region[0])));
    y0 = Math.max(0, Math.min(src.height - 1, Math.floor(region[1])));
    x1 = Math.max(x0 + 1, Math.min(src.width, Math.ceil(region[2])));
    y1 = Math.max(y0 + 1, Math.min(src.height, Math.ceil(region[3])));
    dest = { x: 0, y: 0, w: size, h: size };
  } else {
    const rx = (region[2] - region[0]) / size;
    const ry = (region[3] - region[1]) / size;
    if (!(rx > 0 && ry > 0)) throw new RangeError(`region must have a positive size, got ${region.join(',')}`);
    x0 = Math.max(0, Math.floor(region[0]));
    y0 = Math.max(0, Math.floor(region[1]));
    x1 = Math.min(src.width, Math.ceil(region[2]));
    y1 = Math.max(y0, Math.min(src.height, Math.ceil(region[3])));
    const dx = Math.min(size - 1, Math.max(0, Math.round((x0 - region[0]) / rx)));
    const dy = Math.min(size - 1, Math.max(0, Math.round((y0 - region[1]) / ry)));
    dest = { x: dx, y: dy, w: Math.max(1, Math.min(size - dx, Math.round((x1 - x0) / rx))), h: Math.max(1, Math.min(size - dy, Math.round((y1 - y0) / ry))) };
    if (x1 <= x0 || y1 <= y0) {
      out.fill(pad);
      return { scaleX: 1 / rx, scaleY: 1 / ry, x0: region[0], y0: region[1] };
    }
    if (dest.w !== size || dest.h !== size) out.fill(pad);
  }
  const sx = (x1 - x0) / dest.w;
  const sy = (y1 - y0) / dest.h;
  const back = { scaleX: 1 / sx, scaleY: 1 / sy, x0: x0 - dest.x * sx, y0: y0 - dest.y * sy };
  if (src.format === 'yuv420p') {
    resizeYuv(src, x0, y0, x1, y1, sx, sy, size, dest, planes, out);
    return back;
  }
  const { width: W, data } = src;
  const plane = size * size;
  if (sx === 1 && sy === 1 && planes === 3) {
    // at source scale (the usual region): a de-interleaving copy, no weights
    for (let y = 0; y < dest.h; y++) {
      let i = ((y0 + y) * W + x0) * 3;
      let o = (dest.y + y) * size + dest.x;
      for (let x = 0; x < dest.w; x++, o++, i += 3) {
        out[2 * plane + o] = data[i];
        out[o] = data[i + 1];
        out[plane + o] = data[i + 2];
      }
    }
    return back;
  }
  // the two-pass paths write four output pixels per word: whole words of the output, rows and all
  const aligned = planes === 3 && size % 4 === 0 && dest.x % 4 === 0 && dest.w % 4 === 0 && out.byteOffset % 4 === 0;
  if (sy < 1 && aligned) {
    enlarge(src, x0, y0, x1, y1, sx, sy, size, dest, out);
    return back;
  }
  if (aligned && W % 4 === 0 && data.byteOffset % 4 === 0) {
    shrink(src, x0, y0, x1, y1, sx, sy, size, dest, out);
    return back;
  }
  // per output column: the two source columns and the weight, computed once
  const cx = new Int32Array(dest.w);
  const cw = new Uint16Array(dest.w);
  for (let x = 0; x < dest.w; x++) {
    const fx = Math.max(0, (x + 0.5) * sx - 0.5);
    const ix = Math.min(x1 - x0 - 1, Math.floor(fx));
    cx[x] = (x0 + ix) * 3;
    cw[x] = Math.round((fx - ix) * 256);
  }
  const lastCol = (x1 - 1) * 3;
  for (let y = 0; y < dest.h; y++) {
    const fy = Math.max(0, (y + 0.5) * sy - 0.5);
    const iy = Math.min(y1 - y0 - 1, Math.floor(fy));
    const wy = Math.round((fy - iy) * 256);
    const r0 = (y0 + iy) * W * 3;
    const r1 = (y0 + Math.min(iy + 1, y1 - y0 - 1)) * W * 3;
    const wy1 = wy;
    const wy0 = 256 - wy;
    let o = (dest.y + y) * size + dest.x;
    for (let x = 0; x < dest.w; x++, o++) {
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
  return back;
}

/**
 * A crop of a yuv420p picture, resized in its planes and converted per output pixel (a whole 720p frame letterboxed
 * to 416² converts 97 k pixels, not the 922 k of the picture): luma and chroma bilinear, as ffmpeg's scaler resizes
 * before it converts.
 */
function resizeYuv(src: CropSource, x0: number, y0: number, x1: number, y1: number, sx: number, sy: number, size: number, dest: Dest, planes: number, out: Uint8Array): void {
  const { width: W, height: H, data } = src;
  const n = x1 - x0;
  const m = y1 - y0;
  const { chromaWidth: cw, chromaHeight, u: uPlane, v: vPlane } = yuvLayout(W, H);
  const { luma, rv, gu, gv, bu } = yuvTables(src.matrix ?? 'bt601');
  const ca = new Int32Array(dest.w);
  const cb = new Int32Array(dest.w);
  const cwx = new Int32Array(dest.w);
  // chroma samples sit between their two luma columns and rows (at 2j + 0.5): bilinear between the two nearest
  const cca = new Int32Array(dest.w);
  const ccb = new Int32Array(dest.w);
  const ccw = new Int32Array(dest.w);
  const lastC = cw - 1;
  for (let x = 0; x < dest.w; x++) {
    const fx = Math.max(0, (x + 0.5) * sx - 0.5);
    const ix = Math.min(n - 1, Math.floor(fx));
    ca[x] = x0 + ix;
    cb[x] = x0 + Math.min(ix + 1, n - 1);
    cwx[x] = Math.round((fx - ix) * 256);
    const gx = Math.max(0, (x0 + Math.min(fx, n - 1) - 0.5) / 2);
    const jx = Math.min(lastC, Math.floor(gx));
    cca[x] = jx;
    ccb[x] = Math.min(jx + 1, lastC);
    ccw[x] = Math.round((Math.min(gx, lastC) - jx) * 256);
  }
  const lastRow = chromaHeight - 1;
  const plane = size * size;
  for (let y = 0; y < dest.h; y++) {
    const fy = Math.max(0, (y + 0.5) * sy - 0.5);
    const iy = Math.min(m - 1, Math.floor(fy));
    const wy1 = Math.round((fy - iy) * 256);
    const wy0 = 256 - wy1;
    const r0 = (y0 + iy) * W;
    const r1 = (y0 + Math.min(iy + 1, m - 1)) * W;
    const gy = Math.max(0, (y0 + Math.min(fy, m - 1) - 0.5) / 2);
    const jy = Math.min(lastRow, Math.floor(gy));
    const c0 = jy * cw;
    const c1 = Math.min(jy + 1, lastRow) * cw;
    const cwy1 = Math.round((Math.min(gy, lastRow) - jy) * 256);
    const cwy0 = 256 - cwy1;
    let o = (dest.y + y) * size + dest.x;
    for (let x = 0; x < dest.w; x++, o++) {
      const a = ca[x];
      const b = cb[x];
      const wx1 = cwx[x];
      const wx0 = 256 - wx1;
      const yv = ((data[r0 + a] * wx0 + data[r0 + b] * wx1) * wy0 + (data[r1 + a] * wx0 + data[r1 + b] * wx1) * wy1 + 32768) >> 16;
      if (planes === 1) {
        out[o] = LUMA_FROM_Y[yv];
        continue;
      }
      const p = cca[x];
      const q = ccb[x];
      const cx1 = ccw[x];
      const cx0 = 256 - cx1;
      const u = ((data[uPlane + c0 + p] * cx0 + data[uPlane + c0 + q] * cx1) * cwy0 + (data[uPlane + c1 + p] * cx0 + data[uPlane + c1 + q] * cx1) * cwy1 + 32768) >> 16;
      const v = ((data[vPlane + c0 + p] * cx0 + data[vPlane + c0 + q] * cx1) * cwy0 + (data[vPlane + c1 + p] * cx0 + data[vPlane + c1 + q] * cx1) * cwy1 + 32768) >> 16;
      const l = luma[yv];
      // gbrp: planes G, B, R
      const g = (l - gu[u] - gv[v]) >> 8;
      const bl = (l + bu[u]) >> 8;
      const r = (l + rv[v]) >> 8;
      out[o] = g < 0 ? 0 : g > 255 ? 255 : g;
      out[plane + o] = bl < 0 ? 0 : bl > 255 ? 255 : bl;
      out[2 * plane + o] = r < 0 ? 0 : r > 255 ? 255 : r;
    }
  }
}

// Scratch for `enlarge`, kept between calls (one region at a time per thread): two source rows resized across, per plane.
let rowA = new Uint8Array(0);
let rowB = new Uint8Array(0);
let cols = { size: 0, sx: 0, n: 0, x0: 0, a: new Int32Array(0), b: new Int32Array(0), w: new Int32Array(0) };

/**
 * Bilinear enlarging (fewer source rows than output rows) in two passes: each source row the output needs is resized
 * across once, into 8-bit planes, then every output row blends two of those rows four bytes at a time (two 16-bit lanes
 * per 32-bit integer). Today's single pass reads four source pixels per output pixel, which is what made a 208² → 416²
 * region cost 2 ms; the extra rounding between the passes keeps results within ±1 of it.
 */
function enlarge(src: CropSource, x0: number, y0: number, x1: number, y1: number, sx: number, sy: number, size: number, dest: Dest, out: Uint8Array): void {
  const { width: W, data } = src;
  const n = x1 - x0;
  const m = y1 - y0;
  const w = dest.w;
  if (cols.size !== w || cols.sx !== sx || cols.n !== n || cols.x0 !== x0) cols = columns(w, sx, n, x0);
  if (rowA.length !== w * 3) {
    rowA = new Uint8Array(w * 3);
    rowB = new Uint8Array(w * 3);
  }
  let a = rowA;
  let b = rowB;
  let a32 = new Uint32Array(a.buffer);
  let b32 = new Uint32Array(b.buffer);
  let rowOfA = -1;
  let rowOfB = -1;
  const out32 = new Uint32Array(out.buffer, out.byteOffset, out.length >> 2);
  const quads = w >> 2;
  const planeQuads = (size * size) >> 2;
  for (let y = 0; y < dest.h; y++) {
    const fy = Math.max(0, (y + 0.5) * sy - 0.5);
    const iy = Math.min(m - 1, Math.floor(fy));
    const wy1 = Math.round((fy - iy) * 256);
    const iy1 = Math.min(iy + 1, m - 1);
    // rows advance by less than one per output row: the lower row of the last pair is usually the upper one now
    if (rowOfA !== iy) {
      if (rowOfB === iy) {
        const t = a;
        a = b;
        b = t;
        const t32 = a32;
        a32 = b32;
        b32 = t32;
        rowOfB = -1;
      } else {
        resizeRow(data, (y0 + iy) * W * 3, w, cols, a);
      }
      rowOfA = iy;
    }
    if (rowOfB !== iy1) {
      resizeRow(data, (y0 + iy1) * W * 3, w, cols, b);
      rowOfB = iy1;
    }
    blendRows(a32, 0, b32, 0, out32, ((dest.y + y) * size + dest.x) >> 2, planeQuads, quads, 256 - wy1, wy1, 3);
  }
}

function columns(size: number, sx: number, n: number, x0: number): typeof cols {
  const a = new Int32Array(size);
  const b = new Int32Array(size);
  const w = new Int32Array(size);
  for (let x = 0; x < size; x++) {
    const fx = Math.max(0, (x + 0.5) * sx - 0.5);
    const ix = Math.min(n - 1, Math.floor(fx));
    a[x] = (x0 + ix) * 3;
    b[x] = (x0 + Math.min(ix + 1, n - 1)) * 3;
    w[x] = Math.round((fx - ix) * 256);
  }
  return { size, sx, n, x0, a, b, w };
}

/** One source row (starting at byte `row`) resized to `size` pixels, written as planes G, B, R of `size` bytes each. */
function resizeRow(data: Uint8Array, row: number, size: number, c: typeof cols, h: Uint8Array): void {
  const { a: ca, b: cb, w } = c;
  for (let x = 0; x < size; x++) {
    const a = row + ca[x];
    const b = row + cb[x];
    const w1 = w[x];
    const w0 = 256 - w1;
    h[2 * size + x] = (data[a] * w0 + data[b] * w1 + 128) >> 8;
    h[x] = (data[a + 1] * w0 + data[b + 1] * w1 + 128) >> 8;
    h[size + x] = (data[a + 2] * w0 + data[b + 2] * w1 + 128) >> 8;
  }
}

/** out = (a·w0 + b·w1) / 256, byte by byte, over `planes` runs of `quads` words; bytes 0/2 and 1/3 of each word as 16-bit lanes. */
function blendRows(a: Uint32Array, aAt: number, b: Uint32Array, bAt: number, out: Uint32Array, at: number, planeQuads: number, quads: number, w0: number, w1: number, planes: number): void {
  for (let p = 0; p < planes; p++) {
    const o = at + p * planeQuads;
    const h = p * quads;
    for (let i = 0; i < quads; i++) {
      const u = a[aAt + h + i];
      const v = b[bAt + h + i];
      // each lane stays below 2^16 (255·256 + 128), so the sums never carry into the next lane; >>> keeps the top bit
      const even = ((Math.imul(u & 0xff00ff, w0) + Math.imul(v & 0xff00ff, w1) + 0x800080) >>> 8) & 0xff00ff;
      const odd = (Math.imul((u >>> 8) & 0xff00ff, w0) + Math.imul((v >>> 8) & 0xff00ff, w1) + 0x800080) & 0xff00ff00;
      out[o + i] = even | odd;
    }
  }
}

// Scratch for `shrink`: one output row's two source rows blended, across the whole crop (+ slack for 4-byte reads).
let blended = new Uint8Array(0);
let blendedView = new DataView(blended.buffer);
let shrinkCols = { size: 0, sx: 0, n: 0, shift: 0, a: new Int32Array(0), w: new Int32Array(0) };

/**
 * Bilinear shrinking (as many source rows as output rows, or more) in two passes per output row: its two source rows
 * are blended 4 bytes at a time across the crop (contiguous, packed RGB as it is), then each output pixel mixes two
 * neighbouring pixels of that row, read with two 32-bit loads and written to the planes 4 pixels at a time. Resizing
 * source rows across first would cost more here: each would be used about once. Needs 4-byte aligned rows (width a
 * multiple of 4), which every camera size is.
 */
function shrink(src: CropSource, x0: number, y0: number, x1: number, y1: number, sx: number, sy: number, size: number, dest: Dest, out: Uint8Array): void {
  const { width: W, data } = src;
  const n = x1 - x0;
  const m = y1 - y0;
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length >> 2);
  const stride = (W * 3) >> 2;
  const first = (x0 * 3) >> 2;
  const count = ((x1 * 3 + 3) >> 2) - first;
  const shift = x0 * 3 - first * 4;
  if (shrinkCols.size !== dest.w || shrinkCols.sx !== sx || shrinkCols.n !== n || shrinkCols.shift !== shift) shrinkCols = shrinkColumns(dest.w, sx, n, shift);
  if (blended.length < count * 4 + 8) {
    blended = new Uint8Array(count * 4 + 8);
    blendedView = new DataView(blended.buffer);
  }
  const row = new Uint32Array(blended.buffer, 0, count);
  const out32 = new Uint32Array(out.buffer, out.byteOffset, out.length >> 2);
  for (let y = 0; y < dest.h; y++) {
    const fy = Math.max(0, (y + 0.5) * sy - 0.5);
    const iy = Math.min(m - 1, Math.floor(fy));
    const wy1 = Math.round((fy - iy) * 256);
    const iy1 = Math.min(iy + 1, m - 1);
    blendRows(words, (y0 + iy) * stride + first, words, (y0 + iy1) * stride + first, row, 0, 0, count, 256 - wy1, wy1, 1);
    mixAcross(blendedView, shrinkCols, out32, ((dest.y + y) * size + dest.x) >> 2, (size * size) >> 2, dest.w >> 2);
  }
}

function shrinkColumns(size: number, sx: number, n: number, shift: number): typeof shrinkCols {
  const a = new Int32Array(size);
  const w = new Int32Array(size);
  for (let x = 0; x < size; x++) {
    const fx = Math.max(0, (x + 0.5) * sx - 0.5);
    const ix = Math.min(n - 1, Math.floor(fx));
    a[x] = shift + ix * 3;
    // the last column mixes with itself: weight 0 for the neighbour read past it gives the same value
    w[x] = ix + 1 < n ? Math.round((fx - ix) * 256) : 0;
  }
  return { size, sx, n, shift, a, w };
}

/** One output row from a blended source row: pixel a and a + 1 (bytes a…a+5) mixed, written as G, B, R planes. */
function mixAcross(row: DataView, c: typeof shrinkCols, out: Uint32Array, at: number, planeQuads: number, quads: number): void {
  const { a: ca, w } = c;
  for (let k = 0, x = 0; k < quads; k++) {
    let g = 0;
    let b = 0;
    let r = 0;
    for (let s = 0; s < 32; s += 8, x++) {
      const a = ca[x];
      const w1 = w[x];
      const w0 = 256 - w1;
      const p = row.getUint32(a, true); // R0 G0 B0 R1
      const q = row.getUint32(a + 2, true); // B0 R1 G1 B1
      r |= (((p & 255) * w0 + (p >>> 24) * w1 + 128) >> 8) << s;
      g |= ((((p >>> 8) & 255) * w0 + ((q >>> 16) & 255) * w1 + 128) >> 8) << s;
      b |= ((((p >>> 16) & 255) * w0 + (q >>> 24) * w1 + 128) >> 8) << s;
    }
    out[at + k] = g;
    out[at + planeQuads + k] = b;
    out[at + 2 * planeQuads + k] = r;
  }
}
