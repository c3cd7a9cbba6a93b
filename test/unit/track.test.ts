import assert from 'node:assert/strict';
import { assignMaxWeight } from '../../pipeline/assignment.js';
import { iou } from '../../core/geometry.js';
import { makeTrackId, Tracker } from '../../pipeline/track.js';
import { seededRandom } from '../../core/random.js';
import type { Box, Detection } from '../../core/types.js';
import { withWallClock } from '../helpers/wall-clock.js';

const det = (box: Box, score = 0.9, label = 'person'): Detection => ({ label, classId: label === 'person' ? 0 : 2, score, box });
const square = (x: number, y: number, size = 50): Box => [x, y, x + size, y + size];
const T0 = 1718000000;

describe('tracker', () => {
  describe('ids', () => {
    it('are <pts with 6 decimals>-<6 chars> and repeat with the same seed', () => {
      const a = makeTrackId(1718000000.123456, seededRandom(7));
      const b = makeTrackId(1718000000.123456, seededRandom(7));
      assert.match(a, /^1718000000\.123456-[a-z0-9]{6}$/);
      assert.equal(a, b);
      assert.notEqual(a, makeTrackId(1718000000.123456, seededRandom(8)));
    });

    it('never repeats within a tracker even when the random source does', () => {
      // the first two ids drawn are identical ('aaaaaa'), so the second track must draw again
      let calls = 0;
      const stuckThenMoving = () => (calls++ < 12 ? 0 : 0.5);
      const { tracks } = new Tracker({}, stuckThenMoving).update(T0, [det(square(0, 0)), det(square(300, 0))]);
      assert.deepEqual(tracks.map((t) => t.id), [`${T0.toFixed(6)}-aaaaaa`, `${T0.toFixed(6)}-ssssss`]);
    });
  });

  it('iou of identical, disjoint and half-overlapping boxes', () => {
    assert.equal(iou([0, 0, 10, 10], [0, 0, 10, 10]), 1);
    assert.equal(iou([0, 0, 10, 10], [20, 0, 30, 10]), 0);
    assert.ok(Math.abs(iou([0, 0, 10, 10], [5, 0, 15, 10]) - 1 / 3) < 1e-12);
  });

  it('a box moving steadily keeps one id', () => {
    const tracker = new Tracker({}, seededRandom(1));
    const ids = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const { tracks } = tracker.update(T0 + i * 0.2, [det(square(10 + i * 15, 100))]);
      assert.equal(tracks.length, 1);
      ids.add(tracks[0].id);
    }
    assert.equal(ids.size, 1);
  });

  it('a missed frame keeps the id because the box is looked for where it should have moved', () => {
    // 20 px per frame with a 50 px box: after one missed frame the last seen box and the detection overlap IoU 0.11,
    // under the 0.3 gate, so only the constant-velocity prediction can bridge the gap.
    const tracker = new Tracker({}, seededRandom(2));
    const xs = [0, 20, 40, 60, /* missed */ 100, 120];
    let id: string | undefined;
    for (let i = 0; i < 6; i++) {
      const dets = i === 4 ? [] : [det(square(xs[i < 4 ? i : i - 1], 200))];
      const { tracks } = tracker.update(T0 + i * 0.2, dets);
      assert.equal(tracks.length, 1, `frame ${i}`);
      id ??= tracks[0].id;
      assert.equal(tracks[0].id, id, `frame ${i}`);
      assert.equal(tracks[0].matched, i !== 4);
    }
    assert.ok(iou(square(60, 200), square(100, 200)) < 0.3);
  });

  it('an object leaving the frame keeps its id down to a sliver at the edge (expected boxes are cut at the edge)', () => {
    // the collect scene's square, 48 px at 16 px a frame, leaving a 480 px wide frame: seen as 22 px, then 6 px, of
    // itself. Compared whole, the expected box overlaps the 6 px sliver IoU 0.27 (< 0.3); cut at the edge, 0.43.
    const frame = { width: 480, height: 270 };
    const seen = (x: number): Box => [x, 110, Math.min(480, x + 48), 158];
    const run = (size?: typeof frame) => {
      const tracker = new Tracker({}, seededRandom(4));
      const ids = new Set<string>();
      for (const [i, x] of [394, 410, 426, 442, 458, 474].entries()) {
        for (const t of tracker.update(T0 + i * 0.1, [det(seen(x), 1, 'square')], [], undefined, size).tracks) if (t.matched) ids.add(t.id);
      }
      return ids.size;
    };
    assert.equal(run(frame), 1);
    assert.equal(run(undefined), 2, 'without the frame size the sliver starts a second object (the case this guards)');
  });

  it('two crossing objects keep their ids', () => {
    const tracker = new Tracker({}, seededRandom(3));
    // A walks right, B walks left, in lanes 10 px apart: they overlap heavily in the middle frames.
    const a = (i: number) => square(20 + i * 20, 100, 60);
    const b = (i: number) => square(420 - i * 20, 110, 60);
    const first = tracker.update(T0, [det(a(0)), det(b(0))]).tracks;
    const idA = first.find((t) => t.box[0] === a(0)[0])!.id;
    const idB = first.find((t) => t.box[0] === b(0)[0])!.id;
    let overlapped = false;
    for (let i = 1; i <= 20; i++) {
      // detections in the "wrong" order, to show order does not decide identity
      const { tracks } = tracker.update(T0 + i * 0.2, [det(b(i)), det(a(i))]);
      assert.equal(tracks.length, 2, `frame ${i}`);
      assert.deepEqual(tracks.find((t) => t.id === idA)!.box, a(i), `A at frame ${i}`);
      assert.deepEqual(tracks.find((t) => t.id === idB)!.box, b(i), `B at frame ${i}`);
      if (iou(a(i), b(i)) > 0.5) overlapped = true;
    }
    assert.ok(overlapped, 'the paths really crossed');
  });

  it('two objects meeting head-on in the same lane keep their ids (only velocity tells them apart)', () => {
    // at frame 10 both boxes are identical; right after, each detection overlaps both last-seen boxes equally
    const tracker = new Tracker({}, seededRandom(13));
    const a = (i: number) => square(20 + i * 20, 100, 60);
    const b = (i: number) => square(420 - i * 20, 100, 60);
    const first = tracker.update(T0, [det(a(0)), det(b(0))]).tracks;
    const [idA, idB] = [first[0].id, first[1].id];
    for (let i = 1; i <= 20; i++) {
      const { tracks } = tracker.update(T0 + i * 0.2, i % 2 ? [det(b(i)), det(a(i))] : [det(a(i)), det(b(i))]);
      assert.equal(tracks.length, 2, `frame ${i}`);
      assert.deepEqual(tracks.find((t) => t.id === idA)!.box, a(i), `A at frame ${i}`);
      assert.deepEqual(tracks.find((t) => t.id === idB)!.box, b(i), `B at frame ${i}`);
    }
  });

  it('keeps labels apart: a car never takes over a person track', () => {
    const tracker = new Tracker({}, seededRandom(4));
    const person = tracker.update(T0, [det(square(0, 0), 0.9, 'person')]).tracks[0];
    const { tracks } = tracker.update(T0 + 0.2, [det(square(0, 0), 0.9, 'car')]);
    assert.equal(tracks.length, 2);
    assert.equal(tracks.find((t) => t.id === person.id)!.matched, false);
    assert.equal(tracks.find((t) => t.id !== person.id)!.label, 'car');
  });

  it('a low-score detection keeps a track alive but never creates one', () => {
    const tracker = new Tracker({ maxDisappearedSeconds: 1 }, seededRandom(5));
    const id = tracker.update(T0, [det(square(0, 0))]).tracks[0].id;
    // 3 s of low-score sightings: far beyond maxDisappearedSeconds, still the same track
    for (let i = 1; i <= 15; i++) {
      const { tracks, removed } = tracker.update(T0 + i * 0.2, [], [det(square(i, 0), 0.2)]);
      assert.equal(removed.length, 0);
      assert.equal(tracks.length, 1);
      assert.equal(tracks[0].id, id);
      assert.equal(tracks[0].score, 0.2);
    }
    // low-score detections elsewhere start nothing
    const { tracks } = tracker.update(T0 + 3.2, [], [det(square(15, 0), 0.2), det(square(500, 500), 0.3)]);
    assert.equal(tracks.length, 1);
    const fresh = new Tracker({}, seededRandom(6));
    assert.equal(fresh.update(T0, [], [det(square(0, 0), 0.3)]).tracks.length, 0);
  });

  it('a low-score detection does not revive a track that was already lost', () => {
    const tracker = new Tracker({ maxDisappearedSeconds: 5 }, seededRandom(9));
    tracker.update(T0, [det(square(0, 0))]);
    tracker.update(T0 + 0.2, []); // lost
    const { tracks } = tracker.update(T0 + 0.4, [], [det(square(0, 0), 0.3)]);
    assert.equal(tracks[0].matched, false);
  });

  it('removes a track after maxDisappearedSeconds of stream time without a match', () => {
    const tracker = new Tracker({ maxDisappearedSeconds: 1 }, seededRandom(10));
    const id = tracker.update(T0, [det(square(0, 0))]).tracks[0].id;
    for (let i = 1; i < 5; i++) {
      const u = tracker.update(T0 + i * 0.2, []);
      assert.equal(u.removed.length, 0, `frame ${i}`);
      assert.equal(u.tracks.length, 1);
    }
    const last = tracker.update(T0 + 1.0, []);
    assert.deepEqual(last.removed.map((t) => t.id), [id]);
    assert.equal(last.tracks.length, 0);
    assert.equal(tracker.size, 0);
  });

  it('becomes stationary after stationaryFrames of a still centre, and moving again when it leaves', () => {
    const tracker = new Tracker({ stationaryFrames: 5 }, seededRandom(11));
    const flags: boolean[] = [];
    for (let i = 0; i < 8; i++) {
      const jitter = i % 2 === 0 ? 0 : 2; // 2 px on a 100 px box is within the 10 % tolerance
      flags.push(tracker.update(T0 + i * 0.2, [det(square(100 + jitter, 100, 100))]).tracks[0].stationary);
    }
    assert.deepEqual(flags, [false, false, false, false, false, true, true, true]);
    const moved = tracker.update(T0 + 1.6, [det(square(140, 100, 100))]).tracks[0];
    assert.equal(moved.stationary, false);
    assert.equal(moved.motionlessFrames, 0);
  });

  it('gives the same tracks whatever the wall clock does (time is pts): a clock that stands still or jumps 3 h a frame', () => {
    const frames = Array.from({ length: 30 }, (_, i) => ({ pts: T0 + i * 0.2, dets: i % 7 === 3 ? [] : [det(square(i * 12, 50)), det(square(600 - i * 12, 80))] }));
    const run = (tickMs: number) => {
      const clock = { now: T0 * 1000 };
      return withWallClock(clock, () => {
        const tracker = new Tracker({}, seededRandom(12));
        return frames.map((f) => {
          clock.now += tickMs;
          const u = tracker.update(f.pts, f.dets);
          return JSON.stringify([u.tracks.map((t) => [t.id, t.box, t.matched]), u.removed.map((t) => t.id)]);
        });
      });
    };
    const still = run(0);
    assert.deepEqual(run(3 * 3600_000), still);
    assert.ok(still.some((u) => u.includes(',true]')), 'tracks were matched across frames');
  });

  it('lets go of a track after a pts gap of hours while the wall clock stands still', () => {
    const clock = { now: T0 * 1000 };
    withWallClock(clock, () => {
      const tracker = new Tracker({ maxDisappearedSeconds: 2 }, seededRandom(3));
      let id = '';
      for (let i = 0; i < 5; i++) id = tracker.update(T0 + i * 0.2, [det(square(100, 100))]).tracks[0].id;
      // two hours of stream time later, at the same wall-clock instant, a frame without it: the track is gone
      const later = tracker.update(T0 + 2 * 3600, []);
      assert.deepEqual(later.removed.map((t) => t.id), [id]);
      assert.equal(later.tracks.length, 0);
      const again = tracker.update(T0 + 2 * 3600 + 0.2, [det(square(100, 100))]);
      assert.notEqual(again.tracks[0].id, id, 'the square that comes back is a new object');
    });
  });
});

describe('assignMaxWeight', () => {
  it('prefers the total over the single best pair (where greedy would strand a row)', () => {
    // greedy takes (0,0)=0.6 and leaves row 1 with nothing; the optimum is (0,1)+(1,0) = 1.05
    assert.deepEqual(assignMaxWeight([[0.6, 0.5], [0.55, 0]]), [1, 0]);
  });

  it('handles more rows than columns and leaves zero-weight pairs unassigned', () => {
    assert.deepEqual(assignMaxWeight([[0.9], [0.95], [0]]), [-1, 0, -1]);
    assert.deepEqual(assignMaxWeight([[0, 0], [0, 0.4]]), [-1, 1]);
    assert.deepEqual(assignMaxWeight([]), []);
  });
});
