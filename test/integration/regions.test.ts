// Regions mode through the whole run (real ffmpeg, the square detector in real onnxruntime, the real worker): a
// 1280×720 scene that is empty and still for 2 s, then a 40 px red square crosses it and leaves. `regions` finds the
// square where it is to the pixel (crops at picture scale), skips the still frames, scans the whole frame at start,
// and gives the same events as `full`. Two cameras in regions mode share batches.
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.js';
import { Logger } from '../../core/logger.js';
import type { CameraUpdate, FrameResult, ObjectEvent } from '../../core/types.js';
import { Runtime } from '../../pipeline/runtime.js';
import { waitForNoChildren } from '../helpers/processes.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { useTmpDir } from '../helpers/tmp.js';

const quiet = new Logger({ level: 'error', json: false, write: () => undefined });
/** x of the square's left edge at time t (off screen until t = start, then 250 px/s to the right) */
const squareX = (t: number, start: number) => Math.trunc(-60 + 250 * Math.max(t - start, 0));
const scene = (seconds: number, start: number) =>
  `lavfi:color=c=black:s=1280x720:r=10:d=${seconds}[bg];color=c=red:s=40x40:r=10[sq];[bg][sq]overlay=x='-60+250*max(t-${start},0)':y=300:eval=frame:shortest=1:format=rgb`;

interface Run {
  results: FrameResult[];
  events: { type: ObjectEvent['type']; label: string; time: number }[];
  runtime: Runtime;
}

async function run(dir: string, cameras: Record<string, unknown>[], batch = { maxSize: 4, maxWaitMs: 15 }): Promise<Run> {
  const { model, labels } = await writeSquareModel(dir);
  const config = parseConfig(
    {
      model: { path: model, adapter: 'ultralytics', labels, threshold: 0.5, batch },
      cameras: cameras.map((c) => ({ fps: 10, objects: { track: ['square'] }, tracker: { maxDisappearedSeconds: 1 }, ...c })),
    },
    { env: {} },
  );
  const runtime = await Runtime.create(config, { logger: quiet });
  const results: FrameResult[] = [];
  const events: Run['events'] = [];
  runtime.results$.subscribe((r) => results.push(r));
  runtime.updates$.subscribe((u: CameraUpdate) => {
    for (const e of u.events) if (e.type !== 'update') events.push({ type: e.type, label: e.after.label, time: e.type === 'new' ? e.after.startTime : (e.after.endTime ?? NaN) });
  });
  runtime.start();
  await runtime.done;
  await runtime.stop();
  return { results, events, runtime };
}

describe('regions (real ffmpeg, square detector, runtime)', function () {
  this.timeout(120000);
  const tmp = useTmpDir('lookout-regions-');
  afterEach(async () => {
    assert.deepEqual(await waitForNoChildren({ filter: (p) => p.comm.startsWith('ffmpeg') }), [], 'no ffmpeg is left behind');
  });

  it('finds the square at its place through regions, skips still frames, scans at start, same events as full', async () => {
    const url = scene(9, 2);
    const full = await run(tmp(), [{ name: 'yard', url, realtime: false, detectMode: 'full' }]);
    const regions = await run(tmp(), [{ name: 'yard', url, realtime: false, detectMode: 'regions', regions: { fullScanSeconds: 3, stationaryRecheckFrames: 5 } }]);
    assert.equal(full.results.length, 90);
    assert.equal(regions.results.length, 90, 'every frame has a result, skipped ones too');
    assert.equal(full.results.filter((r) => r.regions).length, 0, 'full mode never uses regions');
    // the whole frame at start
    assert.equal(regions.results[0].regions, undefined, 'the first frame is a full scan');
    // the square, seen through regions at picture scale, to within 2 px
    let checked = 0;
    for (const r of regions.results) {
      const t = r.frame.pts;
      if (!r.regions || r.regions.length === 0 || t < 2.3 || t > 7.0) continue;
      assert.equal(r.detections.length, 1, `one square at ${t}: ${JSON.stringify(r.detections)}`);
      const [x1, y1, x2, y2] = r.detections[0].box;
      const x = squareX(t, 2);
      for (const [got, want] of [[x1, x], [y1, 300], [x2, x + 40], [y2, 340]]) assert.ok(Math.abs(got - want) <= 2, `at ${t}: box ${[x1, y1, x2, y2].join(',')}, square at x=${x}`);
      checked++;
    }
    assert.ok(checked >= 20, `square checked in ${checked} region frames`);
    const stats = regions.runtime.snapshot().regions?.yard;
    assert.ok(stats, 'region stats for the camera');
    assert.ok(stats.framesSkipped >= 15, `frames skipped: ${stats.framesSkipped}`);
    assert.ok(stats.fullFrames >= 3 && stats.fullFrames <= 10, `full frames: ${stats.fullFrames}`);
    assert.ok(stats.regionFrames >= 30 && stats.regionsPerFrame >= 1, `region frames: ${stats.regionFrames}, ${stats.regionsPerFrame} per frame`);
    assert.equal(stats.frames, 90);
    const skipped = regions.results.filter((r) => r.regions?.length === 0);
    assert.equal(skipped.length, stats.framesSkipped);
    assert.ok(skipped.every((r) => r.detections.length === 0 && r.timings.batchSize === 0));
    // the same events: one square, new then end, and regions start no later than full + 1 s
    assert.deepEqual(regions.events.map((e) => `${e.type}:${e.label}`), ['new:square', 'end:square']);
    assert.deepEqual(full.events.map((e) => `${e.type}:${e.label}`), ['new:square', 'end:square']);
    assert.ok(regions.events[0].time <= full.events[0].time + 1, `new at ${regions.events[0].time} (full: ${full.events[0].time})`);
    assert.ok(Math.abs(regions.events[1].time - full.events[1].time) <= 1, `end at ${regions.events[1].time} (full: ${full.events[1].time})`);
  });

  it('regions of two cameras share batches', async () => {
    const url = scene(5, 1);
    const cam = (name: string) => ({ name, url, realtime: true, detectMode: 'regions', regions: { fullScanSeconds: 30, stationaryRecheckFrames: 5 } });
    const r = await run(tmp(), [cam('a'), cam('b')], { maxSize: 4, maxWaitMs: 100 });
    const det = r.runtime.snapshot().detector;
    assert.ok(det.regionsPerBatch > 1, `regions per batch ${det.regionsPerBatch}`);
    const shared = r.results.filter((x) => (x.regions?.length ?? 0) > 0 && x.timings.batchSize >= 2);
    assert.ok(shared.some((x) => x.frame.camera === 'a') && shared.some((x) => x.frame.camera === 'b'), 'region frames of both cameras went in batches of 2 or more');
  });
});
