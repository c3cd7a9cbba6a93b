// Hand-built COCO evaluations. How pycocotools turns matches into AP, which every expected value below follows:
// detections sorted by score; tp/fp counted cumulatively; recall rc = tp/gts, precision pr = tp/(tp+fp+ε);
// pr made monotone from the right; AP = mean over the 101 recall thresholds r = 0, 0.01, …, 1 of pr at the first
// index with rc >= r (0 where recall never reaches r). ε = 2^-52 makes a "perfect" AP 1 − ~1e-16, hence `close`.
import assert from 'node:assert/strict';
import type { Category } from '../../pipeline/eval/categories.js';
import {
  boxToCoco,
  cocoToBox,
  evaluateCoco,
  IOU_THRESHOLDS,
  RECALL_THRESHOLDS,
  toCocoDetections,
  type CocoBox,
  type CocoDetection,
  type CocoEvalData,
  type CocoGroundTruth,
} from '../../pipeline/eval/coco-map.js';

const close = (actual: number, expected: number, what = '') => assert.ok(Math.abs(actual - expected) < 1e-9, `${what} ${actual} ≠ ${expected}`);
const cats = (...ids: number[]): Category[] => ids.map((id) => ({ id, name: `c${id}` }));
const gt = (imageId: number, bbox: CocoBox, extra: Partial<CocoGroundTruth> = {}): CocoGroundTruth => ({ imageId, categoryId: 1, bbox, ...extra });
const dt = (imageId: number, bbox: CocoBox, score: number, categoryId = 1): CocoDetection => ({ imageId, categoryId, bbox, score });
const data = (groundTruths: CocoGroundTruth[], detections: CocoDetection[], imageIds = [1], categories = cats(1)): CocoEvalData => ({
  imageIds,
  categories,
  groundTruths,
  detections,
});

describe('eval COCO mAP', () => {
  it('converts between Detection corner boxes and COCO [x, y, w, h]', () => {
    assert.deepEqual(boxToCoco([10, 20, 30, 60]), [10, 20, 20, 40]);
    assert.deepEqual(cocoToBox([10, 20, 20, 40]), [10, 20, 30, 60]);
    // class 2 has no dataset category: dropped
    const out = toCocoDetections(7, [
      { label: 'a', classId: 0, score: 0.9, box: [0, 0, 10, 10] },
      { label: 'b', classId: 2, score: 0.8, box: [0, 0, 5, 5] },
    ], new Map([[0, 18]]));
    assert.deepEqual(out, [{ imageId: 7, categoryId: 18, bbox: [0, 0, 10, 10], score: 0.9 }]);
  });

  it("uses numpy's linspace thresholds", () => {
    // the 9th IoU threshold is 0.8999999999999999 in numpy too; an exact 0.9 would change matches at IoU 0.9
    assert.deepEqual(IOU_THRESHOLDS, [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95]);
    assert.equal(RECALL_THRESHOLDS.length, 101);
    assert.equal(RECALL_THRESHOLDS[50], 0.5);
    assert.equal(RECALL_THRESHOLDS[100], 1);
  });

  it('given perfect detections on two images, then every AP is 1 and precision/recall at the threshold are 1', () => {
    // 3 gts, 3 exact detections: tp 1,2,3, fp 0 → pr ≈ 1 everywhere, rc reaches 1 → AP 1 at every IoU
    const m = evaluateCoco(
      data(
        [gt(1, [0, 0, 10, 10]), gt(1, [50, 50, 40, 40]), gt(2, [5, 5, 200, 100])],
        [dt(1, [0, 0, 10, 10], 0.9), dt(1, [50, 50, 40, 40], 0.8), dt(2, [5, 5, 200, 100], 0.7)],
        [1, 2],
      ),
    );
    close(m.map, 1);
    close(m.map50, 1);
    close(m.map75, 1);
    close(m.mar100, 1);
    assert.equal(m.images, 2);
    assert.equal(m.truePositives, 3);
    assert.equal(m.falsePositives, 0);
    assert.equal(m.precision, 1);
    assert.equal(m.recall, 1);
    assert.equal(m.f1, 1);
    close(m.classes[0]!.ap50, 1);
  });

  it('given no detections, then AP is 0 (gts exist) and recall is 0', () => {
    const m = evaluateCoco(data([gt(1, [0, 0, 10, 10])], []));
    assert.equal(m.map, 0);
    assert.equal(m.map50, 0);
    assert.equal(m.recall, 0);
    assert.equal(m.precision, 0);
    assert.equal(m.classes[0]!.detections, 0);
  });

  it('given detections of the wrong class, then the gt class has AP 0, the gt-less class AP −1, and they count as FP', () => {
    const m = evaluateCoco(data([gt(1, [0, 0, 10, 10])], [dt(1, [0, 0, 10, 10], 0.9, 2)], [1], cats(1, 2)));
    assert.equal(m.classes[0]!.ap, 0);
    assert.equal(m.classes[1]!.ap, -1);
    assert.equal(m.classes[1]!.recall, -1);
    // the mean leaves class 2 out: it is the mean of class 1 alone
    assert.equal(m.map, 0);
    assert.equal(m.falsePositives, 1);
    assert.equal(m.truePositives, 0);
    assert.equal(m.precision, 0);
  });

  it('given a duplicate detection between two hits, then AP = (51·1 + 50·⅔)/101 = 253/303', () => {
    // gts A, B; dets: A (.9) TP, A again (.8) FP (A is taken), B (.7) TP
    // tp 1,1,2  fp 0,1,1  rc ½,½,1  pr 1,½,⅔ → monotone 1,⅔,⅔
    // r in 0..0.50 (51 values) → first index 0 → 1; r in 0.51..1 (50 values) → index 2 → ⅔
    const m = evaluateCoco(
      data([gt(1, [0, 0, 10, 10]), gt(1, [100, 100, 10, 10])], [dt(1, [0, 0, 10, 10], 0.9), dt(1, [0, 0, 10, 10], 0.8), dt(1, [100, 100, 10, 10], 0.7)]),
    );
    close(m.map50, 253 / 303);
    // the boxes are exact (IoU 1), so every IoU threshold gives the same
    close(m.map, 253 / 303);
    assert.equal(m.classes[0]!.falsePositives, 1);
    assert.equal(m.classes[0]!.truePositives, 2);
  });

  it('given a detection with IoU 0.78, then it matches at thresholds .50–.75 only: AP50 = AP75 = 1, AP = 6/10', () => {
    // gt 100×100, detection 78×100 inside it: IoU = 7800/10000 = 0.78
    const m = evaluateCoco(data([gt(1, [0, 0, 100, 100])], [dt(1, [0, 0, 78, 100], 0.9)]));
    close(m.map50, 1);
    close(m.map75, 1);
    close(m.map, 0.6);
  });

  it('given equal scores on two images, then ties are broken by image id, as pycocotools does', () => {
    // image 2 holds the gt and a TP at .5; image 1 a FP at .5. Listed TP first, but pycocotools concatenates
    // images in id order and sorts stably: FP, TP → tp 0,1  fp 1,1  rc 0,1  pr 0,½ → monotone ½,½ → AP ½
    // (in listed order it would be TP, FP → AP 1)
    const m = evaluateCoco(data([gt(2, [0, 0, 10, 10])], [dt(2, [0, 0, 10, 10], 0.5), dt(1, [0, 0, 10, 10], 0.5)], [1, 2]));
    close(m.map50, 0.5);
  });

  it('given equal scores in one image, then ties keep the input order', () => {
    const hit = dt(1, [0, 0, 10, 10], 0.9);
    const miss = dt(1, [500, 500, 10, 10], 0.9);
    // miss first: tp 0,1 fp 1,1 → AP ½ (as above); hit first: tp 1,1 fp 0,1 → rc 1,1 pr 1,½ → AP 1
    close(evaluateCoco(data([gt(1, [0, 0, 10, 10])], [miss, hit])).map50, 0.5);
    close(evaluateCoco(data([gt(1, [0, 0, 10, 10])], [hit, miss])).map50, 1);
  });

  it('given a crowd region, then the detections inside it are absorbed: neither TP nor FP, and it is not a miss', () => {
    // crowd 100×100 at (100,100); two 20×20 detections inside it score higher than the hit on the regular gt.
    // crowd IoU = intersection / detection area = 400/400 = 1, so both match the crowd and are ignored:
    // counted sequence is just the TP → AP 1. The crowd itself is not in the gt count (1 gt, not 2).
    const gts = [gt(1, [0, 0, 10, 10]), gt(1, [100, 100, 100, 100], { iscrowd: true })];
    const dts = [dt(1, [110, 110, 20, 20], 0.95), dt(1, [150, 150, 20, 20], 0.9), dt(1, [0, 0, 10, 10], 0.8)];
    const m = evaluateCoco(data(gts, dts));
    close(m.map, 1);
    assert.equal(m.groundTruths, 1);
    assert.equal(m.falsePositives, 0);
    assert.equal(m.truePositives, 1);
    // without the crowd the two are FPs ahead of the hit: tp 0,0,1 fp 1,2,2 → pr 0,0,⅓ → monotone ⅓ → AP ⅓
    close(evaluateCoco(data([gts[0]!], dts)).map, 1 / 3);
  });

  it('given gts and detections of different sizes, then each area range ignores what lies outside it', () => {
    // S: 10×10 gt (area 100, small), detected at .9; L: 100×100 gt (area 10000, large), not detected.
    // FPs: a small 10×10 at .95 and a large 120×120 (14400) at .85, both far from everything.
    //  all:    FPs, S, FPl → tp 0,1,1 fp 1,1,2, gts 2 → rc 0,½,½ pr 0,½,⅓ → monotone ½,½,⅓
    //          r ≤ .50 (51 values) → ½, above → 0: AP = 25.5/101
    //  small:  L ignored; FPl unmatched and outside → ignored; FPs, S → rc 0,1 pr 0,½ → AP ½
    //  medium: no gt in range → −1 (left out)
    //  large:  S ignored; FPs outside → ignored; S's detection matches the ignored S → ignored; FPl counts:
    //          no TP → AP 0
    const gts = [gt(1, [0, 0, 10, 10]), gt(1, [300, 300, 100, 100])];
    const dts = [dt(1, [0, 0, 10, 10], 0.9), dt(1, [100, 100, 10, 10], 0.95), dt(1, [600, 600, 120, 120], 0.85)];
    const m = evaluateCoco(data(gts, dts));
    close(m.map, 25.5 / 101);
    close(m.mapSmall, 0.5);
    assert.equal(m.mapMedium, -1);
    assert.equal(m.mapLarge, 0);
  });

  it("given a gt's area field, then the ranges use it, not w × h, and 32² exactly is both small and medium", () => {
    // bbox 40×40 = 1600 (medium by box) but area 1024 (a segmentation area): small and medium both include 1024
    const m = evaluateCoco(data([gt(1, [0, 0, 40, 40], { area: 1024 })], [dt(1, [0, 0, 40, 40], 0.9)]));
    close(m.mapSmall, 1);
    close(m.mapMedium, 1);
    assert.equal(m.mapLarge, -1);
  });

  it('given a category without gt, then its AP is −1 and it is left out of the mean', () => {
    // c1 perfect (1), c2 detections only (−1, excluded), c3 gt only (0): mAP = (1 + 0)/2
    const m = evaluateCoco(
      data(
        [gt(1, [0, 0, 10, 10]), { ...gt(1, [50, 50, 10, 10]), categoryId: 3 }],
        [dt(1, [0, 0, 10, 10], 0.9), dt(1, [20, 20, 10, 10], 0.9, 2)],
        [1],
        cats(1, 2, 3),
      ),
    );
    close(m.map, 0.5);
    close(m.map50, 0.5);
    assert.deepEqual(
      m.classes.map((c) => c.ap50 < 0),
      [false, true, false],
    );
    assert.equal(m.classes[1]!.ap, -1);
    assert.equal(m.classes[1]!.falsePositives, 1);
  });

  it('given more than 100 detections in an image, then only the best 100 count', () => {
    const target = gt(1, [0, 0, 10, 10]);
    const misses = (n: number) => Array.from({ length: n }, (_, i) => dt(1, [100 + 20 * i, 500, 10, 10], 0.99 - i * 0.001));
    const hit = dt(1, [0, 0, 10, 10], 0.1);
    // 100 misses push the hit out: AP 0
    const pushedOut = evaluateCoco(data([target], [...misses(100), hit]));
    assert.equal(pushedOut.map50, 0);
    assert.equal(pushedOut.classes[0]!.detections, 100);
    // 99 misses: the hit is the 100th → rc reaches 1 at index 99 where pr = 1/100; every r maps there: AP 0.01
    close(evaluateCoco(data([target], [...misses(99), hit])).map50, 0.01);
  });

  it('given a score threshold, then precision and recall count the detections at or above it (IoU 0.5)', () => {
    // 3 gts; detections .9 hit, .6 miss, .4 hit
    const gts = [gt(1, [0, 0, 10, 10]), gt(1, [100, 0, 10, 10]), gt(1, [200, 0, 10, 10])];
    const dts = [dt(1, [0, 0, 10, 10], 0.9), dt(1, [500, 500, 10, 10], 0.6), dt(1, [100, 0, 10, 10], 0.4)];
    // at .5: tp 1, fp 1 → P ½, R ⅓, F1 = 2·½·⅓/(½+⅓) = 0.4
    const at50 = evaluateCoco(data(gts, dts), { scoreThreshold: 0.5 });
    assert.equal(at50.truePositives, 1);
    assert.equal(at50.falsePositives, 1);
    close(at50.precision, 0.5);
    close(at50.recall, 1 / 3);
    close(at50.f1, 0.4);
    // at .4 (inclusive): tp 2, fp 1 → P ⅔, R ⅔
    const at40 = evaluateCoco(data(gts, dts), { scoreThreshold: 0.4 });
    close(at40.precision, 2 / 3);
    close(at40.recall, 2 / 3);
    // AP is the same whatever the threshold
    close(at40.map50, at50.map50);
  });

  it('rejects detections on unknown images and malformed boxes, naming them', () => {
    assert.throws(() => evaluateCoco(data([], [dt(9, [0, 0, 1, 1], 0.5)])), /detections\[0\]\.imageId 9/);
    assert.throws(() => evaluateCoco(data([gt(1, [0, 0, -1, 1])], [])), /groundTruths\[0\]\.bbox/);
    assert.throws(() => evaluateCoco(data([], [dt(1, [0, 0, 1, 1], Number.NaN)])), /detections\[0\]\.score/);
    // a detection of a category outside the evaluation is dropped, as pycocotools does
    assert.equal(evaluateCoco(data([gt(1, [0, 0, 10, 10])], [dt(1, [0, 0, 10, 10], 0.9, 77)])).falsePositives, 0);
  });

  it('evaluates 5000 images × 80 categories with 100 detections each in reasonable time', function () {
    this.timeout(60_000);
    let seed = 42;
    const rnd = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const imageIds: number[] = [];
    const groundTruths: CocoGroundTruth[] = [];
    const detections: CocoDetection[] = [];
    for (let image = 1; image <= 5000; image++) {
      imageIds.push(image);
      const placed: [CocoBox, number][] = [];
      for (let g = 0; g < 7; g++) {
        const box: CocoBox = [rnd() * 500, rnd() * 500, 5 + rnd() * 200, 5 + rnd() * 200];
        const categoryId = 1 + Math.floor(rnd() * 80);
        placed.push([box, categoryId]);
        groundTruths.push({ imageId: image, categoryId, bbox: box });
      }
      for (let d = 0; d < 100; d++) {
        const [box, categoryId] = placed[Math.floor(rnd() * placed.length)]!;
        detections.push(
          rnd() < 0.3
            ? { imageId: image, categoryId, bbox: [box[0] + rnd() * 10, box[1] + rnd() * 10, box[2], box[3]], score: rnd() }
            : { imageId: image, categoryId: 1 + Math.floor(rnd() * 80), bbox: [rnd() * 500, rnd() * 500, 20, 20], score: rnd() * 0.5 },
        );
      }
    }
    const started = performance.now();
    const m = evaluateCoco({ imageIds, categories: Array.from({ length: 80 }, (_, i) => ({ id: i + 1, name: `c${i}` })), groundTruths, detections });
    const ms = performance.now() - started;
    assert.ok(m.map > 0 && m.map < 1);
    // ~2 s on a 2-core box; the bound only catches an accidental quadratic
    assert.ok(ms < 30_000, `took ${Math.round(ms)} ms`);
  });
});
