import assert from 'node:assert/strict';
import { cropResize } from '../../models/crop-resize.js';

/** A packed RGB picture whose pixel (x, y) is (x, y, 7) — every pixel says where it is. */
function coordinates(width: number, height: number) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x, y, 7], (y * width + x) * 3);
  return { width, height, data };
}

describe('cropResize', () => {
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
});
