// Detect-resolution pictures: one ffmpeg gives the model's frames and the camera's own view side by side; each frame's
// picture shows the same moment as its model input (also when frames are dropped), at the size the config asks for.
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { lastValueFrom, map, mergeMap, timer, toArray } from 'rxjs';
import type { Frame, FrameFormat } from '../../core/types.js';
import { letterboxRegion } from '../../core/letterbox.js';
import { cropResize } from '../../models/crop-resize.js';
import { VideoSource } from '../../sources/video-source.js';
import { cmdline } from '../helpers/faults.js';
import { childProcesses, waitForNoChildren } from '../helpers/processes.js';
import { findRedBox, frameTime, lavfiSpec, squarePosition, type SquareScene } from '../helpers/synthetic.js';

const format: FrameFormat = { width: 160, height: 160, layout: 'gbrp', resize: 'letterbox', padValue: 114 };
const scene: SquareScene = { width: 640, height: 360, fps: 10, duration: 2, size: 60, x0: 20, y0: 40, vx: 200, vy: 50 };

/** Red box of the model's gbrp frame, mapped back to source pixels through the frame's transform. */
function modelRedBox(f: Frame): { x: number; y: number } | null {
  const { width: w, height: h } = f.format;
  const plane = w * h;
  let x1 = Infinity, y1 = Infinity;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (f.data[2 * plane + i] > 160 && f.data[i] < 90) {
        x1 = Math.min(x1, x);
        y1 = Math.min(y1, y);
      }
    }
  }
  if (x1 === Infinity) return null;
  return { x: (x1 - f.transform.padX) / f.transform.scaleX, y: (y1 - f.transform.padY) / f.transform.scaleY };
}

interface Seen {
  pts: number;
  size: [number, number] | undefined;
  picture: ReturnType<typeof findRedBox>;
  model: ReturnType<typeof modelRedBox>;
}

function look(f: Frame): Seen {
  const p = f.picture;
  return { pts: f.pts, size: p && [p.width, p.height], picture: p ? findRedBox(p.data, p.width, p.height) : null, model: modelRedBox(f) };
}

describe('Detect-resolution pictures (real ffmpeg)', function () {
  this.timeout(60000);
  afterEach(async () => {
    assert.deepEqual(await waitForNoChildren({ filter: (p) => p.comm.startsWith('ffmpeg') }), [], 'no ffmpeg is left behind');
  });

  it('gives every frame a picture at the source size, showing the same moment as the model input', async () => {
    const src = new VideoSource({ camera: 'a', url: `lavfi:${lavfiSpec(scene)}`, detect: {} });
    const seen = await lastValueFrom(src.frames(format).pipe(map((f) => { const s = look(f); f.release(); return s; }), toArray()));
    assert.equal(seen.length, scene.fps * scene.duration);
    for (const s of seen) {
      assert.deepEqual(s.size, [640, 360]);
      const at = squarePosition(scene, frameTime(scene, Math.round(s.pts * scene.fps)));
      // the square is drawn in RGB at the source size: the picture has it to the pixel
      assert.deepEqual(s.picture, { x: at.x, y: at.y, w: Math.min(scene.size, 640 - at.x), h: scene.size }, `picture at pts ${s.pts}`);
      // the model's 4× smaller view has it within its pixel grid
      assert.ok(s.model && Math.abs(s.model.x - at.x) <= 8 && Math.abs(s.model.y - at.y) <= 8, `model view at pts ${s.pts}: ${JSON.stringify(s.model)} vs ${JSON.stringify(at)}`);
    }
  });

  it('scales pictures to the detect size asked for (one side: the aspect is kept)', async () => {
    const short: SquareScene = { ...scene, duration: 0.5 };
    const run = (detect: { width?: number; height?: number }) =>
      lastValueFrom(new VideoSource({ camera: 'a', url: `lavfi:${lavfiSpec(short)}`, detect }).frames(format).pipe(map((f) => { const s = look(f); f.release(); return s; }), toArray()));
    const half = await run({ width: 320 });
    assert.deepEqual(half.map((s) => s.size), half.map(() => [320, 180]));
    const at = squarePosition(short, half[2].pts);
    const box = half[2].picture!;
    assert.ok(Math.abs(box.x - at.x / 2) <= 1 && Math.abs(box.y - at.y / 2) <= 1 && Math.abs(box.w - scene.size / 2) <= 2, `half-size square ${JSON.stringify(box)} vs ${JSON.stringify(at)}`);
    const both = await run({ width: 200, height: 200 });
    assert.deepEqual(both[0].size, [200, 200]);
    const none = await lastValueFrom(new VideoSource({ camera: 'a', url: `lavfi:${lavfiSpec(short)}` }).frames(format).pipe(map((f) => { const s = f.picture; f.release(); return s; }), toArray()));
    assert.ok(none.length > 0 && none.every((p) => p === undefined), 'no detect option: no picture, no second output');
  });

  it("keeps frames and pictures paired when a slow consumer makes a live camera drop ('latest')", async () => {
    const long: SquareScene = { ...scene, duration: 4, fps: 25, vx: 100, vy: 20 };
    const src = new VideoSource({ camera: 'a', url: `lavfi:${lavfiSpec(long)}`, detect: {}, policy: 'latest', poolSize: 2 });
    // ffmpeg runs as fast as it can; each frame is held 40 ms, two at a time: most frames find no buffer
    const seen = await lastValueFrom(
      src.frames(format).pipe(
        mergeMap((f) => timer(40).pipe(map(() => { const s = look(f); f.release(); return s; })), 2),
        toArray(),
      ),
    );
    assert.ok(src.counters.dropped > 0, `frames were dropped (${src.counters.dropped})`);
    assert.equal(seen.length + src.counters.dropped, long.fps * long.duration, 'every frame ffmpeg wrote is delivered or counted as dropped');
    for (const s of seen) {
      // ffmpeg's own frame time (n × 1/fps), not index / rate: they differ in the last bit, and x truncates
      const at = squarePosition(long, frameTime(long, Math.round(s.pts * long.fps)));
      assert.equal(s.picture?.x, at.x, `picture at pts ${s.pts} shows that moment`);
      assert.ok(s.model && Math.abs(s.model.x - at.x) <= 8, `model view at pts ${s.pts} shows that moment`);
    }
  });

  it('sends the picture alone when the model inputs are cut from it (regions): one output, and the whole frame cut from the picture shows what ffmpeg\'s model frame shows', async () => {
    const short: SquareScene = { ...scene, duration: 1 };
    const commands: string[] = [];
    const stdouts: string[] = [];
    const seen = await lastValueFrom(
      new VideoSource({ camera: 'a', url: `lavfi:${lavfiSpec(short)}`, detect: {}, inputsFromPicture: true }).frames(format).pipe(
        map((f) => {
          if (commands.length === 0) {
            for (const p of childProcesses().filter((c) => c.comm.startsWith('ffmpeg'))) {
              commands.push(cmdline(p.pid));
              stdouts.push(readlinkSync(`/proc/${p.pid}/fd/1`));
            }
          }
          assert.equal(f.data.length, 0, 'no model pixels from ffmpeg');
          // the whole frame as the detector cuts it (models/worker-session.ts), read as a model frame
          const cut = new Uint8Array(format.width * format.height * 3);
          cropResize(f.picture!, letterboxRegion(format, f.picture!), format.width, format.layout, cut, format.padValue);
          const s = { ...look(f), model: modelRedBox({ ...f, data: cut }), pad: cut[cut.length - 1] };
          f.release();
          return s;
        }),
        toArray(),
      ),
    );
    assert.equal(seen.length, short.fps * short.duration);
    assert.equal(commands.length, 1, 'one ffmpeg');
    assert.ok(!commands[0]!.includes('pipe:3') && commands[0]!.includes('rgb24'), `the picture alone, on stdout: ${commands[0]}`);
    // stdout is a named pipe read straight into the pooled buffers (sources/output-fifos.ts), not a socket pair
    assert.match(stdouts[0]!, /lookout-fifo-.*\.fifo$/);
    for (const s of seen) {
      assert.deepEqual(s.size, [640, 360]);
      const at = squarePosition(short, frameTime(short, Math.round(s.pts * short.fps)));
      assert.deepEqual(s.picture, { x: at.x, y: at.y, w: Math.min(scene.size, 640 - at.x), h: scene.size }, `picture at pts ${s.pts}`);
      // the same tolerance as ffmpeg's own model frame above, and the letterbox's padding below the picture
      assert.ok(s.model && Math.abs(s.model.x - at.x) <= 8 && Math.abs(s.model.y - at.y) <= 8, `cut model view at pts ${s.pts}: ${JSON.stringify(s.model)} vs ${JSON.stringify(at)}`);
      assert.equal(s.pad, format.padValue);
    }
    // a model input that is not square cannot be cut from a picture: ffmpeg sends both as before
    const wide: FrameFormat = { ...format, width: 192 };
    const both = await lastValueFrom(new VideoSource({ camera: 'a', url: `lavfi:${lavfiSpec({ ...short, duration: 0.3 })}`, detect: {}, inputsFromPicture: true }).frames(wide).pipe(map((f) => { const s = [f.data.length, f.picture?.width]; f.release(); return s; }), toArray()));
    assert.deepEqual(both[0], [192 * 160 * 3, 640]);
  });
});
