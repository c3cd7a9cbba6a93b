import assert from 'node:assert/strict';
import { MotionDetector, type MotionOptions } from '../../sources/motion-detector.js';

const W = 80;
const H = 45;
const opts: MotionOptions = { threshold: 30, contourArea: 10, lightningThreshold: 0.8, frameAlpha: 0.01, improveContrast: false, mask: [] };

/** A flat grey picture with filled rectangles `[x, y, w, h, value]`. */
function picture(background: number, ...rects: [number, number, number, number, number][]): Uint8Array {
  const p = new Uint8Array(W * H).fill(background);
  for (const [x, y, w, h, v] of rects) for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) p[yy * W + xx] = v;
  return p;
}

describe('MotionDetector', () => {
  it('calibrates on the first picture, then boxes a new object in source pixels', () => {
    // source 1280×720: 16 source pixels per motion pixel
    const m = new MotionDetector(W, H, 1280, 720, opts);
    assert.deepEqual(m.detect(picture(60)), { boxes: [], fraction: 0, recalibrated: true });
    const r = m.detect(picture(60, [20, 10, 8, 8, 220]));
    assert.equal(r.recalibrated, false);
    assert.equal(r.boxes.length, 1);
    // blur spreads the edge by a pixel, dilation by one more: the box holds the object and at most 2 px around it
    const [x1, y1, x2, y2] = r.boxes[0].map((v) => v / 16);
    assert.ok(x1 >= 18 && x1 <= 20 && y1 >= 8 && y1 <= 10 && x2 >= 28 && x2 <= 30 && y2 >= 18 && y2 <= 20, `box ${r.boxes[0]}`);
    assert.ok(r.fraction > (8 * 8) / (W * H) && r.fraction <= (12 * 12) / (W * H), `fraction ${r.fraction}`);
  });

  it('sees nothing in a still scene, and lets a stopped object fade into the background', () => {
    const m = new MotionDetector(W, H, W, H, { ...opts, frameAlpha: 0.2 });
    m.detect(picture(60));
    for (let i = 0; i < 5; i++) assert.deepEqual(m.detect(picture(60)).boxes, []);
    const parked = picture(60, [30, 20, 10, 10, 200]);
    assert.equal(m.detect(parked).boxes.length, 1);
    let frames = 1;
    while (m.detect(parked).boxes.length > 0) {
      frames++;
      assert.ok(frames < 50, 'the parked object never became background');
    }
    // (200-60)·0.8^k ≤ 30 → k ≥ 7: not at once, and not never
    assert.ok(frames >= 5 && frames <= 12, `faded after ${frames} frames`);
  });

  it('stillAlpha: what stands still joins the background fast (where it stood too, once it leaves), a mover stays motion', () => {
    const framesUntilStill = (m: MotionDetector, p: Uint8Array) => {
      let frames = 0;
      while (m.detect(p).boxes.length > 0) assert.ok(++frames < 400, 'never became background');
      return frames;
    };
    const parked = picture(60, [30, 20, 10, 10, 200]);
    const slow = new MotionDetector(W, H, W, H, opts);
    slow.detect(picture(60));
    // frameAlpha alone: (200-60)·0.99^k ≤ 30 → k ≈ 153
    const slowFrames = framesUntilStill(slow, parked);
    assert.ok(slowFrames > 140, `frameAlpha alone: ${slowFrames} frames`);
    const fast = new MotionDetector(W, H, W, H, { ...opts, stillAlpha: 0.1 });
    fast.detect(picture(60));
    // the first picture with it moves against the last one: frameAlpha; then 140·0.99·0.9^k ≤ 30 → k ≈ 15
    const parkedFrames = framesUntilStill(fast, parked);
    assert.ok(parkedFrames >= 12 && parkedFrames <= 18, `parked: ${parkedFrames} frames`);
    // it leaves: the room where it stood is the same change standing still, gone as fast
    const leftFrames = framesUntilStill(fast, picture(60));
    assert.ok(leftFrames >= 12 && leftFrames <= 18, `left: ${leftFrames} frames`);
    // a square moving 4 px a picture changes between pictures: motion on it in every one of 60
    for (let i = 0; i < 60; i++) {
      const x = (i * 4) % 70;
      const boxes = fast.detect(picture(60, [x, 20, 10, 10, 200])).boxes;
      assert.ok(boxes.some((b) => b[0] <= x && b[2] >= x + 10 && b[1] <= 20 && b[3] >= 30), `mover at picture ${i} (x ${x}): ${JSON.stringify(boxes)}`);
    }
  });

  it('blurs 1 2 1 with the edges repeated and dilates 3×3: single bright pixels at the corners and the middle give exact boxes', () => {
    const m = new MotionDetector(W, H, W, H, { ...opts, contourArea: 4 });
    m.detect(picture(0));
    const r = m.detect(picture(0, [0, 0, 1, 1, 255], [40, 22, 1, 1, 255], [W - 1, H - 1, 1, 1, 255]));
    // corner: 9/16 of it stays, 3/16 reaches each side neighbour (over 30), 1/16 the diagonal (under): an L of 3, dilated
    // to 3×3 less the far corner. Middle: 4/16 and 2/16 to the 4 neighbours, a plus of 5 dilated to 5×5 less the corners.
    assert.deepEqual(r.boxes, [
      [0, 0, 3, 3],
      [38, 20, 43, 25],
      [W - 3, H - 3, W, H],
    ]);
    assert.equal(r.fraction, (9 + 25 + 9) / (W * H));
  });

  it('ignores regions smaller than contourArea and changes under the threshold', () => {
    const m = new MotionDetector(W, H, W, H, { ...opts, contourArea: 40 });
    m.detect(picture(60));
    assert.deepEqual(m.detect(picture(60, [10, 10, 2, 2, 250])).boxes, [], 'a 2×2 speck (6×6 after blur and dilation) is noise');
    assert.deepEqual(m.detect(picture(60, [40, 20, 10, 10, 85])).boxes, [], '+25 is under a threshold of 30');
    assert.equal(m.detect(picture(60, [40, 20, 10, 10, 120])).boxes.length, 1);
  });

  it('ignores motion inside a mask (fractions of the picture)', () => {
    const mask = [[[0, 0], [0.5, 0], [0.5, 1], [0, 1]] as [number, number][]];
    const m = new MotionDetector(W, H, 1920, 1080, { ...opts, mask });
    m.detect(picture(60));
    assert.deepEqual(m.detect(picture(60, [5, 5, 10, 10, 220])).boxes, [], 'left half is masked');
    const r = m.detect(picture(60, [5, 5, 10, 10, 220], [60, 20, 10, 10, 220]));
    assert.equal(r.boxes.length, 1);
    assert.ok(r.boxes[0][0] >= 58 * 24, `only the right-hand object: ${r.boxes[0]}`);
  });

  it('recalibrates on a global change (lights on) instead of reporting motion everywhere', () => {
    const m = new MotionDetector(W, H, W, H, opts);
    m.detect(picture(40));
    const lit = m.detect(picture(200, [10, 10, 5, 5, 250]));
    assert.deepEqual(lit, { boxes: [], fraction: 0, recalibrated: true });
    // the new picture is the background now: still is still, and a mover is seen again
    assert.deepEqual(m.detect(picture(200, [10, 10, 5, 5, 250])).boxes, []);
    assert.equal(m.detect(picture(200, [10, 10, 5, 5, 250], [50, 20, 10, 10, 40])).boxes.length, 1);
  });

  it('stretches contrast so a dim scene still shows a dim mover (improveContrast)', () => {
    // a dark scene with texture: values 10..40; a mover 20 levels brighter is under threshold 30 unless stretched
    const dark = () => {
      const p = new Uint8Array(W * H);
      for (let i = 0; i < p.length; i++) p[i] = 10 + ((i * 7) % 31);
      return p;
    };
    const withMover = () => {
      const p = dark();
      for (let y = 15; y < 25; y++) for (let x = 30; x < 40; x++) p[y * W + x] += 20;
      return p;
    };
    const plain = new MotionDetector(W, H, W, H, opts);
    plain.detect(dark());
    assert.deepEqual(plain.detect(withMover()).boxes, []);
    const stretched = new MotionDetector(W, H, W, H, { ...opts, improveContrast: true });
    stretched.detect(dark());
    assert.equal(stretched.detect(withMover()).boxes.length, 1);
  });

  it('refuses a picture of the wrong size and a size too small to work on', () => {
    const m = new MotionDetector(W, H, W, H, opts);
    assert.throws(() => m.detect(new Uint8Array(10)), /expected 3600 grey bytes/);
    assert.throws(() => new MotionDetector(2, 2, 10, 10, opts), RangeError);
  });
});
