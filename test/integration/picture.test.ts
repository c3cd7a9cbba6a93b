// Detect-resolution pictures: one ffmpeg gives the model's frames and the camera's own view side by side; each frame's
// picture shows the same moment as its model input (also when frames are dropped), at the size the config asks for.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { lastValueFrom, map, mergeMap, timer, toArray } from 'rxjs';
import type { Frame, FrameFormat } from '../../core/types.js';
import { letterboxRegion } from '../../core/letterbox.js';
import { pictureBytes, pictureRgb, type Picture, type YuvMatrix } from '../../core/picture.js';
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

/**
 * The red box as found in the picture against where the scene put it: within a pixel on each edge. The picture is
 * 4:2:0 (as every H.264 camera's): an edge on an odd row or column shares its chroma with the black beside it.
 */
function assertBoxAt(found: Seen['picture'], at: { x: number; y: number; w: number; h: number }, message: string): void {
  assert.ok(found, `${message}: no red box`);
  const edges = [found.x - at.x, found.y - at.y, found.x + found.w - (at.x + at.w), found.y + found.h - (at.y + at.h)];
  assert.ok(edges.every((d) => Math.abs(d) <= 1), `${message}: ${JSON.stringify(found)} vs ${JSON.stringify(at)}`);
}

function look(f: Frame): Seen {
  const p = f.picture;
  if (p) assert.equal(p.format, 'yuv420p', "ffmpeg's own planes, converted by those who read them");
  return { pts: f.pts, size: p && [p.width, p.height], picture: p ? findRedBox(pictureRgb(p), p.width, p.height) : null, model: modelRedBox(f) };
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
      assertBoxAt(s.picture, { x: at.x, y: at.y, w: Math.min(scene.size, 640 - at.x), h: scene.size }, `picture at pts ${s.pts}`);
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
      assert.ok(s.picture && Math.abs(s.picture.x - at.x) <= 1, `picture at pts ${s.pts} shows that moment: ${s.picture?.x} vs ${at.x}`);
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
    assert.ok(!commands[0]!.includes('pipe:3') && commands[0]!.includes('-pix_fmt yuv420p pipe:1'), `the picture alone, on stdout: ${commands[0]}`);
    // stdout is a named pipe read straight into the pooled buffers (sources/output-fifos.ts), not a socket pair
    assert.match(stdouts[0]!, /lookout-fifo-.*\.fifo$/);
    for (const s of seen) {
      assert.deepEqual(s.size, [640, 360]);
      const at = squarePosition(short, frameTime(short, Math.round(s.pts * short.fps)));
      assertBoxAt(s.picture, { x: at.x, y: at.y, w: Math.min(scene.size, 640 - at.x), h: scene.size }, `picture at pts ${s.pts}`);
      // the same tolerance as ffmpeg's own model frame above, and the letterbox's padding below the picture
      assert.ok(s.model && Math.abs(s.model.x - at.x) <= 8 && Math.abs(s.model.y - at.y) <= 8, `cut model view at pts ${s.pts}: ${JSON.stringify(s.model)} vs ${JSON.stringify(at)}`);
      assert.equal(s.pad, format.padValue);
    }
    // a model input that is not square cannot be cut from a picture: ffmpeg sends both as before
    const wide: FrameFormat = { ...format, width: 192 };
    const both = await lastValueFrom(new VideoSource({ camera: 'a', url: `lavfi:${lavfiSpec({ ...short, duration: 0.3 })}`, detect: {}, inputsFromPicture: true }).frames(wide).pipe(map((f) => { const s = [f.data.length, f.picture?.width]; f.release(); return s; }), toArray()));
    assert.deepEqual(both[0], [192 * 160 * 3, 640]);
  });

  /** One frame of lavfi's test pattern from ffmpeg, as yuv420p planes and as ffmpeg's own RGB of those planes. */
  function testFrame(width: number, height: number, matrix: YuvMatrix): { picture: Picture; rgb: Uint8Array } {
    const raw = (filter: string, fmt: string) => {
      const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=1', '-frames:v', '1', '-vf', `scale=${width}:${height}:flags=bilinear,${filter}`, '-f', 'rawvideo', '-pix_fmt', fmt, 'pipe:1'], { maxBuffer: 1 << 26 });
      assert.equal(r.status, 0, String(r.stderr));
      return new Uint8Array(r.stdout);
    };
    const yuv = raw('format=yuv420p', 'yuv420p');
    assert.equal(yuv.length, pictureBytes({ width, height }, 'yuv420p'));
    // the same planes again, then converted by ffmpeg with the matrix named
    const rgb = raw(`format=yuv420p,scale=in_color_matrix=${matrix}:in_range=tv:flags=bilinear,format=rgb24`, 'rgb24');
    return { picture: { width, height, data: yuv, format: 'yuv420p', matrix }, rgb };
  }

  it('converts yuv420p pictures to RGB as ffmpeg does (BT.601 and BT.709), at odd sizes too, and a part of the picture', () => {
    for (const matrix of ['bt601', 'bt709'] as const) {
      const { picture, rgb } = testFrame(320, 180, matrix);
      const ours = pictureRgb(picture);
      let worst = 0;
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - rgb[i]));
      // ffmpeg's own conversion (the rgb24 pictures of before) rounds in 8 bits more than once
      assert.ok(worst <= 3, `${matrix}: off by up to ${worst}`);
      // the other matrix is visibly wrong: the test tells them apart
      const wrong = pictureRgb({ ...picture, matrix: matrix === 'bt601' ? 'bt709' : 'bt601' });
      let moved = 0;
      for (let i = 0; i < wrong.length; i++) if (Math.abs(wrong[i] - rgb[i]) > 6) moved++;
      assert.ok(moved / wrong.length > 0.1, `${matrix}: the other matrix differs in ${moved} values only`);
    }
    // odd sizes (chroma planes rounded up): ffmpeg converts those through its scaler, with chroma interpolated, so the
    // reference is the formula itself, each pixel with its 2×2 block's chroma
    const { picture } = testFrame(63, 37, 'bt601');
    const ours = pictureRgb(picture);
    const cw = 32;
    const u0 = 63 * 37;
    const v0 = u0 + cw * 19;
    for (let y = 0; y < 37; y++) {
      for (let x = 0; x < 63; x++) {
        const c = (y >> 1) * cw + (x >> 1);
        const l = 1.164383 * (picture.data[y * 63 + x] - 16);
        const u = picture.data[u0 + c] - 128;
        const v = picture.data[v0 + c] - 128;
        const want = [l + 1.596027 * v, l - 0.391762 * u - 0.812968 * v, l + 2.017232 * u].map((k) => Math.max(0, Math.min(255, Math.round(k))));
        const got = [...ours.subarray((y * 63 + x) * 3, (y * 63 + x) * 3 + 3)];
        assert.ok(got.every((g, i) => Math.abs(g - want[i]!) <= 1), `pixel ${x},${y}: ${got} vs ${want}`);
      }
    }
    // a part is the same pixels as the whole
    const rect = { x: 5, y: 3, width: 31, height: 17 };
    const part = pictureRgb(picture, rect);
    for (let y = 0; y < rect.height; y++) {
      assert.deepEqual(part.subarray(y * rect.width * 3, (y + 1) * rect.width * 3), ours.subarray(((rect.y + y) * 63 + rect.x) * 3, ((rect.y + y) * 63 + rect.x + rect.width) * 3));
    }
    assert.throws(() => pictureRgb({ width: 4, height: 4, data: new Uint8Array(24), format: 'yuv420p' }, { x: 2, y: 0, width: 4, height: 1 }), /not inside/);
  });

  it('crops a yuv420p picture as the RGB it converts to: luma as bilinear, chroma by block, at every scale, padded or not, at the edges', () => {
    const { picture } = testFrame(322, 181, 'bt601');
    const rgb = { width: picture.width, height: picture.height, data: pictureRgb(picture) };
    const regions: [number, number, number, number][] = [
      [10, 20, 74, 84], // at source scale: each output pixel is one picture pixel
      [10, 20, 110, 120], // shrunk, width not a multiple of 4
      [0, 0, 322, 181], // the whole picture, shrunk
      [250, 150, 290, 190], // enlarged, past the bottom edge
      [-30, -10, 70, 90], // past the top-left corner
      [281.5, 60.25, 321.75, 100.5], // fractional, at the right edge
    ];
    for (const region of regions) {
      for (const pad of [undefined, 114]) {
        for (const layout of ['gbrp', 'gray'] as const) {
          const size = 64;
          const a = new Uint8Array(size * size * (layout === 'gray' ? 1 : 3));
          const b = new Uint8Array(a.length);
          const ta = cropResize(picture, region, size, layout, a, pad);
          const tb = cropResize(rgb, region, size, layout, b, pad);
          const what = `${region} pad ${pad} ${layout}`;
          assert.deepEqual(ta, tb, `transform of ${what}`);
          const off = (x: Uint8Array) => x.reduce((acc, v, i) => acc + Math.abs(v - b[i]!), 0) / x.length;
          // chroma is resized bilinear (as ffmpeg's scaler does) where `pictureRgb` gives each 2×2 block its own (as
          // ffmpeg's unscaled conversion does): colour edges differ, so close on average, and closer than the same crop
          // a pixel off in any direction (the geometry is the RGB paths')
          assert.ok(off(a) < 3.5, `${what}: off by ${off(a).toFixed(2)} on average`);
          // (a shift past the picture's edge may clip to the same crop: then as close, not closer)
          let further = 0;
          for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) {
            const c = new Uint8Array(a.length);
            cropResize(picture, [region[0] + dx, region[1] + dy, region[2] + dx, region[3] + dy], size, layout, c, pad);
            assert.ok(off(a) <= off(c), `${what}: ${off(a).toFixed(2)} on average, ${off(c).toFixed(2)} a pixel off (${dx}, ${dy})`);
            further = Math.max(further, off(c) - off(a));
          }
          assert.ok(further > 0.5, `${what}: a pixel off is never further than ${further.toFixed(2)}`);
        }
      }
    }
    // the whole frame letterboxed, as the detector cuts it
    const whole = letterboxRegion(format, picture);
    const a = new Uint8Array(format.width * format.height * 3);
    const b = new Uint8Array(a.length);
    assert.deepEqual(cropResize(picture, whole, format.width, format.layout, a, format.padValue), cropResize(rgb, whole, format.width, format.layout, b, format.padValue));
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
    assert.ok(sum / a.length < 1.5, `whole frame: off by ${(sum / a.length).toFixed(2)} on average`);
  });
});
