import assert from 'node:assert/strict';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { parseConfig } from '../../config/load.js';
import { Logger } from '../../core/logger.js';
import { Runtime } from '../../pipeline/runtime.js';
import type { FrameResult } from '../../core/types.js';
import { waitForNoChildren } from '../helpers/processes.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { DEFAULT_SCENE, frameCount, renderSquareClip, squarePosition, type SquareScene } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

const quiet = new Logger({ level: 'error', json: false, write: () => undefined });

describe('pipeline end to end (real ffmpeg + onnxruntime)', function () {
  this.timeout(60000);
  const tmp = useTmpDir('lookout-e2e-');
  // a wider scene than the model input, so the letterbox matters: 480x270 into 160x160 (centred)
  const scene: SquareScene = { ...DEFAULT_SCENE, width: 480, height: 270, duration: 3, size: 48, x0: 10, y0: 200, vx: 130, vy: -55 };
  let clip: string;
  let model: string;
  let labels: string;
  before(async () => {
    clip = await renderSquareClip(scene, join(tmp(), 'scene.mp4'));
    ({ model, labels } = await writeSquareModel(tmp()));
  });
  afterEach(async () => {
    assert.deepEqual(await waitForNoChildren({ filter: (p) => p.comm.startsWith('ffmpeg') }), [], 'no ffmpeg left');
  });

  async function runToEnd(cameras: { name: string; url: string; fps?: number }[]): Promise<FrameResult[]> {
    const config = parseConfig(
      { model: { path: model, adapter: 'ultralytics', labels, threshold: 0.5, batch: { maxSize: 4, maxWaitMs: 20 } }, cameras: cameras.map((c) => ({ realtime: false, fps: scene.fps, ...c })) },
      { env: {} },
    );
    const runtime = await Runtime.create(config, { logger: quiet });
    const results = lastValueFrom(runtime.results$.pipe(toArray()));
    runtime.start();
    await runtime.done;
    await runtime.stop();
    assert.equal(runtime.failure, undefined);
    return results;
  }

  function assertFollowsSquare(results: FrameResult[], camera: string, expectedFrames: number): void {
    const mine = results.filter((r) => r.frame.camera === camera);
    assert.equal(mine.length, expectedFrames, `${camera}: one result per frame`);
    mine.forEach((r, i) => {
      assert.equal(r.frame.seq, i, 'in order');
      assert.equal(r.detections.length, 1, `${camera} frame ${i}: one detection`);
      const d = r.detections[0];
      assert.equal(d.label, 'square');
      const p = squarePosition(scene, r.frame.pts);
      const expected = [p.x, p.y, p.x + scene.size, p.y + scene.size];
      // the model sees the scene at a third of its size, so one model pixel is three source pixels
      d.box.forEach((v, k) => assert.ok(Math.abs(v - expected[k]) <= 4, `${camera} frame ${i} t=${r.frame.pts}: box ${d.box.map(Math.round)} vs square ${expected}`));
    });
  }

  it('a detected box follows the moving square on every frame, in source pixels', async () => {
    const results = await runToEnd([{ name: 'cam', url: clip }]);
    assertFollowsSquare(results, 'cam', frameCount(scene));
  });

  it('batches frames of several cameras together and gives each result to its own camera and frame', async () => {
    const results = await runToEnd([
      { name: 'a', url: clip },
      { name: 'b', url: clip },
      { name: 'c', url: clip, fps: 5 },
    ]);
    assertFollowsSquare(results, 'a', frameCount(scene));
    assertFollowsSquare(results, 'b', frameCount(scene));
    assertFollowsSquare(results, 'c', frameCount(scene) / 2);
    const batched = results.filter((r) => r.timings.batchSize > 1).length;
    assert.ok(batched > results.length / 2, `most frames went in batches larger than 1 (${batched} of ${results.length})`);
  });

  it('turns the square crossing a zone and leaving into exactly one new, zone updates and one end', async () => {
    // 4 s: the square enters from the left, crosses into the right half (the zone) and leaves the picture at ~2.4 s
    const crossing: SquareScene = { ...scene, duration: 4, x0: 10, y0: 100, vx: 200, vy: 0 };
    const crossingClip = await renderSquareClip(crossing, join(tmp(), 'crossing.mp4'));
    const config = parseConfig(
      {
        model: { path: model, adapter: 'ultralytics', labels, threshold: 0.5 },
        cameras: [
          {
            name: 'yard',
            url: crossingClip,
            realtime: false,
            fps: 10,
            objects: { track: ['square'] },
            zones: { right: { points: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]], inertia: 1 } },
            tracker: { maxDisappearedSeconds: 1 },
          },
        ],
      },
      { env: {} },
    );
    const runtime = await Runtime.create(config, { logger: quiet });
    const updates = lastValueFrom(runtime.updates$.pipe(toArray()));
    runtime.start();
    await runtime.done;
    await runtime.stop();
    const events = (await updates).flatMap((u) => u.events);
    assert.deepEqual(events.map((e) => e.type), ['new', 'update', 'end'], JSON.stringify(events.map((e) => [e.type, e.after.currentZones])));
    const [created, entered, ended] = events;
    assert.equal(created.after.label, 'square');
    assert.deepEqual(created.after.currentZones, []);
    assert.deepEqual(entered.after.currentZones, ['right']);
    assert.deepEqual(entered.after.enteredZones, ['right']);
    // bottom-centre crosses x = 240 when 10 + 200 t + 24 = 240, t = 1.03 s
    assert.ok(Math.abs(entered.after.lastSeen - 1.1) < 0.11, `entered at ${entered.after.lastSeen}`);
    assert.equal(ended.after.id, created.after.id);
    assert.deepEqual(ended.after.enteredZones, ['right']);
    // the last sighting is when some of the square is still in the picture (x < 480 at t < 2.35 s); the end comes 1 s later
    assert.ok(ended.after.lastSeen >= 2.2 && ended.after.lastSeen <= 2.4, `last seen ${ended.after.lastSeen}`);
    assert.ok(ended.after.endTime !== null && ended.after.endTime - ended.after.lastSeen >= 0.99 && ended.after.endTime < 4, `ended ${ended.after.endTime}`);
  });

  it('reports a camera that cannot open and keeps the others running', async () => {
    const config = parseConfig(
      { model: { path: model, adapter: 'ultralytics', labels }, cameras: [{ name: 'good', url: clip, realtime: false, fps: scene.fps }, { name: 'bad', url: join(tmp(), 'absent.mp4'), realtime: false }] },
      { env: {} },
    );
    const runtime = await Runtime.create(config, { logger: quiet });
    const statuses = lastValueFrom(runtime.status$.pipe(toArray()));
    const results = lastValueFrom(runtime.results$.pipe(toArray()));
    runtime.start();
    await runtime.done;
    await runtime.stop();
    assert.equal((await results).filter((r) => r.frame.camera === 'good').length, frameCount(scene));
    const bad = (await statuses).find((s) => s.camera === 'bad' && s.severity === 'error');
    assert.ok(bad, 'an error status for the bad camera');
    assert.equal(bad.code, 'LOOKOUT_ERR_MEDIA');
    assert.match(bad.message, /absent\.mp4: no such file/);
    const snap = runtime.snapshot();
    assert.equal(snap.cameras.bad.status, 'offline');
    assert.equal(snap.cameras.good.framesDetected, frameCount(scene));
  });
});
