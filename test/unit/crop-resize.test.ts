import assert from 'node:assert/strict';
import type { FrameFormat } from '../../core/types.js';
import { letterboxRegion } from '../../core/letterbox.js';
import { cropResize } from '../../models/crop-resize.js';

/** A packed RGB picture whose pixel (x, y) is (x, y, 7) — every pixel says where it is. */
function coordinates(width: number, height: number) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x, y, 7], (y * width + x) * 3);
  return { width, height, data };
}

/** Today's single-pass bilinear (8-bit weights, 16.16 fixed point, one rounding), written plainly: what every path must match. */
function reference(src: { width: number; height: number; data: Uint8Array }, region: number[], size: number, outH = size): Uint8Array {
  const x0 = Math.max(0, Math.min(src.width - 1, Math.floor(region[0])));
  const y0 = Math.max(0, Math.min(src.height - 1, Math.floor(region[1])));
  const x1 = Math.max(x0 + 1, Math.min(src.width, Math.ceil(region[2])));
  const y1 = Math.max(y0 + 1, Math.min(src.height, Math.ceil(region[3])));
  const sx = (x1 - x0) / size;
  const sy = (y1 - y0) / outH;
  const out = new Uint8Array(size * outH * 3);
  const at = (x: number, y: number, c: number) => src.data[((y0 + y) * src.width + x0 + x) * 3 + c];
  for (let y = 0; y < outH; y++) {
    const fy = Math.max(0, (y + 0.5) * sy - 0.5);
    const iy = Math.min(y1 - y0 - 1, Math.floor(fy));
    const wy = Math.round((fy - iy) * 256);
    const jy = Math.min(iy + 1, y1 - y0 - 1);
    for (let x = 0; x < size; x++) {
      const fx = Math.max(0, (x + 0.5) * sx - 0.5);
      const ix = Math.min(x1 - x0 - 1, Math.floor(fx));
      const wx = Math.round((fx - ix) * 256);
      const jx = Math.min(ix + 1, x1 - x0 - 1);
      for (const [c, p] of [[1, 0], [2, 1], [0, 2]]) {
        const v = at(ix, iy, c) * (256 - wx) * (256 - wy) + at(jx, iy, c) * wx * (256 - wy) + at(ix, jy, c) * (256 - wx) * wy + at(jx, jy, c) * wx * wy;
        out[p * size * outH + y * size + x] = (v + 32768) >> 16;
      }
    }
  }
  return out;
}

describe('cropResize', () => {
  it('matches single-pass bilinear within ±1 on random pictures, enlarging and shrinking by integer and odd factors', () => {
    let seed = 12345;
    const data = new Uint8Array(320 * 200 * 3).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24));
    const src = { width: 320, height: 200, data };
    const cases: [number[], number][] = [
      [[100, 50, 132, 82], 64], // 2× up
      [[10.5, 20.2, 47, 61], 64], // ~1.6× up, fractional region
      [[0, 0, 320, 200], 96], // shrink, wider than tall
      [[30, 10, 190, 170], 64], // 2.5× down
      [[250, 150, 400, 300], 48], // clipped at the corner, up
      [[5, 5, 40, 20], 60], // up across, up more down (non-square source)
      [[7, 3, 50, 46], 30], // size not a multiple of 4 (the single-pass path)
    ];
    for (const [region, size] of cases) {
      const want = reference(src, region, size);
      // also into a view that is not 4-byte aligned (the single-pass path again)
      for (const out of [new Uint8Array(size * size * 3), new Uint8Array(size * size * 3 + 1).subarray(1)]) {
        cropResize(src, region as [number, number, number, number], size, 'gbrp', out);
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - out[i]));
        assert.ok(worst <= 1, `region ${region} at ${size}: off by ${worst}`);
      }
    }
  });

  it('copies a region at its own size exactly, into G, B, R planes', () => {
    const src = coordinates(200, 100);
    const out = new Uint8Array(16 * 16 * 3);
    const t = cropResize(src, [40, 20, 56, 36], 16, 'gbrp', out);
    assert.deepEqual(t, { scaleX: 1, scaleY: 1, x0: 40, y0: 20 });
    const plane = 256;
    for (const [x, y] of [[0, 0], [15, 15], [3, 9]]) {
      const o = y * 16 + x;
      assert.equal(out[2 * plane + o], 40 + x, 'R is the x');
      assert.equal(out[o], 20 + y, 'G is the y');
      assert.equal(out[plane + o], 7, 'B');
    }
  });

  it('halves a region with bilinear sampling (pixel centres), and maps back through the transform', () => {
    const src = coordinates(200, 100);
    const out = new Uint8Array(10 * 10 * 3);
    const t = cropResize(src, [100, 50, 120, 70], 10, 'gbrp', out);
    assert.deepEqual(t, { scaleX: 0.5, scaleY: 0.5, x0: 100, y0: 50 });
    // output pixel 3 covers source 106..107: the mean of 106 and 107 rounds to 107 (fixed point, half up)
    const v = out[2 * 100 + 0 * 10 + 3];
    assert.ok(v === 106 || v === 107, `R at column 3: ${v}`);
    assert.equal(3 / t.scaleX + t.x0, 106);
  });

  it('clips a region that reaches outside the picture, and writes luma for gray models', () => {
    const src = { width: 4, height: 4, data: new Uint8Array(4 * 4 * 3).fill(200) };
    const out = new Uint8Array(8 * 8);
    const t = cropResize(src, [-10, -10, 100, 100], 8, 'gray', out);
    assert.deepEqual([t.x0, t.y0], [0, 0]);
    assert.ok(out.every((v) => v === 200), 'a flat grey picture stays flat');
    assert.throws(() => cropResize(src, [0, 0, 4, 4], 8, 'gray', new Uint8Array(10)), /out must hold 64 bytes/);
  });

  it('letterboxes the whole picture as the model format says: the picture within ±1 of bilinear, padding around it, the transform back', () => {
    let seed = 777;
    const random = (width: number, height: number) => ({ width, height, data: new Uint8Array(width * height * 3).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24)) });
    const size = 96;
    const fmt = (resize: FrameFormat['resize']) => ({ width: size, height: size, resize });
    // 320×200 → 96×60 (the two-pass shrink), 318×200 (a width that is not whole words: the single-pass path) → 96×60,
    // 60×40 → 96×64 (the two-pass enlarge)
    for (const [src, rows] of [[random(320, 200), 60], [random(318, 200), 60], [random(60, 40), 64]] as const) {
      const want = reference(src, [0, 0, src.width, src.height], size, rows);
      for (const [resize, top] of [['letterbox', 0], ['letterbox-center', (size - rows) / 2]] as const) {
        const region = letterboxRegion(fmt(resize), src);
        const out = new Uint8Array(size * size * 3);
        const t = cropResize(src, region, size, 'gbrp', out, 114);
        const plane = size * size;
        let worst = 0;
        for (let p = 0; p < 3; p++) {
          for (let y = 0; y < size; y++) {
            for (let x = 0; x < size; x++) {
              const v = out[p * plane + y * size + x];
              if (y < top || y >= top + rows) assert.equal(v, 114, `${src.width}x${src.height} ${resize}: row ${y} is padding`);
              else worst = Math.max(worst, Math.abs(v - want[p * size * rows + (y - top) * size + x]));
            }
          }
        }
        assert.ok(worst <= 1, `${src.width}x${src.height} ${resize}: off by ${worst}`);
        // the first picture row and the last column map back to the picture's edges
        assert.ok(Math.abs(top / t.scaleY + t.y0) < 1e-9, `${resize}: row ${top} is picture row 0 (${top / t.scaleY + t.y0})`);
        assert.ok(Math.abs(size / t.scaleX + t.x0 - src.width) < 1e-9, `${resize}: the right edge is the picture's`);
      }
      // stretch: no padding, the whole picture fills the square as a clipped region would
      const out = new Uint8Array(size * size * 3);
      cropResize(src, letterboxRegion(fmt('stretch'), src), size, 'gbrp', out, 114);
      const stretched = reference(src, [0, 0, src.width, src.height], size);
      assert.ok(out.every((v, i) => Math.abs(v - stretched[i]) <= 1), `${src.width}x${src.height} stretch`);
    }
    // grey models too, and a region wholly off the picture is all padding
    const flat = { width: 40, height: 20, data: new Uint8Array(40 * 20 * 3).fill(200) };
    const grey = new Uint8Array(16 * 16);
    cropResize(flat, letterboxRegion({ width: 16, height: 16, resize: 'letterbox' }, flat), 16, 'gray', grey, 114);
    assert.ok(grey.subarray(0, 16 * 8).every((v) => v === 200) && grey.subarray(16 * 8).every((v) => v === 114), `grey: ${[...grey]}`);
    cropResize(flat, [100, 100, 116, 116], 16, 'gray', grey, 9);
    assert.ok(grey.every((v) => v === 9));
  });
});
