import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { waitForNoChildren } from '../helpers/processes.js';
import {
  buildSquareDetector,
  expectedSquareOutput,
  SQUARE_INPUT,
  SQUARE_OUTPUT,
  squareTensor,
  writeSquareDetector,
  type SquareAt,
  type SquareDetectorOptions,
} from '../helpers/square-detector.js';
import {
  DEFAULT_SCENE,
  decodeFramesRgb,
  findRedBox,
  frameCount,
  frameTime,
  lavfiSpec,
  renderSquareClip,
  squarePosition,
  type SquareScene,
} from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

const W = 64;
const H = 48;

// the faulty models make onnxruntime log each failed run at error level; the rejection is what the tests check
const quiet: ort.InferenceSession.SessionOptions = { logSeverityLevel: 4 };

async function withSession<T>(model: Uint8Array | string, use: (s: ort.InferenceSession) => Promise<T>): Promise<T> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model, quiet) : await ort.InferenceSession.create(model, quiet);
  try {
    return await use(session);
  } finally {
    await session.release();
  }
}

async function detect(session: ort.InferenceSession, squares: readonly (SquareAt | null)[], width = W, height = H): Promise<ort.Tensor> {
  const input = new ort.Tensor('float32', squareTensor(width, height, squares), [squares.length, 3, height, width]);
  const out = (await session.run({ [SQUARE_INPUT]: input }))[SQUARE_OUTPUT];
  assert.ok(out, `no ${SQUARE_OUTPUT} in the outputs`);
  return out;
}

/** `[cx, cy, w, h, score]` of anchor `a` of frame `n` from a `[N, 5, A]` output */
function row(out: ort.Tensor, n: number, a = 0): number[] {
  const [, channels, anchors] = out.dims as [number, number, number];
  const data = out.data as Float32Array;
  return Array.from({ length: channels }, (_, c) => data[(n * channels + c) * anchors + a] as number);
}

describe('square detector (real onnxruntime)', () => {
  const dynamic: SquareDetectorOptions = { width: W, height: H, dynamicBatch: true };

  it('declares images [batch,3,H,W] and output0 [batch,5,1] (the YOLOv8 [N, 4+C, A] layout, C = 1)', async () => {
    await withSession(buildSquareDetector(dynamic), async (s) => {
      assert.deepEqual(s.inputNames, [SQUARE_INPUT]);
      assert.deepEqual(s.outputNames, [SQUARE_OUTPUT]);
      const [input] = s.inputMetadata;
      const [output] = s.outputMetadata;
      assert.ok(input?.isTensor && output?.isTensor);
      assert.deepEqual(input.shape, ['batch', 3, H, W]);
      assert.deepEqual(output.shape, ['batch', 5, 1]);
    });
  });

  it('finds one square exactly: centre, size and score 1, in model-input pixels', async () => {
    await withSession(buildSquareDetector(dynamic), async (s) => {
      const out = await detect(s, [{ x: 10, y: 20, size: 8 }]);
      assert.deepEqual(out.dims, [1, 5, 1]);
      assert.deepEqual(row(out, 0), [14, 24, 8, 8, 1]);
    });
  });

  it('answers each frame of a batch on its own: two different squares and an empty frame', async () => {
    const squares: (SquareAt | null)[] = [{ x: 0, y: 0, size: 5 }, { x: 30, y: 11, size: 17 }, null];
    await withSession(buildSquareDetector(dynamic), async (s) => {
      const out = await detect(s, squares);
      assert.deepEqual(out.dims, [3, 5, 1]);
      squares.forEach((sq, n) => assert.deepEqual(row(out, n), expectedSquareOutput(sq), `frame ${n}`));
      assert.deepEqual(row(out, 2), [0, 0, 0, 0, 0]);
    });
  });

  it('reports the visible part of a square cut off by the image edge', async () => {
    await withSession(buildSquareDetector(dynamic), async (s) => {
      // columns 60..63 and rows 44..47 are inside
      assert.deepEqual(row(await detect(s, [{ x: 60, y: 44, size: 8 }]), 0), [62, 46, 4, 4, 1]);
    });
  });

  it('ignores grey (letterbox padding) and white: only R − G > 0.5 counts as red', async () => {
    await withSession(buildSquareDetector(dynamic), async (s) => {
      const data = new Float32Array(3 * H * W).fill(114 / 255);
      data.fill(1, 0, 5 * W); // rows 0..4 white in R …
      data.fill(1, H * W, H * W + 5 * W); // … and in G
      const out = (await s.run({ [SQUARE_INPUT]: new ort.Tensor('float32', data, [1, 3, H, W]) }))[SQUARE_OUTPUT];
      assert.ok(out);
      assert.deepEqual(row(out, 0), [0, 0, 0, 0, 0]);
    });
  });

  it('with a fixed batch of 1 declares [1,3,H,W] and refuses a batch of 2', async () => {
    await withSession(buildSquareDetector({ width: W, height: H, dynamicBatch: false }), async (s) => {
      const [input] = s.inputMetadata;
      assert.ok(input?.isTensor);
      assert.deepEqual(input.shape, [1, 3, H, W]);
      assert.deepEqual(row(await detect(s, [{ x: 3, y: 4, size: 6 }]), 0), [6, 7, 6, 6, 1]);
      await assert.rejects(detect(s, [null, null]));
    });
  });

  it('with more anchors puts the box in anchor 0 and zeros in the others', async () => {
    await withSession(buildSquareDetector({ ...dynamic, anchors: 8 }), async (s) => {
      const out = await detect(s, [{ x: 10, y: 20, size: 8 }, null]);
      assert.deepEqual(out.dims, [2, 5, 8]);
      assert.deepEqual(row(out, 0, 0), [14, 24, 8, 8, 1]);
      for (let a = 1; a < 8; a++) assert.deepEqual(row(out, 0, a), [0, 0, 0, 0, 0]);
      for (let a = 0; a < 8; a++) assert.deepEqual(row(out, 1, a), [0, 0, 0, 0, 0]);
    });
  });

  describe('written to a file', () => {
    const dir = useTmpDir('lookout-square-');

    it('loads from the path writeSquareDetector returns', async () => {
      const path = await writeSquareDetector(dir(), dynamic);
      assert.ok(path.startsWith(dir()) && path.endsWith('.onnx'));
      await withSession(path, async (s) => assert.deepEqual(row(await detect(s, [{ x: 1, y: 2, size: 3 }]), 0), [2.5, 3.5, 3, 3, 1]));
    });
  });

  describe('fault injection', () => {
    it("fault 'always' loads, then rejects every run, and the session stays usable for the next call", async () => {
      await withSession(buildSquareDetector({ ...dynamic, fault: 'always' }), async (s) => {
        await assert.rejects(detect(s, [null]), /Reshape/);
        await assert.rejects(detect(s, [{ x: 1, y: 1, size: 4 }]), /Reshape/);
      });
    });

    it("fault 'on-square' rejects a batch holding a square and answers one without", async () => {
      await withSession(buildSquareDetector({ width: W, height: H, dynamicBatch: false, fault: 'on-square' }), async (s) => {
        assert.deepEqual(row(await detect(s, [null]), 0), [0, 0, 0, 0, 0]);
        await assert.rejects(detect(s, [{ x: 1, y: 1, size: 4 }]), /Reshape/);
        assert.deepEqual(row(await detect(s, [null]), 0), [0, 0, 0, 0, 0]);
      });
    });
  });
});

describe('synthetic scene (real ffmpeg)', () => {
  const dir = useTmpDir('lookout-synthetic-');
  const scene: SquareScene = { ...DEFAULT_SCENE };

  it('spells the lavfi graph that ffmpeg accepts', () => {
    assert.equal(
      lavfiSpec({ ...scene, vy: -27 }),
      'color=c=black:s=320x240:r=10:d=2[bg];color=c=red:s=40x40:r=10[sq];' +
        '[bg][sq]overlay=x=21+63*t:y=31-27*t:eval=frame:shortest=1:format=rgb',
    );
  });

  it('puts the square where squarePosition says in every decoded frame (±2 px for yuv420p chroma blur)', async () => {
    const clip = await renderSquareClip(scene, join(dir(), 'square.mp4'));
    const frames = await decodeFramesRgb(clip, scene.width, scene.height);
    assert.equal(frames.length, frameCount(scene));
    frames.forEach((rgb, n) => {
      const want = squarePosition(scene, frameTime(scene, n));
      const got = findRedBox(rgb, scene.width, scene.height);
      assert.ok(got, `frame ${n}: no red square`);
      const near = (a: number, b: number) => Math.abs(a - b) <= 2;
      assert.ok(near(got.x, want.x) && near(got.y, want.y), `frame ${n}: square at ${got.x},${got.y}, expected ${want.x},${want.y}`);
      assert.ok(near(got.w, scene.size) && near(got.h, scene.size), `frame ${n}: square ${got.w}x${got.h}, expected ${scene.size}`);
    });
    assert.notDeepEqual(findRedBox(frames[0]!, scene.width, scene.height), findRedBox(frames.at(-1)!, scene.width, scene.height));
  });

  it('feeds the detector: decoded frames give the box of the rendered square (±2 px)', async () => {
    const clip = await renderSquareClip(scene, join(dir(), 'square-mpeg4.mp4'), { codec: 'mpeg4' });
    const frames = await decodeFramesRgb(clip, scene.width, scene.height);
    const { width, height } = scene;
    await withSession(buildSquareDetector({ width, height, dynamicBatch: true }), async (s) => {
      // packed rgb24 → planar RGB floats, what an adapter's prepare() does
      const plane = width * height;
      const data = new Float32Array(frames.length * 3 * plane);
      frames.forEach((rgb, n) => {
        for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) data[(n * 3 + c) * plane + i] = (rgb[i * 3 + c] as number) / 255;
      });
      const out = (await s.run({ [SQUARE_INPUT]: new ort.Tensor('float32', data, [frames.length, 3, height, width]) }))[SQUARE_OUTPUT];
      assert.ok(out);
      frames.forEach((_, n) => {
        const { x, y } = squarePosition(scene, frameTime(scene, n));
        const [cx, cy, w, h, score] = row(out, n) as [number, number, number, number, number];
        assert.equal(score, 1, `frame ${n}`);
        const want = [x + scene.size / 2, y + scene.size / 2, scene.size, scene.size];
        [cx, cy, w, h].forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 2, `frame ${n}: ${[cx, cy, w, h]} vs ${want}`));
      });
    });
  });

  it('leaves no ffmpeg behind', async () => {
    assert.deepEqual(await waitForNoChildren({ filter: (p) => p.comm === 'ffmpeg' }), []);
  });
});
