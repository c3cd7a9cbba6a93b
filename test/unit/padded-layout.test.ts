import assert from 'node:assert/strict';
import { computeTransform, type FittedTransform } from '../../core/letterbox.js';
import type { FrameFormat } from '../../core/types.js';
import { BufferPool } from '../../sources/buffer-pool.js';
import { FrameSplitter } from '../../sources/frame-splitter.js';
import { planesOf } from '../../sources/ffmpeg-args.js';
import { placementFor } from '../../sources/padded-layout.js';

/** What ffmpeg's pad filter makes of a scaled picture: the model's input, padding around the picture. */
function padded(format: FrameFormat, t: FittedTransform, picture: Uint8Array): number[] {
  const { width: W, height: H } = format;
  const out = new Array<number>(W * H * planesOf(format)).fill(format.padValue);
  const w = t.scaledWidth;
  const h = t.scaledHeight;
  for (let p = 0; p < planesOf(format); p++) {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[p * W * H + (t.padY + y) * W + t.padX + x] = picture[p * w * h + y * w + x];
  }
  return out;
}

describe('reader-side letterbox padding (placementFor)', () => {
  const cases: [string, FrameFormat, number, number][] = [
    ['a wide picture, padding below (letterbox)', { width: 8, height: 8, layout: 'gbrp', resize: 'letterbox', padValue: 114 }, 16, 10],
    ['a tall picture, padding right (letterbox)', { width: 8, height: 8, layout: 'gbrp', resize: 'letterbox', padValue: 114 }, 10, 16],
    ['a tall picture centred, padding both sides (letterbox-center)', { width: 9, height: 7, layout: 'gbrp', resize: 'letterbox-center', padValue: 7 }, 6, 14],
    ['a wide grey picture centred', { width: 8, height: 8, layout: 'gray', resize: 'letterbox-center', padValue: 0 }, 16, 6],
  ];
  for (const [name, format, sw, sh] of cases) {
    it(`places ${name} exactly where ffmpeg's pad filter would, from any chunking`, () => {
      const t = computeTransform(format, sw, sh);
      const place = placementFor(format, t);
      assert.ok(place, 'the reader pads this one');
      assert.equal(place.bytes, t.scaledWidth * t.scaledHeight * planesOf(format));
      // three frames, every byte telling frame and position apart
      const frames = [0, 1, 2].map((f) => Uint8Array.from({ length: place.bytes }, (_, i) => (f * 71 + i * 13 + 1) % 251));
      const stream = Uint8Array.from(frames.flatMap((f) => [...f]));
      for (const size of [1, 5, 7, place.bytes - 1, place.bytes + 3, stream.length]) {
        // a pool of one buffer, reused frame after frame: the padding it was filled with must survive
        const pool = new BufferPool(format.width * format.height * planesOf(format), 1, format.padValue);
        const got: number[][] = [];
        const splitter = new FrameSplitter(pool, (buf) => (got.push([...buf]), pool.release(buf)), 'wait', undefined, place);
        for (let off = 0; off < stream.length; off += size) splitter.write(stream.subarray(off, off + size));
        assert.equal(got.length, 3, `chunks of ${size}`);
        got.forEach((g, i) => assert.deepEqual(g, padded(format, t, frames[i]), `frame ${i}, chunks of ${size}`));
      }
    });
  }

  it('leaves the padding to ffmpeg where there is none or the picture is cut (stretch, center-crop, an exact fit)', () => {
    const base: FrameFormat = { width: 8, height: 8, layout: 'gbrp', resize: 'stretch', padValue: 114 };
    assert.equal(placementFor(base, computeTransform(base, 16, 10)), undefined);
    const crop: FrameFormat = { ...base, resize: 'center-crop' };
    assert.equal(placementFor(crop, computeTransform(crop, 16, 10)), undefined);
    const fit: FrameFormat = { ...base, resize: 'letterbox' };
    assert.equal(placementFor(fit, computeTransform(fit, 16, 16)), undefined);
  });
});
