import assert from 'node:assert/strict';
import { crossingFraction, signedDistance } from '../../core/geometry.js';
import type { CameraUpdate, Detection, FrameResult, LineCount } from '../../core/types.js';
import { CameraObjects, type CameraObjectsInput } from '../../pipeline/events.js';
import { LineCounts, nextResetAfter } from '../../pipeline/line-counts.js';
import { LineCrossings } from '../../pipeline/lines.js';
import { seededRandom } from '../../core/random.js';
import { det, frameResult, T0 } from './object-fixtures.js';

const FPS = 10;
/** a horizontal line across the middle of the 1280×720 picture, drawn left to right: side a is above, b below */
const MIDDLE = { points: [[200, 360], [1000, 360]] as [[number, number], [number, number]] };
/** a 100 px person box whose bottom centre is at (x, y) */
const standingAt = (x: number, y: number, label = 'person'): Detection => det([x - 50, y - 100, x + 50, y], 0.9, label);

/** frames at FPS from T0 with wall-clock capture times from `wall0` */
function frames(count: number, at: (i: number) => Detection[], wall0 = 0): FrameResult[] {
  return Array.from({ length: count }, (_, i) => {
    const f = frameResult(i, T0 + i / FPS, at(i));
    f.frame.capturedAt = wall0 + (i * 1000) / FPS;
    return f;
  });
}

function run(input: FrameResult[], options: CameraObjectsInput): CameraUpdate[] {
  const objects = new CameraObjects('cam', { tracker: { maxDisappearedSeconds: 2 }, ...options }, seededRandom(7));
  return input.map((f) => objects.push(f));
}

const crossingsOf = (updates: CameraUpdate[]) => updates.flatMap((u) => u.crossings ?? []);
const directions = (updates: CameraUpdate[]) => crossingsOf(updates).map((c) => c.direction);
const finalCounts = (updates: CameraUpdate[]): LineCount[] => updates.filter((u) => u.lineCounts).at(-1)!.lineCounts!;
const count = (counts: LineCount[], line: string, label: string, direction: 'in' | 'out') => counts.find((c) => c.line === line && c.label === label && c.direction === direction);

describe('counting lines', () => {
  describe('geometry', () => {
    it('side a is left of p1→p2 as drawn (above a line drawn left to right), with the distance in pixels', () => {
      assert.equal(signedDistance([600, 300], [200, 360], [1000, 360]), -60);
      assert.equal(signedDistance([600, 400], [200, 360], [1000, 360]), 40);
      // drawn top to bottom, side a is on the right of the picture (the walker's left)
      assert.ok(signedDistance([700, 100], [600, 0], [600, 720]) < 0);
    });

    it('a move meets the segment at a fraction along p1→p2; outside 0..1 beyond an end; NaN when parallel', () => {
      assert.equal(crossingFraction([600, 300], [600, 400], [200, 360], [1000, 360]), 0.5);
      assert.equal(crossingFraction([1100, 300], [1100, 400], [200, 360], [1000, 360]), 1.125);
      assert.ok(Number.isNaN(crossingFraction([0, 300], [100, 300], [200, 360], [1000, 360])));
    });
  });

  describe('crossings on tracks with closed-form motion', () => {
    it('an object swinging across the line (sine, 8 s period, 4 periods): 4 out and 3 in, at the right times', () => {
      // bottom centre y = 360 + 200 sin(2πt/8): on the line at t = 0, below (b) first, crossing every 4 s
      const updates = run(frames(320, (i) => [standingAt(600, 360 + 200 * Math.sin((2 * Math.PI * (i / FPS)) / 8))]), { lines: { middle: MIDDLE } });
      assert.deepEqual(directions(updates), ['out', 'in', 'out', 'in', 'out', 'in', 'out']);
      // confirmed on the 3rd update past the line (minFrames 3): crossing at k·4 s, the first frame past it is k·4 + 0.1
      const times = crossingsOf(updates).map((c) => Math.round((c.time - T0) * 10) / 10);
      assert.deepEqual(times, [4.3, 8.3, 12.3, 16.3, 20.3, 24.3, 28.3]);
      assert.equal(new Set(crossingsOf(updates).map((c) => c.id)).size, 1, 'one object');
      const counts = finalCounts(updates);
      assert.deepEqual([count(counts, 'middle', 'person', 'in')?.total, count(counts, 'middle', 'person', 'out')?.total], [3, 4]);
      assert.deepEqual([count(counts, 'middle', 'person', 'in')?.today, count(counts, 'middle', 'person', 'out')?.today], [3, 4]);
    });

    it('counts only the crossings through the segment: past the end by 10 px counts nothing, 10 px inside counts', () => {
      const down = (x: number) => frames(40, (i) => [standingAt(x, 200 + 10 * i)]);
      assert.deepEqual(directions(run(down(1010), { lines: { middle: MIDDLE } })), []);
      assert.deepEqual(directions(run(down(990), { lines: { middle: MIDDLE } })), ['in']);
      // and the grazing object switched sides silently: coming back up past the end counts nothing either
      const backAndForth = frames(80, (i) => [standingAt(1010, i < 40 ? 200 + 10 * i : 590 - 10 * (i - 40))]);
      assert.deepEqual(directions(run(backAndForth, { lines: { middle: MIDDLE } })), []);
    });

    it('an object that stops on the line and jitters across it (±3 px, 1 or 2 frames a side) counts once, when it goes on', () => {
      const jitter1 = [-3, 3];
      const jitter2 = [-3, -3, 3, 3];
      for (const pattern of [jitter1, jitter2]) {
        // frames 0..19 walk down to 3 px above the line, 20..79 jitter, then walk on down
        const at = (i: number) => (i < 20 ? 360 - 3 - 10 * (19 - i) : i < 80 ? 360 + pattern[i % pattern.length] : 363 + 10 * (i - 79));
        const updates = run(frames(110, (i) => [standingAt(600, at(i))]), { lines: { middle: MIDDLE } });
        assert.deepEqual(directions(updates), ['in'], `pattern ${pattern.join(',')}`);
        assert.ok(crossingsOf(updates)[0].time - T0 > 7.95, 'counted after the jitter (frames 20..79), not during it');
      }
    });

    it('minDistance: a slow drift 5 px past the line does not count with minDistance 20; 30 px does', () => {
      const drift = (depth: number) => frames(60, (i) => [standingAt(600, i < 20 ? 300 + 3 * i : Math.min(360 + depth, 360 + (i - 20)))]);
      assert.deepEqual(directions(run(drift(5), { lines: { middle: { ...MIDDLE, minDistance: 20 } } })), []);
      assert.deepEqual(directions(run(drift(30), { lines: { middle: { ...MIDDLE, minDistance: 20 } } })), ['in']);
    });

    it('a detection gap while on the line (8 frames missing) still counts the crossing once, on the same object', () => {
      // 8 px per frame down; detections missing for frames 20..27, while the bottom centre passes y = 340..396
      const updates = run(frames(60, (i) => (i >= 20 && i < 28 ? [] : [standingAt(600, 180 + 8 * i)])), { lines: { middle: MIDDLE } });
      assert.deepEqual(directions(updates), ['in']);
      const ids = new Set(updates.flatMap((u) => u.events.map((e) => e.after.id)));
      assert.equal(ids.size, 1, 'the track survived the gap');
      assert.equal(crossingsOf(updates)[0].id, [...ids][0], 'the crossing names the event id');
    });

    it('a prediction alone never counts: an object lost before the line and not seen past it counts nothing', () => {
      const updates = run(frames(60, (i) => (i < 20 ? [standingAt(600, 180 + 8 * i)] : [])), { lines: { middle: MIDDLE } });
      assert.deepEqual(directions(updates), []);
    });

    it('labels and direction filter what counts; line counts list every label and direction counted, zeros included', () => {
      const scene = frames(80, (i) => [standingAt(400, 200 + 10 * i), standingAt(800, 200 + 10 * i, 'car')]);
      const objects = { track: ['person', 'car'] };
      const persons = run(scene, { objects, lines: { door: { ...MIDDLE, labels: ['person'] } } });
      assert.deepEqual(crossingsOf(persons).map((c) => [c.label, c.direction]), [['person', 'in']]);
      assert.deepEqual(finalCounts(persons).map((c) => [c.label, c.direction, c.total]), [['person', 'in', 1], ['person', 'out', 0]]);
      const outOnly = run(scene, { objects, lines: { door: { ...MIDDLE, direction: 'b_to_a' } } });
      assert.deepEqual(crossingsOf(outOnly), []);
      assert.deepEqual(finalCounts(outOnly).map((c) => [c.label, c.direction, c.total]), [['person', 'out', 0], ['car', 'out', 0]]);
      const inOnly = run(scene, { objects, lines: { door: { ...MIDDLE, direction: 'a_to_b' } } });
      assert.deepEqual(crossingsOf(inOnly).map((c) => c.label).sort(), ['car', 'person']);
    });

    it('fractional points resolve against the source size; anchor center crosses later than bottom_center', () => {
      const walk = frames(60, (i) => [standingAt(600, 200 + 10 * i)]);
      const fractional = run(walk, { lines: { middle: { points: [[200 / 1280, 0.5], [1000 / 1280, 0.5]] } } });
      const pixels = run(walk, { lines: { middle: MIDDLE } });
      assert.deepEqual(crossingsOf(fractional).map((c) => c.time), crossingsOf(pixels).map((c) => c.time));
      const centre = run(walk, { lines: { middle: { ...MIDDLE, anchor: 'center' } } });
      // the centre is 50 px above the bottom: 5 frames later at 10 px a frame
      assert.equal(Math.round((crossingsOf(centre)[0].time - crossingsOf(pixels)[0].time) * FPS), 5);
    });

    it('an object that is never an event (score median under the threshold) is never counted', () => {
      const updates = run(frames(60, (i) => [det([550, 100 + 10 * i, 650, 200 + 10 * i], 0.6)]), { lines: { middle: MIDDLE } });
      assert.deepEqual(crossingsOf(updates), []);
    });

    it('state is dropped with the track (memory bounded by live tracks)', () => {
      const lines = new LineCrossings({ middle: MIDDLE });
      for (let id = 0; id < 1000; id++) {
        lines.update(String(id), 'person', [550, 200, 650, 300], true, 1280, 720);
        lines.forget(String(id));
      }
      assert.equal(lines.tracked, 0);
    });

    it('rejects bad lines when built directly, naming the line', () => {
      assert.throws(() => new LineCrossings({ door: { points: [[1, 1], [1, 1]] } }), /lines\.door\.points: the two points must differ/);
      assert.throws(() => new LineCrossings({ door: { ...MIDDLE, minFrames: 0 } }), /lines\.door\.minFrames/);
    });
  });

  describe('daily counts (virtual clock, local time)', () => {
    it('the next reset is the first local HH:MM strictly after now', () => {
      const at = (d: number, h: number, m: number) => new Date(2026, 2, d, h, m).getTime();
      assert.equal(nextResetAfter(at(10, 23, 59), 0), at(11, 0, 0));
      assert.equal(nextResetAfter(at(11, 0, 0), 0), at(12, 0, 0));
      assert.equal(nextResetAfter(at(11, 5, 0), 6 * 60 + 30), at(11, 6, 30));
    });

    it('today goes back to 0 at resetAt, the total keeps counting', () => {
      const c = new LineCounts([{ name: 'door', labels: ['person'], directions: ['in', 'out'], resetAt: '06:30' }]);
      const at = (d: number, h: number, m: number) => new Date(2026, 5, d, h, m).getTime();
      assert.equal(c.tick(at(1, 12, 0)), false);
      c.add('door', 'person', 'in');
      c.add('door', 'person', 'in');
      c.add('door', 'person', 'out');
      assert.equal(c.tick(at(2, 6, 29)), false, 'not yet');
      assert.equal(c.tick(at(2, 6, 30)), true, 'reset');
      c.add('door', 'person', 'in');
      assert.deepEqual(c.snapshot().map((e) => [e.direction, e.total, e.today]), [['in', 3, 1], ['out', 1, 0]]);
      assert.equal(c.tick(at(3, 6, 30)), true);
      assert.equal(c.tick(at(4, 6, 31)), false, 'nothing to zero');
      assert.equal(c.add('door', 'car', 'in'), false, 'a label the line does not count');
    });

    it('through the camera: crossings before and after midnight, counts re-sent at midnight with today 0', () => {
      // capture times from 23:59:50 local; the object crosses at ~3 s (before midnight) and ~19 s (after)
      const wall0 = new Date(2026, 0, 1, 23, 59, 50).getTime();
      const at = (i: number) => (i < 160 ? 300 + 2 * i : 620 - 2 * (i - 160));
      const updates = run(frames(400, (i) => [standingAt(600, at(i))], wall0), { lines: { middle: MIDDLE } });
      const sent = updates.filter((u) => u.lineCounts);
      const inOut = (u: CameraUpdate) => u.lineCounts!.map((e) => `${e.direction}:${e.total}/${e.today}`).join(' ');
      // first update (zeros), the in-crossing, midnight, the out-crossing
      assert.deepEqual(sent.map(inOut), ['in:0/0 out:0/0', 'in:1/1 out:0/0', 'in:1/0 out:0/0', 'in:1/0 out:1/1']);
      const midnight = new Date(2026, 0, 2, 0, 0).getTime();
      const resetUpdate = sent[2];
      assert.equal(Math.round((resetUpdate.pts - T0) * FPS), (midnight - wall0) / 100, 'on the first frame at or after midnight');
      assert.ok(crossingsOf(updates).every((c) => c.wallTime >= wall0));
    });
  });

  describe('loitering (zone loiterSeconds, stream time)', () => {
    it('an object in a zone longer than loiterSeconds gets one update with loitering true; leaving sets it back', () => {
      const zone = { points: [[400, 400], [800, 400], [800, 720], [400, 720]] as [number, number][], loiterSeconds: 2, inertia: 1 };
      // walks down 10 px a frame into the zone (edge at frame 10), stands from frame 20 to 59, walks back out (frame 70)
      const y = (i: number) => (i < 20 ? 300 + 10 * i : i < 60 ? 500 : 500 - 10 * (i - 59));
      const updates = run(frames(80, (i) => [standingAt(600, y(i))]), { zones: { porch: zone } });
      const changes = updates.flatMap((u) => u.events.filter((e) => e.type === 'update').map((e) => [Math.round((u.pts - T0) * FPS), e.after.loitering, e.after.currentZones.join()]));
      assert.deepEqual(changes, [[10, false, 'porch'], [30, true, 'porch'], [70, false, '']]);
    });

    it('a zone without loiterSeconds never flags loitering', () => {
      const zone = { points: [[400, 400], [800, 400], [800, 720], [400, 720]] as [number, number][] };
      const updates = run(frames(100, () => [standingAt(600, 500)]), { zones: { porch: zone } });
      assert.ok(updates.every((u) => u.objects.every((o) => !o.loitering)));
    });
  });

  describe('speed (zone distances, Frigate semantics)', () => {
    it('an object walking 100 px/s through a zone of 0.025 m per pixel goes 9 km/h; 0 again once out of it, the average kept', () => {
      // 800 × 300 px zone whose edges are 20 m and 7.5 m: 0.025 m per pixel everywhere
      const zone = { points: [[200, 400], [1000, 400], [1000, 700], [200, 700]] as [number, number][], distances: [20, 7.5, 20, 7.5], inertia: 1 };
      // walks right at 10 px a frame (10 fps) along y = 500, from x = 100 to 1290
      const updates = run(frames(120, (i) => [standingAt(100 + 10 * i, 500)]), { zones: { road: zone } });
      const objectAt = (i: number) => updates[i].objects[0];
      assert.equal(objectAt(5).currentSpeed, 0, 'not in the zone yet');
      for (const i of [30, 60, 89]) {
        assert.ok(Math.abs(objectAt(i).currentSpeed - 9) < 1e-3, `frame ${i}: ${objectAt(i).currentSpeed}`);
        assert.ok(Math.abs(objectAt(i).averageSpeed - 9) < 1e-3);
      }
      assert.equal(objectAt(100).currentSpeed, 0, 'out of the zone');
      assert.ok(Math.abs(objectAt(100).averageSpeed - 9) < 1e-3, 'the average stays');
    });

    it('perspective: the same pixel speed is faster where a pixel covers more ground (near the edge with the longer metres per pixel)', () => {
      // the far edge (top, y = 400) is 40 m over 800 px (0.05 m/px), the near edge (bottom) 20 m (0.025 m/px); sides 10 m over 300 px
      const zone = { points: [[200, 400], [1000, 400], [1000, 700], [200, 700]] as [number, number][], distances: [40, 10, 20, 10], inertia: 1 };
      const speedAt = (y: number) => {
        const updates = run(frames(60, (i) => [standingAt(300 + 10 * i, y)]), { zones: { road: zone } });
        return updates[40].objects[0].currentSpeed;
      };
      const far = speedAt(420);
      const near = speedAt(680);
      assert.ok(far > near, `${far} > ${near}`);
      // Frigate's interpolation: (vertical + horizontal) / 2 with the side scales equal (1/30 m/px)
      const expected = (yn: number) => (((0.05 + (0.025 - 0.05) * yn + 10 / 300) / 2) * 100 * 3.6);
      assert.ok(Math.abs(near - expected(280 / 300)) < 1e-3, `${near} vs ${expected(280 / 300)}`);
    });
  });
});
