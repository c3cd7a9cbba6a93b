import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, map, take, toArray } from 'rxjs';
import type { Frame, FrameFormat } from '../../core/types.js';
import { VideoSource } from '../../sources/video-source.js';
import { spawnSync } from 'node:child_process';
import { computeTransform } from '../../core/letterbox.js';
import { buildFfmpegArgs, frameBytes } from '../../sources/ffmpeg-args.js';
import { childProcesses, waitForNoChildren } from '../helpers/processes.js';
import { cmdline, until } from '../helpers/faults.js';
import { DEFAULT_SCENE, frameCount, frameTime, lavfiSpec, renderSquareClip, squarePosition } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

const format: FrameFormat = { width: 160, height: 160, layout: 'gbrp', resize: 'letterbox', padValue: 114 };
const scene = DEFAULT_SCENE;

/** Bounding box of pixels whose R plane is bright and G plane dark, in model-input pixels. */
function redBoxInFrame(f: Frame): { x1: number; y1: number; x2: number; y2: number } | null {
  const { width: w, height: h } = f.format;
  const plane = w * h;
  let x1 = Infinity, y1 = Infinity, x2 = -1, y2 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      // gbrp: plane 0 = G, 1 = B, 2 = R
      if (f.data[2 * plane + i] > 160 && f.data[i] < 90) {
        x1 = Math.min(x1, x); y1 = Math.min(y1, y); x2 = Math.max(x2, x); y2 = Math.max(y2, y);
      }
    }
  }
  return x2 < 0 ? null : { x1, y1, x2: x2 + 1, y2: y2 + 1 };
}

interface Seen {
  seq: number;
  pts: number;
  capturedAt: number;
  transform: Frame['transform'];
  bytes: number;
  box: ReturnType<typeof redBoxInFrame>;
  padPixel: number;
}

/** What a test needs of a frame; the frame goes back to its pool at once (files wait for free buffers). */
function look(f: Frame): Seen {
  const seen = { seq: f.seq, pts: f.pts, capturedAt: f.capturedAt, transform: f.transform, bytes: f.data.length, box: redBoxInFrame(f), padPixel: f.data[150 * 160 + 10] };
  f.release();
  return seen;
}

describe('VideoSource (real ffmpeg)', function () {
  this.timeout(30000);
  const tmp = useTmpDir('lookout-source-');
  let clip: string;
  before(async () => {
    clip = await renderSquareClip(scene, join(tmp(), 'square.mp4'));
  });
  afterEach(async () => {
    const left = await waitForNoChildren({ filter: (p) => p.comm.startsWith('ffmpeg') });
    assert.deepEqual(left, [], 'no ffmpeg is left behind');
  });

  it('delivers every frame of a file, letterboxed, with the transform back to source pixels', async () => {
    const source = new VideoSource({ camera: 'file', url: clip, realtime: false });
    const frames = await lastValueFrom(source.frames(format).pipe(map(look), toArray()));
    assert.equal(frames.length, frameCount(scene));
    // 320x240 into 160x160, top-left letterbox: scale 0.5, image 160x120, padding below
    assert.deepEqual(frames[0].transform, { srcWidth: 320, srcHeight: 240, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 0 });
    frames.forEach((f, i) => {
      assert.equal(f.seq, i);
      assert.ok(Math.abs(f.pts - frameTime(scene, i)) < 1e-9);
      assert.equal(f.bytes, 160 * 160 * 3);
      const box = f.box;
      assert.ok(box, `frame ${i} shows the square`);
      const p = squarePosition(scene, f.pts);
      assert.ok(Math.abs(box.x1 / 0.5 - p.x) <= 3 && Math.abs(box.y1 / 0.5 - p.y) <= 3, `frame ${i}: square at ${p.x},${p.y}, seen at ${box.x1 * 2},${box.y1 * 2}`);
      // padding rows (below the 120-row image) carry the pad value in every plane
      assert.equal(f.padPixel, 114);
    });
    assert.equal(source.counters.framesIn, frameCount(scene));
  });

  for (const [name, fmt, graph, size] of [
    ['a wide file, padding below', format, undefined, [320, 240]],
    ['a tall picture centred, padding left and right', { ...format, width: 96, height: 64, resize: 'letterbox-center' }, 'testsrc2=size=90x150:rate=10:duration=1', [90, 150]],
  ] as [string, FrameFormat, string | undefined, [number, number]][]) {
    it(`pads in the reader byte for byte as ffmpeg's pad filter does (${name})`, async () => {
      const input = graph ?? clip;
      // the reference: ffmpeg padding the frames itself, as before the reader did
      const args = buildFfmpegArgs({ input, lavfi: graph !== undefined, realtime: false, loop: false, fps: undefined }, fmt, computeTransform(fmt, size[0], size[1]));
      assert.ok(args.some((a) => a.includes('pad=')), 'the reference pads in ffmpeg');
      const ref = spawnSync('ffmpeg', args, { maxBuffer: 1 << 28 }).stdout;
      const n = ref.length / frameBytes(fmt);
      assert.ok(Number.isInteger(n) && n >= 10, `the reference has whole frames (${n})`);
      const source = new VideoSource({ camera: 'pad', url: graph ? `lavfi:${graph}` : clip, realtime: false });
      const frames = await lastValueFrom(source.frames(fmt).pipe(map((f) => {
        const copy = Buffer.from(f.data);
        f.release();
        return copy;
      }), toArray()));
      assert.equal(frames.length, n);
      frames.forEach((f, i) => assert.ok(f.equals(ref.subarray(i * f.length, (i + 1) * f.length)), `frame ${i} differs from ffmpeg's own letterbox`));
    });
  }

  /** The ffmpeg children waiting for their filter graph on fd 3 (started by probeAhead), by pid. */
  const waitingForGraph = () =>
    childProcesses()
      .filter((p) => p.comm.startsWith('ffmpeg') && cmdline(p.pid).split(' ').includes('pipe:3'))
      .map((p) => p.pid);

  it('probeAhead starts ffmpeg too; it waits for its graph, and its frames are byte for byte those of an ffmpeg started at subscription', async () => {
    const copy = (f: Frame) => {
      const c = Buffer.from(f.data);
      f.release();
      return c;
    };
    const ref = await lastValueFrom(new VideoSource({ camera: 'plain', url: clip, fps: 5 }).frames(format).pipe(map(copy), toArray()));
    const source = new VideoSource({ camera: 'ahead', url: clip, fps: 5 });
    source.probeAhead();
    // before anything subscribed: an ffmpeg is running, reading its filter graph from fd 3
    const [pid] = await until('an ffmpeg waiting for its graph', () => {
      const pids = waitingForGraph();
      return pids.length === 1 && pids;
    });
    let ffmpegsAtFirstFrame: number[] = [];
    const frames = await lastValueFrom(source.frames(format).pipe(map((f, i) => {
      // 'wait' policy: ffmpeg cannot finish before this frame goes back, so it is still there to be seen
      if (i === 0) ffmpegsAtFirstFrame = childProcesses().filter((p) => p.comm.startsWith('ffmpeg')).map((p) => p.pid);
      return copy(f);
    }), toArray()));
    assert.deepEqual(ffmpegsAtFirstFrame, [pid], 'the frames came from the ffmpeg started ahead, and no other was started');
    assert.equal(frames.length, ref.length);
    assert.ok(ref.length >= 10);
    frames.forEach((f, i) => assert.ok(f.equals(ref[i]!), `frame ${i} differs`));
  });

  it('dispose() stops an ffmpeg started ahead that nothing took', async () => {
    const source = new VideoSource({ camera: 'abandoned', url: clip });
    source.probeAhead();
    await until('an ffmpeg waiting for its graph', () => waitingForGraph().length === 1);
    source.dispose();
    assert.deepEqual(await waitForNoChildren({ filter: (p) => p.comm.startsWith('ffmpeg') }), []);
  });

  it('drops to the detection rate with fps', async () => {
    const source = new VideoSource({ camera: 'five', url: clip, fps: 5, realtime: false });
    const frames = await lastValueFrom(source.frames(format).pipe(map(look), toArray()));
    assert.equal(frames.length, frameCount(scene) / 2);
    assert.deepEqual(frames.slice(0, 3).map((f) => f.pts), [0, 0.2, 0.4]);
  });

  it('reads an ffmpeg lavfi graph as a camera', async () => {
    const source = new VideoSource({ camera: 'synthetic', url: `lavfi:${lavfiSpec(scene)}`, realtime: false });
    const frames = await lastValueFrom(source.frames(format).pipe(map(look), toArray()));
    assert.equal(frames.length, frameCount(scene));
    const box = frames[5].box!;
    const p = squarePosition(scene, frames[5].pts);
    assert.ok(Math.abs(box.x1 * 2 - p.x) <= 2 && Math.abs(box.y1 * 2 - p.y) <= 2);
  });

  it('loops a file until unsubscribed, keeping sequence and stream time monotonic, then stops ffmpeg', async () => {
    const source = new VideoSource({ camera: 'loop', url: clip, loop: true, realtime: false });
    const n = frameCount(scene) * 2 + 5;
    const frames = await lastValueFrom(source.frames(format).pipe(take(n), map(look), toArray()));
    assert.equal(frames.length, n);
    for (let i = 1; i < n; i++) assert.ok(frames[i].pts > frames[i - 1].pts && frames[i].seq === i);
  });

  it('paces a file at its own speed when realtime', async () => {
    const source = new VideoSource({ camera: 'rt', url: clip, realtime: true });
    const t0 = Date.now();
    const frames = await lastValueFrom(source.frames(format).pipe(map(look), toArray()));
    const elapsed = (Date.now() - t0) / 1000;
    assert.equal(frames.length, frameCount(scene));
    // 20 frames at 10 fps: the last one is due at 1.9 s
    assert.ok(elapsed >= 1.5, `realtime took ${elapsed.toFixed(2)} s for a ${scene.duration} s clip`);
    const spread = (frames.at(-1)!.capturedAt - frames[0].capturedAt) / 1000;
    assert.ok(spread >= 1.4, `frames spread over ${spread.toFixed(2)} s`);
  });

  it('waits for a slow consumer instead of dropping (files): every frame arrives, buffers stay bounded', async () => {
    const source = new VideoSource({ camera: 'slow', url: clip, realtime: false, poolSize: 2 });
    const seen: number[] = [];
    const held: Frame[] = [];
    await new Promise<void>((resolve, reject) => {
      source.frames(format).subscribe({
        next: (f) => {
          seen.push(f.seq);
          held.push(f);
          assert.ok(held.length <= 3, 'no more frames out than the pool allows (+1 for a chunk that spans frames)');
          setTimeout(() => held.shift()?.release(), 20);
        },
        error: reject,
        complete: resolve,
      });
    });
    assert.deepEqual(seen, [...Array(frameCount(scene)).keys()]);
    assert.equal(source.counters.dropped, 0);
  });

  it('stops ffmpeg when unsubscribed mid-stream', async () => {
    const source = new VideoSource({ camera: 'stop', url: clip, realtime: true, loop: true });
    const f = await firstValueFrom(source.frames(format));
    f.release();
    // afterEach asserts that no ffmpeg is left
  });

  it('names a missing file', async () => {
    const source = new VideoSource({ camera: 'x', url: join(tmp(), 'nope.mp4') });
    await assert.rejects(lastValueFrom(source.frames(format)), { code: 'LOOKOUT_ERR_MEDIA', message: /cannot open .*nope\.mp4: no such file/ });
  });

  it('names a file that is not a video', async () => {
    const text = join(tmp(), 'notes.mp4');
    await writeFile(text, 'this is not a video\n'.repeat(50));
    const source = new VideoSource({ camera: 'x', url: text });
    await assert.rejects(lastValueFrom(source.frames(format)), { code: 'LOOKOUT_ERR_MEDIA', message: /cannot open .*notes\.mp4: .*Invalid data/ });
  });
});
