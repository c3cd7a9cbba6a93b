// Crop geometry, the near-duplicate descriptor (measured against what JPEG does to a crop) and the names the Teach
// API lets reach the file system.
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { seededRandom } from '../../core/random.js';
import { copyCrop, cropRect, describeCrop, similarity, type Crop } from '../../sinks/collect/crop.js';
import { namePart } from '../../sinks/collect/collect-store.js';
import { isClassName } from '../../sinks/http/teach-api.js';

/** A `w×h` RGB crop drawn by `paint(x, y) → [r, g, b]`. */
function drawn(w: number, h: number, paint: (x: number, y: number) => [number, number, number]): Crop {
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgb.set(paint(x, y), (y * w + x) * 3);
  return { rect: { x: 0, y: 0, width: w, height: h }, rgb };
}

async function throughJpeg(c: Crop, quality: number): Promise<Crop> {
  const back = await sharp(await sharp(c.rgb, { raw: { width: c.rect.width, height: c.rect.height, channels: 3 } }).jpeg({ quality }).toBuffer()).raw().toBuffer();
  assert.equal(back.length, c.rgb.length);
  return { rect: c.rect, rgb: new Uint8Array(back) };
}

describe('collect: crops and near-duplicates', () => {
  it('grows the box by the margin, scales it to the picture, rounds outwards and clips', () => {
    const src = { width: 1920, height: 1080 };
    const pic = { width: 960, height: 540 };
    assert.deepEqual(cropRect([100, 200, 300, 400], 0, src, pic), { x: 50, y: 100, width: 100, height: 100 });
    assert.deepEqual(cropRect([100, 200, 300, 400], 0.1, src, pic), { x: 40, y: 90, width: 120, height: 120 });
    assert.deepEqual(cropRect([101, 201, 299, 399], 0, src, pic), { x: 50, y: 100, width: 100, height: 100 });
    // at the picture's edge the margin is cut off, not shifted
    assert.deepEqual(cropRect([0, 0, 200, 100], 0.5, src, pic), { x: 0, y: 0, width: 150, height: 75 });
    assert.deepEqual(cropRect([1800, 1000, 1920, 1080], 0.5, src, pic), { x: 870, y: 480, width: 90, height: 60 });
    assert.equal(cropRect([1920, 0, 1930, 10], 0, src, pic), undefined);
  });

  it('copies exactly the crop rows out of the picture', () => {
    const pic = { width: 4, height: 3, data: Uint8Array.from({ length: 36 }, (_, i) => i) };
    const c = copyCrop(pic, { x: 1, y: 1, width: 2, height: 2 });
    assert.deepEqual([...c.rgb], [15, 16, 17, 18, 19, 20, 27, 28, 29, 30, 31, 32]);
  });

  it('finds a crop and its JPEG copy near-identical, and tells different objects apart', async () => {
    const random = seededRandom(9);
    const noise = Array.from({ length: 96 * 96 }, () => random() * 40);
    const person = drawn(64, 96, (x, y) => {
      const inBody = Math.abs(x - 32) < 12 && y > 30;
      const inHead = (x - 32) ** 2 + (y - 18) ** 2 < 100;
      const v = inBody || inHead ? 200 : 40 + noise[y * 64 + x]!;
      return [v, v * 0.8, v * 0.6];
    });
    const car = drawn(64, 96, (x, y) => {
      const v = y > 50 && y < 80 ? 220 : 30 + noise[y * 64 + x]!;
      return [v * 0.5, v * 0.5, v];
    });
    const d = describeCrop(person);
    assert.ok(Math.abs(similarity(d, d) - 1) < 1e-6);
    for (const q of [90, 60]) {
      const s = similarity(d, describeCrop(await throughJpeg(person, q)));
      assert.ok(s >= 0.97, `JPEG quality ${q}: ${s}`);
    }
    // brighter (a cloud moved away): still the same picture
    const brighter = { rect: person.rect, rgb: person.rgb.map((v) => Math.min(255, v + 30)) };
    assert.ok(similarity(d, describeCrop(brighter)) >= 0.95);
    const other = similarity(d, describeCrop(car));
    assert.ok(other < 0.5, `person vs car: ${other}`);
    // a flat crop (an empty scene) matches another flat one, never a textured one
    const flat = describeCrop(drawn(20, 20, () => [90, 90, 90]));
    assert.equal(similarity(flat, describeCrop(drawn(30, 10, () => [10, 10, 10]))), 1);
    assert.equal(similarity(flat, d), 0);
  });

  it('keeps file names and class names to safe characters', () => {
    assert.equal(namePart('delivery van'), 'delivery-van');
    assert.equal(namePart('../../etc/passwd'), '-etc-passwd');
    for (const ok of ['car', 'my_car', 'Gate open', 'a-1']) assert.ok(isClassName(ok), ok);
    for (const bad of ['', '.', '..', '../x', 'a/b', 'a\\b', '.hidden', ' lead', 'unlabelled', 'Unlabelled', 'x'.repeat(41), 7]) assert.ok(!isClassName(bad), String(bad));
  });
});
