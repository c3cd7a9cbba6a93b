import assert from 'node:assert/strict';
import { computeTransform, cropTransform, toSourceBox } from '../../core/letterbox.js';
import type { Detection, Frame, FrameResult } from '../../core/types.js';
import { cropResize } from '../../models/crop-resize.js';
import { mergeRegionDetections, regionToSource, sourceToPicture } from '../../pipeline/region-merge.js';
import { RegionPlanner, type RegionSettings } from '../../pipeline/region-planner.js';
import { Tracker } from '../../pipeline/track.js';

const det = (box: [number, number, number, number], score = 0.9, label = 'person'): Detection => ({ label, classId: 0, score, box });

describe('regions: mapping back to the source', () => {
  it('a box found in a crop at picture scale lands where it is in the source (picture = source)', () => {
    // given a 1280×720 picture of a 1280×720 source, and the 416² region at (300, 100)
    const picture = { width: 1280, height: 720, data: new Uint8Array(1280 * 720 * 3) };
    const crop = cropResize(picture, [300, 100, 716, 516], 416, 'gbrp', new Uint8Array(416 * 416 * 3));
    const t = cropTransform({ srcWidth: 1280, srcHeight: 720 }, picture, crop);
    // a box at (10, 20)-(50, 80) in the model's input is at (310, 120)-(350, 180) in the source
    assert.deepEqual(toSourceBox(10, 20, 50, 80, t), [310, 120, 350, 180]);
  });

  it('a scaled crop of a smaller picture maps through both scales', () => {
    // given a 1920×1080 source seen as a 1280×720 picture, and a 640² region at (320, 40) resized to 320²
    const picture = { width: 1280, height: 720, data: new Uint8Array(1280 * 720 * 3) };
    const crop = cropResize(picture, [320, 40, 960, 680], 320, 'gbrp', new Uint8Array(320 * 320 * 3));
    assert.equal(crop.scaleX, 0.5);
    const t = cropTransform({ srcWidth: 1920, srcHeight: 1080 }, picture, crop);
    // model (0,0) is picture (320, 40) is source (480, 60); model (100, 100) is picture (520, 240) is source (780, 360)
    assert.deepEqual(toSourceBox(0, 0, 100, 100, t), [480, 60, 780, 360]);
    // and boxes past the source's edge are clipped to it
    assert.deepEqual(toSourceBox(310, 310, 700, 700, t).slice(2), [1920, 1080]);
  });

  it('regions and source boxes convert both ways between picture and source pixels', () => {
    const picture = { width: 1280, height: 720 };
    const frame = computeTransform({ width: 416, height: 416, resize: 'letterbox' }, 1920, 1080);
    assert.deepEqual(regionToSource([320, 40, 960, 680], picture, frame), [480, 60, 1440, 1020]);
    assert.deepEqual(sourceToPicture([480, 60, 1440, 1020], picture, frame), [320, 40, 960, 680]);
  });
});

describe('regions: merging detections across overlapping regions', () => {
  it('one object seen by two overlapping regions comes out once, with the better box', () => {
    const merged = mergeRegionDetections([[det([100, 100, 150, 200], 0.8)], [det([101, 99, 151, 201], 0.9)]]);
    assert.deepEqual(merged, [det([101, 99, 151, 201], 0.9)]);
  });

  it('an object cut by one region’s edge is kept whole from the other region', () => {
    // region A sees only the left part of the person, region B the whole person
    const merged = mergeRegionDetections([[det([100, 100, 130, 200], 0.6)], [det([100, 100, 160, 200], 0.85)]]);
    assert.deepEqual(merged, [det([100, 100, 160, 200], 0.85)]);
  });

  it('different labels and separate objects are all kept', () => {
    const merged = mergeRegionDetections([
      [det([100, 100, 150, 200], 0.8), det([100, 100, 150, 200], 0.7, 'dog')],
      [det([400, 100, 450, 200], 0.9)],
    ]);
    assert.equal(merged.length, 3);
    assert.deepEqual(merged.map((d) => d.label).sort(), ['dog', 'person', 'person']);
  });
});

describe('tracker with regions', () => {
  it('a track outside every region is held: not aged, not ended, while frames elsewhere go on', () => {
    const tracker = new Tracker({ maxDisappearedSeconds: 1 });
    const box: [number, number, number, number] = [100, 100, 150, 150];
    const first = tracker.update(0, [det(box)]);
    const id = first.tracks[0].id;
    // 3 s of frames that look only far away (and frames skipped: no region at all)
    for (let i = 1; i <= 30; i++) {
      const u = tracker.update(i / 10, [], [], i % 2 ? [[800, 0, 1216, 416]] : []);
      assert.deepEqual(u.removed, [], `frame ${i} removed nothing`);
    }
    assert.equal(tracker.update(3.1, [det(box)], [], [[0, 0, 416, 416]]).tracks[0].id, id, 'the same object when looked at again');
  });

  it('a track in a region that does not find it ends after maxDisappearedSeconds of looking', () => {
    const tracker = new Tracker({ maxDisappearedSeconds: 1 });
    tracker.update(0, [det([100, 100, 150, 150])]);
    const removedAt: number[] = [];
    for (let i = 1; i <= 20; i++) if (tracker.update(i / 10, [], [], [[0, 0, 416, 416]]).removed.length > 0) removedAt.push(i / 10);
    assert.deepEqual(removedAt, [1]);
  });

  it('time spent outside regions does not count towards its disappearance', () => {
    const tracker = new Tracker({ maxDisappearedSeconds: 1 });
    tracker.update(0, [det([100, 100, 150, 150])]);
    const removedAt: number[] = [];
    // looked at 0.1–0.5, held 0.6–2.5, looked at again from 2.6: 0.5 s + 0.5 s of looking ends it at 3.0
    for (let i = 1; i <= 40; i++) {
      const looked = i <= 5 || i > 25;
      if (tracker.update(i / 10, [], [], looked ? [[0, 0, 416, 416]] : []).removed.length > 0) removedAt.push(i / 10);
    }
    assert.equal(removedAt.length, 1);
    assert.ok(Math.abs(removedAt[0] - 3.0) < 1e-6, `ended at ${removedAt[0]}`);
  });
});

describe('RegionPlanner', () => {
  const settings: RegionSettings = { detectMode: 'regions', regions: { fullScanSeconds: 2, stationaryRecheckFrames: 5 }, tracker: { maxDisappearedSeconds: 1 }, objects: { track: ['person'] } };
  const frameAt = (pts: number): Frame => ({
    camera: 'c', seq: Math.round(pts * 10), pts, capturedAt: 0,
    format: { width: 160, height: 160, layout: 'gbrp', resize: 'letterbox', padValue: 114 },
    transform: computeTransform({ width: 160, height: 160, resize: 'letterbox' }, 1280, 720),
    data: new Uint8Array(0),
    picture: { width: 1280, height: 720, data: new Uint8Array(0) },
    release: () => undefined,
  });
  const still = { boxes: [], fraction: 0, recalibrated: false };

  it('scans the whole frame at start and every fullScanSeconds, skips still empty frames, looks around motion', () => {
    const p = new RegionPlanner(() => settings, 160);
    assert.equal(p.plan(frameAt(0), { ...still, recalibrated: true }).regions, undefined, 'full scan at start');
    assert.deepEqual(p.plan(frameAt(0.1), still).regions, [], 'nothing moves, nothing known: skipped');
    const moving = p.plan(frameAt(0.2), { boxes: [[600, 300, 640, 340]], fraction: 0.01, recalibrated: false }).regions;
    assert.deepEqual(moving, [[540, 240, 700, 400]], 'a model-sized square around the motion');
    assert.equal(p.plan(frameAt(2.0), still).regions, undefined, 'full scan again after 2 s');
    const s = p.stats().c;
    assert.deepEqual([s.frames, s.framesSkipped, s.fullFrames, s.regionFrames, s.regionsPerFrame], [4, 1, 2, 1, 1]);
  });

  it('cameras started together keep apart in their full scans: each its own phase of the period after the first', () => {
    const p = new RegionPlanner(() => settings, 160);
    const cameras = ['a', 'b', 'c', 'd'];
    const scans = new Map<string, number[]>(cameras.map((c) => [c, []]));
    for (let i = 0; i <= 60; i++) {
      for (const camera of cameras) {
        const pts = i / 10;
        const frame = p.plan({ ...frameAt(pts), camera }, i === 0 ? { ...still, recalibrated: true } : still);
        if (frame.regions === undefined) scans.get(camera)!.push(pts);
      }
    }
    for (const [camera, at] of scans) {
      assert.equal(at[0], 0, `${camera}: the first scan at start`);
      // then every fullScanSeconds (2 s) from its own phase
      for (let k = 2; k < at.length; k++) assert.ok(Math.abs(at[k]! - at[k - 1]! - 2) < 0.11, `${camera}: scans at ${at}`);
    }
    const second = cameras.map((c) => scans.get(c)![1]!);
    assert.equal(second[0], 2, 'the first camera keeps the plain period');
    const sorted = [...second].sort((x, y) => x - y);
    for (let k = 1; k < sorted.length; k++) assert.ok(sorted[k]! - sorted[k - 1]! >= 0.3, `second scans spread over the period: ${second}`);
  });

  it('a known object that nothing moves is looked at again every stationaryRecheckFrames frames', () => {
    const p = new RegionPlanner(() => settings, 160);
    p.plan(frameAt(0), { ...still, recalibrated: true });
    const result: FrameResult = { frame: frameAt(0), detections: [det([100, 100, 140, 140])], timings: { queuedMs: 0, inferenceMs: 0, postprocessMs: 0, batchSize: 1 } };
    p.observe(result);
    const looked = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => (p.plan(frameAt(i / 10), still).regions?.length ?? -1) > 0);
    assert.deepEqual(looked, [false, false, false, false, true, false, false, false, false, true]);
  });

  it('a known object looked for and not found is looked at in every frame until the tracker would end it, then no more', () => {
    const p = new RegionPlanner(() => settings, 160);
    p.plan(frameAt(0), { ...still, recalibrated: true });
    p.observe({ frame: frameAt(0), detections: [det([100, 100, 140, 140])], timings: { queuedMs: 0, inferenceMs: 0, postprocessMs: 0, batchSize: 1 } });
    const looked: boolean[] = [];
    for (let i = 1; i <= 28; i++) {
      const frame = p.plan(frameAt(i / 10), still);
      looked.push(frame.regions === undefined || frame.regions.length > 0);
      // it has gone: nothing found wherever the frame was looked at (picture and source pixels are the same here)
      p.observe({ frame, detections: [], timings: { queuedMs: 0, inferenceMs: 0, postprocessMs: 0, batchSize: 1 }, ...(frame.regions ? { regions: [...frame.regions] } : {}) });
    }
    assert.deepEqual(looked.slice(0, 4), [false, false, false, false], 'still and known: skipped until the recheck');
    assert.ok(looked.slice(4, 23).every(Boolean), `missing: looked at in every frame from the recheck (0.5 s) past its end (1.4 s): ${looked}`);
    assert.deepEqual(looked.slice(26), [false, false], 'given up a second after the tracker ends it');
  });

  it('full mode leaves every frame whole', () => {
    const p = new RegionPlanner(() => ({ ...settings, detectMode: 'full' }), 160);
    assert.equal(p.plan(frameAt(0.1), still).regions, undefined);
    assert.deepEqual(p.stats(), {});
  });
});
