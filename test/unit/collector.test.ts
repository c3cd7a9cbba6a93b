// The collector's choice of moments, with updates the test hands it and a real frame store and folder: which picture
// an object's crop comes from, and when it is written.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NEVER, Subject } from 'rxjs';
import { parseConfig } from '../../config/load.js';
import { Logger } from '../../core/logger.js';
import type { CameraUpdate, Frame, TrackedObject } from '../../core/types.js';
import { FrameStore } from '../../pipeline/frame-store.js';
import { Collector, LONG_LIVED_SECONDS } from '../../sinks/collect/collector.js';
import type { CropSidecar } from '../../sinks/collect/collect-store.js';
import { trackedObject } from '../helpers/sink-inputs.js';

const quiet = new Logger({ level: 'error', json: false, write: () => undefined });
const W = 64;
const H = 48;

/** A frame of camera yard at `pts` whose picture is one grey level with a white block at `x` (so crops differ). */
function frame(pts: number, x: number): Frame {
  const data = new Uint8Array(W * H * 3).fill(30);
  for (let y = 10; y < 30; y++) for (let i = x; i < x + 10; i++) data.fill(250, (y * W + i) * 3, (y * W + i) * 3 + 3);
  return {
    camera: 'yard', seq: Math.round(pts * 10), pts, capturedAt: 1_700_000_000_000 + pts * 1000,
    format: { width: W, height: H, layout: 'gbrp', resize: 'stretch', padValue: 0 },
    transform: { srcWidth: W, srcHeight: H, scaleX: 1, scaleY: 1, padX: 0, padY: 0 },
    data: new Uint8Array(0), picture: { width: W, height: H, data }, release: () => undefined,
  };
}

const update = (pts: number, type: 'new' | 'update' | 'end', before: TrackedObject, after: TrackedObject): CameraUpdate =>
  ({ camera: 'yard', pts, epochOffset: 1_700_000_000, events: [{ type, before, after }], objects: type === 'end' ? [] : [after] });

describe('collector: which picture, and when', () => {
  let dir: string;
  let updates: Subject<CameraUpdate>;
  let frames: FrameStore;
  let collector: Collector;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lookout-collector-'));
    updates = new Subject();
    frames = new FrameStore();
    const config = parseConfig({ model: { path: 'm.onnx', adapter: 'yolox' }, cameras: [{ name: 'yard', url: 'a.mp4', objects: { track: ['person', 'car'] }, collect: { enabled: true, dir, labels: ['person'], margin: 0 } }] }, { env: {} });
    collector = new Collector({ updates$: updates, results$: NEVER, frames }, config.cameras, quiet);
  });

  afterEach(async () => {
    await collector.close();
    await rm(dir, { recursive: true, force: true });
  });

  const saved = async () => {
    await collector.idle();
    const folder = join(dir, 'unlabelled');
    const names = (await readdir(folder).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
    return Promise.all(names.map(async (f) => JSON.parse(await readFile(join(folder, f), 'utf8')) as CropSidecar));
  };

  it('takes the crop from the frame of the update, and only a better snapshot replaces it; writes it at the end', async () => {
    const o = trackedObject('a', { camera: 'yard', label: 'person', box: [10, 10, 20, 30], score: 0.7, startTime: 1, bestFrameTime: 1 });
    frames.keep(frame(1, 10));
    updates.next(update(1, 'new', o, o));
    // a zone change (no better score) at pts 2: not a new best
    const moved = { ...o, box: [30, 10, 40, 30] as TrackedObject['box'], currentZones: ['porch'] };
    frames.keep(frame(2, 30));
    updates.next(update(2, 'update', o, moved));
    // a better snapshot at pts 3
    const better = { ...moved, box: [40, 10, 50, 30] as TrackedObject['box'], score: 0.9, bestFrameTime: 3 };
    frames.keep(frame(3, 40));
    updates.next(update(3, 'update', moved, better));
    assert.deepEqual(await saved(), [], 'nothing is written while the object is tracked');
    updates.next(update(4, 'end', better, { ...better, endTime: 4 }));
    const [s, ...more] = await saved();
    assert.equal(more.length, 0);
    assert.equal(s!.score, 0.9);
    assert.equal(s!.time, 1_700_000_003);
    assert.deepEqual(s!.box, [40, 10, 50, 30]);
    assert.deepEqual(s!.crop, [40, 10, 10, 20]);
  });

  it('an object whose new frame was no longer in the store gets its crop from its next update', async () => {
    const o = trackedObject('b', { camera: 'yard', label: 'person', box: [10, 10, 20, 30], startTime: 1, bestFrameTime: 1 });
    frames.keep(frame(2, 10));
    updates.next(update(1, 'new', o, o));
    const z = { ...o, currentZones: ['porch'] };
    updates.next(update(2, 'update', o, z));
    updates.next(update(5, 'end', z, { ...z, endTime: 5 }));
    const [s] = await saved();
    assert.equal(s!.time, 1_700_000_002);
  });

  it(`writes a long-lived object's crop after ${LONG_LIVED_SECONDS} s of tracking, once; labels not collected give nothing`, async () => {
    const o = trackedObject('c', { camera: 'yard', label: 'person', box: [10, 10, 20, 30], startTime: 1, bestFrameTime: 1 });
    const car = trackedObject('d', { camera: 'yard', label: 'car', box: [10, 10, 20, 30], startTime: 1, bestFrameTime: 1 });
    frames.keep(frame(1, 10));
    updates.next({ ...update(1, 'new', o, o), events: [{ type: 'new', before: o, after: o }, { type: 'new', before: car, after: car }] });
    // a heartbeat before the threshold: still nothing
    updates.next(update(1 + LONG_LIVED_SECONDS - 1, 'update', o, { ...o, lastSeen: LONG_LIVED_SECONDS }));
    assert.equal((await saved()).length, 0);
    const hb = { ...o, lastSeen: 1 + LONG_LIVED_SECONDS };
    updates.next(update(1 + LONG_LIVED_SECONDS, 'update', o, hb));
    assert.equal((await saved()).length, 1, 'written while still tracked');
    updates.next(update(2 + LONG_LIVED_SECONDS, 'end', hb, { ...hb, endTime: 2 + LONG_LIVED_SECONDS }));
    updates.next(update(2 + LONG_LIVED_SECONDS, 'end', car, { ...car, endTime: 2 + LONG_LIVED_SECONDS }));
    const all = await saved();
    assert.equal(all.length, 1, 'not written again at its end; the car (not in collect.labels) never');
    assert.equal(all[0]!.event_id, 'c');
  });
});
