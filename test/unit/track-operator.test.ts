import assert from 'node:assert/strict';
import { concatMap, firstValueFrom, from, map, throwError, concat, timer, toArray, type Observable } from 'rxjs';
import type { CameraUpdate } from '../../core/types.js';
import { trackObjects, type TrackObjectsOptions } from '../../pipeline/track-operator.js';
import { seededRandom } from '../../core/random.js';
import type { FrameResult } from '../../core/types.js';
import { clip, det, square } from './object-fixtures.js';

const seeded: TrackObjectsOptions['randomFor'] = (camera) => seededRandom(camera.length * 1000 + camera.charCodeAt(0));
const collect = (source: Observable<FrameResult>, options: TrackObjectsOptions): Promise<CameraUpdate[]> =>
  firstValueFrom(source.pipe(trackObjects({ randomFor: seeded, ...options }), toArray()));

/** Frames of two cameras, interleaved: a person walking on `door`, a car parked on `yard` for the first half. */
function twoCameras(): FrameResult[] {
  const door = clip(30, (i) => [det(square(i * 20, 300))], 5, 'door');
  const yard = clip(30, (i) => (i < 15 ? [det(square(600, 400, 200), 0.9, 'car')] : []), 5, 'yard');
  return door.flatMap((f, i) => [f, yard[i]]);
}

const options: TrackObjectsOptions = {
  cameras: { door: {}, yard: { objects: { track: ['car'] }, tracker: { maxDisappearedSeconds: 1 } } },
};

describe('trackObjects operator', () => {
  it('keeps one state per camera and ends every open object when the source completes', async () => {
    const updates = await collect(from(twoCameras()), options);
    const events = (camera: string) => updates.filter((u) => u.camera === camera).flatMap((u) => u.events.map((e) => [e.type, e.after.label]));
    assert.deepEqual(events('door'), [['new', 'person'], ['end', 'person']]);
    assert.deepEqual(events('yard'), [['new', 'car'], ['end', 'car']]);
    const ids = updates.flatMap((u) => u.events.map((e) => e.after.id));
    assert.equal(new Set(ids).size, 2, 'one id per object, none shared across cameras');
    // the car ended mid-stream; the person was still there, so its end comes from the completion flush, stamped with
    // the last frame's time (the yard flush carries nothing new and is not emitted)
    const last = updates[updates.length - 1];
    assert.deepEqual([last.camera, last.events.map((e) => e.type)], ['door', ['end']]);
    assert.equal(last.events[0].after.endTime, last.pts);
    assert.equal(last.pts, twoCameras()[58].frame.pts);
    assert.deepEqual(last.counts, { all: { person: 0 } });
  });

  it('emits only updates that carry events or changed counts, unless everyFrame', async () => {
    const quiet = await collect(from(twoCameras()), options);
    assert.ok(quiet.every((u) => u.events.length > 0 || u.counts !== undefined));
    assert.ok(quiet.length < 15);
    const all = await collect(from(twoCameras()), { ...options, everyFrame: true });
    assert.equal(all.length, 60 + 2, 'every frame of both cameras, plus one flush each');
    assert.ok(all.filter((u) => u.camera === 'door').slice(2, 29).every((u) => u.objects.length === 1));
  });

  it('gives identical updates whether frames arrive at once or slowly (time is pts, not the wall clock)', async () => {
    const fast = await collect(from(twoCameras()), options);
    const slow = await collect(from(twoCameras()).pipe(concatMap((f) => timer(2).pipe(map(() => f)))), options);
    assert.deepEqual(slow, fast);
  });

  it('gives a camera the same ids however its frames interleave with other cameras', async () => {
    const frames = twoCameras();
    const doorOnly = await collect(from(frames.filter((f) => f.frame.camera === 'door')), options);
    const mixed = await collect(from(frames), options);
    const doorIds = (us: CameraUpdate[]) => us.filter((u) => u.camera === 'door').flatMap((u) => u.events.map((e) => e.after.id));
    assert.deepEqual(doorIds(mixed), doorIds(doorOnly));
    assert.equal(doorIds(mixed).length, 2);
  });

  it('passes an upstream error on without inventing ends', async () => {
    const seen: CameraUpdate[] = [];
    const source = concat(from(twoCameras().slice(0, 10)), throwError(() => new Error('camera died')));
    await assert.rejects(
      new Promise<void>((resolve, reject) => {
        source.pipe(trackObjects({ ...options, randomFor: seeded })).subscribe({ next: (u) => seen.push(u), error: reject, complete: resolve });
      }),
      /camera died/,
    );
    assert.ok(seen.length > 0);
    assert.ok(seen.every((u) => u.events.every((e) => e.type !== 'end')));
  });
});
