import assert from 'node:assert/strict';
import { CameraObjects, DEFAULT_OBJECT_OPTIONS, type CameraObjectsInput } from '../../pipeline/events.js';
import type { CameraUpdate } from '../../core/types.js';
import { seededRandom } from '../../core/random.js';
import type { Detection, FrameResult, ObjectEvent } from '../../core/types.js';
import { clip, det, frameResult, square, T0 } from './object-fixtures.js';
import { withWallClock } from '../helpers/wall-clock.js';

function run(frames: FrameResult[], options: CameraObjectsInput = {}, flush = false): { updates: CameraUpdate[]; events: ObjectEvent[] } {
  const objects = new CameraObjects('cam', options, seededRandom(42));
  const updates = frames.map((f) => objects.push(f));
  if (flush) updates.push(objects.flush());
  return { updates, events: updates.flatMap((u) => u.events) };
}

const types = (events: ObjectEvent[]) => events.map((e) => e.type);
const ptsOf = (updates: CameraUpdate[], type: ObjectEvent['type']) => updates.filter((u) => u.events.some((e) => e.type === type)).map((u) => u.pts);
const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;

describe('camera object events', () => {
  it('a flickering single-frame false positive produces no event at all', () => {
    // given one 0.95 frame, then nothing until the tracker lets go
    const { updates, events } = run(clip(20, (i) => (i === 3 ? [det(square(500, 300))] : [])), { tracker: { maxDisappearedSeconds: 1 } }, true);
    assert.deepEqual(events, []);
    assert.ok(updates.every((u) => u.objects.length === 0));
    assert.deepEqual(updates.filter((u) => u.counts).map((u) => u.counts), [{ all: { person: 0 } }], 'counts only once, at start');
  });

  it('an object that never reaches the threshold (median of its scores) is never an event', () => {
    // 0.65 passes minScore 0.5 and so is tracked, but its median stays under the 0.7 threshold
    const { events } = run(clip(30, () => [det(square(500, 300), 0.65)]), {}, true);
    assert.deepEqual(events, []);
  });

  it('a square that crosses the scene and leaves: exactly one new, no updates, exactly one end', () => {
    // given 5 fps, 20 px per frame across a 1280 px frame, then 3 s without it (maxDisappeared 2 s)
    const frames = clip(80, (i) => (i < 64 ? [det(square(i * 20, 300, 60))] : []));
    const { updates, events } = run(frames, { tracker: { maxDisappearedSeconds: 2 } });
    assert.deepEqual(types(events), ['new', 'end']);
    const [created, ended] = events;
    assert.equal(created.after.id, ended.after.id);
    assert.match(created.after.id, /^1718000000\.000000-[a-z0-9]{6}$/);
    // new on the second frame: one good frame pads to a median of 0
    assert.deepEqual(ptsOf(updates, 'new'), [T0 + 0.2]);
    assert.equal(created.after.falsePositive, false);
    assert.equal(created.after.camera, 'cam');
    // ended once gone for 2 s: last seen at frame 63 (T0 + 12.6), removed at T0 + 14.6
    assert.ok(close(ended.after.lastSeen, T0 + 12.6));
    assert.ok(close(ended.after.endTime!, T0 + 14.6));
    assert.equal(ended.before.endTime, null);
    assert.deepEqual(ended.after.box, square(63 * 20, 300, 60));
    assert.equal(ended.after.area, 3600);
    assert.equal(ended.after.ratio, 1);
    // counts: 0 at start, 1 once it is an event, 0 after the end, and nothing in between
    assert.deepEqual(updates.filter((u) => u.counts).map((u) => u.counts!.all.person), [0, 1, 0]);
  });

  it('entering and leaving a zone gives one update each, with current and entered zones right', () => {
    const zones = { porch: { points: [[500, 0], [800, 0], [800, 720], [500, 720]] as [number, number][] } };
    // bottom-centre at x = 325 + 20 i: in the zone for 175 <= 20 i <= 475, i.e. frames 9..23
    const frames = clip(40, (i) => [det(square(300 + i * 20, 300))]);
    const { updates, events } = run(frames, { zones });
    assert.deepEqual(types(events), ['new', 'update', 'update']);
    const [, entered, left] = events;
    assert.deepEqual([entered.before.currentZones, entered.after.currentZones, entered.after.enteredZones], [[], ['porch'], ['porch']]);
    assert.deepEqual([left.before.currentZones, left.after.currentZones, left.after.enteredZones], [['porch'], [], ['porch']]);
    // inertia 3: in on the third frame inside (11), out on the third frame outside (26)
    assert.deepEqual(ptsOf(updates, 'update').map((p) => Math.round((p - T0) * 5)), [11, 26]);
    assert.deepEqual(updates.filter((u) => u.counts).map((u) => u.counts!.porch.person), [0, 0, 1, 0]);
  });

  it('a box jittering across a zone edge does not flap in and out (inertia)', () => {
    const zones = { porch: { points: [[500, 0], [800, 0], [800, 720], [500, 720]] as [number, number][] } };
    // bottom-centre alternates x = 495 / 505
    const { events } = run(clip(30, (i) => [det(square(i % 2 === 0 ? 470 : 480, 300))]), { zones });
    assert.deepEqual(types(events), ['new']);
    assert.deepEqual(events[0].after.currentZones, []);
  });

  it('an object born inside a zone is in it on its new event, and zones respect objects', () => {
    const zones = {
      everything: { points: [[0, 0], [1, 0], [1, 1], [0, 1]] as [number, number][] },
      cars: { points: [[0, 0], [1, 0], [1, 1], [0, 1]] as [number, number][], objects: ['car'] },
    };
    const { events, updates } = run(clip(5, () => [det(square(100, 100))]), { zones, objects: { track: ['person', 'car'] } });
    assert.deepEqual(types(events), ['new']);
    assert.deepEqual(events[0].after.currentZones, ['everything']);
    assert.deepEqual(updates[0].counts, { all: { person: 0, car: 0 }, everything: { person: 0, car: 0 }, cars: { car: 0 } });
  });

  it('becomes stationary after N frames, then sends nothing (no heartbeat, no snapshot) until it moves', () => {
    // moves 5 frames, stands still 40 frames (8 s; scores creep up once it is parked), then walks off
    const frames = clip(50, (i) => {
      if (i < 5) return [det(square(100 + i * 30, 300, 100), 0.8)];
      if (i < 45) return [det(square(220 + (i % 2), 300, 100), i < 15 ? 0.8 : Math.min(0.99, 0.8 + (i - 14) * 0.01))];
      return [det(square(220 + (i - 44) * 40, 300, 100), 0.8)];
    });
    // heartbeat 3 s: none is due before it parks (frame 14), and 6 s parked would give two if parked objects had them
    const { updates, events } = run(frames, { tracker: { stationaryFrames: 10, heartbeatSeconds: 3 } });
    assert.deepEqual(types(events), ['new', 'update', 'update']);
    const [, still, moving] = events;
    assert.deepEqual([still.before.stationary, still.after.stationary], [false, true]);
    assert.deepEqual([moving.before.stationary, moving.after.stationary], [true, false]);
    const [stillAt, movingAt] = ptsOf(updates, 'update').map((p) => Math.round((p - T0) * 5));
    // first still frame is 4 (its anchor); 10 more motionless matches later: frame 14
    assert.equal(stillAt, 14);
    assert.equal(movingAt, 45);
    assert.equal(moving.after.bestFrameTime, still.after.bestFrameTime, 'no snapshot moves while parked');
  });

  it('a moving object gets a heartbeat update once per heartbeat period of frame time, and no other updates', () => {
    const { updates, events } = run(clip(32, (i) => [det(square(i * 10, 300))]), { tracker: { heartbeatSeconds: 2 } });
    assert.deepEqual(types(events), ['new', 'update', 'update', 'update']);
    // new at frame 1 (0.2 s), then every 2 s of frame time
    const at = [...ptsOf(updates, 'new'), ...ptsOf(updates, 'update')].map((p) => Math.round((p - T0) * 5));
    assert.deepEqual(at, [1, 11, 21, 31]);
    const heartbeat = events[1];
    assert.deepEqual(heartbeat.before, events[0].after, 'before is what consumers last got');
    assert.notDeepEqual(heartbeat.after.box, heartbeat.before.box);
  });

  it('a better score moves the snapshot only when better by the margin', () => {
    const scores = [0.8, 0.8, 0.82, 0.84, 0.9, 0.91, 0.93];
    const { updates, events } = run(clip(scores.length, (i) => [det(square(100, 100), scores[i])]));
    assert.deepEqual(types(events), ['new', 'update']);
    assert.deepEqual(ptsOf(updates, 'update').map((p) => Math.round((p - T0) * 5)), [4]);
    assert.ok(close(events[1].after.bestFrameTime, T0 + 0.8));
    assert.equal(events[1].before.bestFrameTime, T0);
    assert.ok(events[1].after.topScore > events[1].before.topScore);
  });

  it('a low-score detection keeps an event open; without any detection it ends', () => {
    const frames = clip(40, (i) => (i < 3 ? [det(square(100, 100), 0.9)] : i < 25 ? [det(square(100, 100), 0.3)] : []));
    const { updates, events } = run(frames, { tracker: { maxDisappearedSeconds: 1 } });
    assert.deepEqual(types(events), ['new', 'end']);
    assert.ok(close(ptsOf(updates, 'end')[0], T0 + 24 * 0.2 + 1));
  });

  it('flush ends every open object at the given time; endAll at the last frame', () => {
    const objects = new CameraObjects('cam', { objects: { track: ['person', 'car'] } }, seededRandom(1));
    for (const f of clip(4, () => [det(square(100, 100)), det(square(600, 300, 200), 0.9, 'car')])) objects.push(f);
    const flushed = objects.flush(T0 + 10);
    assert.deepEqual(types(flushed.events), ['end', 'end']);
    assert.ok(flushed.events.every((e) => e.after.endTime === T0 + 10));
    assert.deepEqual(flushed.counts, { all: { person: 0, car: 0 } });
    assert.deepEqual(objects.flush().events, [], 'nothing left to end');

    const again = new CameraObjects('cam', {}, seededRandom(1));
    for (const f of clip(4, () => [det(square(100, 100))])) again.push(f);
    const ended = again.endAll();
    assert.equal(ended.events.length, 1);
    assert.ok(close(ended.events[0].after.endTime!, T0 + 0.6));
  });

  it('counts are only sent when they change', () => {
    const frames = clip(20, (i) => (i < 10 ? [det(square(100, 100))] : [det(square(100, 100)), det(square(700, 100))]));
    const { updates } = run(frames);
    const counted = updates.map((u, i) => [i, u.counts?.all.person]).filter(([, c]) => c !== undefined);
    assert.deepEqual(counted, [[0, 0], [1, 1], [11, 2]]);
  });

  it('gives identical events whether the wall clock stands still or jumps 3 h a frame (time is pts)', () => {
    const frames = clip(60, (i) => [det(square(i * 15, 300)), ...(i % 9 === 4 ? [] : [det(square(900 - i * 10, 200))])]);
    const options: CameraObjectsInput = { tracker: { heartbeatSeconds: 3, maxDisappearedSeconds: 1 } };
    const runWith = (tickMs: number) => {
      const clock = { now: T0 * 1000 };
      return withWallClock(clock, () => {
        const objects = new CameraObjects('cam', options, seededRandom(42));
        const updates = frames.map((f) => {
          clock.now += tickMs;
          return objects.push(f);
        });
        clock.now += tickMs;
        updates.push(objects.flush());
        return updates;
      });
    };
    const still = runWith(0);
    assert.deepEqual(runWith(3 * 3600_000), still);
    assert.deepEqual(still, run(frames, options, true).updates, 'the same as under the real clock');
    assert.ok(still.some((u) => u.events.some((e) => e.type === 'update')), 'the clip has heartbeat updates to compare');
  });

  it('ends an object after a pts gap of hours while the wall clock stands still', () => {
    const clock = { now: T0 * 1000 };
    const gap = 2 * 3600;
    const frames = [...clip(10, () => [det(square(100, 100))]), frameResult(10, T0 + gap, []), frameResult(11, T0 + gap + 0.2, [])];
    const { events } = withWallClock(clock, () => run(frames, { tracker: { maxDisappearedSeconds: 1 } }));
    assert.deepEqual(types(events), ['new', 'end']);
    // the end carries stream time: the frame that found it gone, two hours after it was last seen
    assert.ok(close(events[1].after.endTime!, T0 + gap), `endTime ${events[1].after.endTime}`);
  });

  it('ignores masked detections and untracked labels', () => {
    const masks = [[[0, 0], [0.5, 0], [0.5, 1], [0, 1]] as [number, number][]];
    const dets: Detection[] = [det(square(100, 100)), det(square(900, 100), 0.9, 'dog')];
    const { events } = run(clip(5, () => dets), { masks });
    assert.deepEqual(events, []);
  });

  it('rejects a frame of another camera and bad options', () => {
    const objects = new CameraObjects('cam');
    assert.throws(() => objects.push(frameResult(0, T0, [], 'other')), /result\.frame\.camera: expected 'cam', got 'other'/);
    assert.throws(() => new CameraObjects('cam', { tracker: { heartbeatSeconds: 0 } }), RangeError);
  });

  it('exports every default in one object', () => {
    assert.deepEqual(DEFAULT_OBJECT_OPTIONS.objects.track, ['person']);
    assert.equal(DEFAULT_OBJECT_OPTIONS.filter.threshold, 0.7);
    assert.equal(DEFAULT_OBJECT_OPTIONS.filter.minScore, 0.5);
    assert.ok(Object.isFrozen(DEFAULT_OBJECT_OPTIONS.tracker));
  });

  it('wall clock: a stream starting at 0 is anchored at its first capture; ids carry epoch time and differ across restarts', () => {
    // given a live camera whose stream clock starts at 0, captured from 2026-01-01T00:00:00Z, restarted once
    const wall0 = Date.UTC(2026, 0, 1) / 1000;
    const live = (start: number) => clip(30, (i) => (i < 20 ? [det(square(500 + i * 10, 300))] : [])).map((f, i) => {
      f.frame.pts = i / 5;
      f.frame.capturedAt = (start + i / 5) * 1000 + (i % 3); // capture jitter must not move the anchor
      return f;
    });
    const runOnce = (start: number) => {
      const objects = new CameraObjects('cam', { tracker: { maxDisappearedSeconds: 1 } }, seededRandom(42)); // same ids' randomness both times
      return live(start).map((f) => objects.push(f));
    };
    const first = runOnce(wall0);
    const second = runOnce(wall0 + 3600);
    // then the offset is the first frame's capture minus its pts, the same in every update
    assert.deepEqual([...new Set(first.map((u) => u.epochOffset))], [wall0]);
    const created = first.flatMap((u) => u.events).find((e) => e.type === 'new')!;
    assert.match(created.after.id, new RegExp(`^${wall0}\\.000000-[a-z0-9]{6}$`));
    const again = second.flatMap((u) => u.events).find((e) => e.type === 'new')!;
    assert.notEqual(again.after.id, created.after.id, 'a restart never repeats an id, even with the same random draws');
    assert.match(again.after.id, new RegExp(`^${wall0 + 3600}\\.000000-`));
    // and object times stay on stream time (exact differences), the epoch is offset + pts
    assert.equal(created.after.startTime, 0);
  });
});
