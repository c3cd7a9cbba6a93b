// COCO bbox evaluation, a port of pycocotools' COCOeval (evaluate → accumulate → summarize, iouType 'bbox',
// maxDets 100) that gives the same numbers up to floating-point summation order. The details that change results
// are kept on purpose, because people compare these numbers with published ones:
// - detections are sorted by score with a *stable* sort, per image in input order, then across images in ascending
//   image id order, so ties are broken exactly as pycocotools breaks them;
// - a detection matches the best-IoU unmatched gt with IoU >= threshold; once it holds a regular gt it never moves to an
//   ignored one; crowd gts use intersection / detection area, may absorb any number of detections, and are ignored;
// - precision is tp / (tp + fp + 2^-52), made monotone from the right, read at recall 0:0.01:1 (first index whose recall
//   reaches the threshold), 0 where recall never gets there;
// - area ranges use the gt's `area` (COCO JSON gives the *segmentation* area; w × h when absent) and the detection's
//   w × h; both ends are inclusive, so an area of exactly 32² is both small and medium, as in pycocotools;
// - a category with no (non-ignored) gt has AP −1 and is left out of every mean; a mean with nothing left is −1.
// One deliberate difference: pycocotools takes a gt whose annotation id is 0 as "unmatched"; here ids play no part.
import type { Box, Detection } from '../../core/types.js';
import type { Category } from './categories.js';

/** A COCO box: top-left corner, width and height (pixels). */
export type CocoBox = [x: number, y: number, width: number, height: number];

export interface CocoGroundTruth {
  imageId: number;
  categoryId: number;
  bbox: CocoBox;
  /** the area the size ranges look at; COCO's JSON gives the segmentation area; defaults to width × height */
  area?: number;
  /** a crowd region: never counted as missed, absorbs the detections that fall inside it */
  iscrowd?: boolean;
}

export interface CocoDetection {
  imageId: number;
  categoryId: number;
  bbox: CocoBox;
  score: number;
}

export interface CocoEvalData {
  /** every image evaluated, also those without annotations (detections on them are false positives) */
  imageIds: readonly number[];
  categories: readonly Category[];
  groundTruths: readonly CocoGroundTruth[];
  /** detections whose category is not in `categories` are dropped, as pycocotools does */
  detections: readonly CocoDetection[];
}

export interface CocoEvalOptions {
  /** the score at which `precision`/`recall`/`f1` are measured (at IoU 0.5); default 0.5 */
  scoreThreshold?: number;
  /** detections kept per image and category, best first; default 100 (COCO's maxDets) */
  maxDetections?: number;
}

export interface CocoClassResult {
  categoryId: number;
  name: string;
  /** non-crowd gts */
  groundTruths: number;
  /** detections evaluated (after the per-image cap) */
  detections: number;
  /** AP@[.50:.95], AP@.50, AP@.75; −1 when the class has no gt */
  ap: number;
  ap50: number;
  ap75: number;
  /** at `scoreThreshold` and IoU 0.5 */
  truePositives: number;
  falsePositives: number;
  /** tp / (tp + fp), 0 with no detections */
  precision: number;
  /** tp / gts, −1 when the class has no gt */
  recall: number;
  /** −1 when the class has no gt */
  f1: number;
}

export interface CocoMetrics {
  images: number;
  /** mAP@[.50:.95] over all areas: COCO's headline number */
  map: number;
  map50: number;
  map75: number;
  mapSmall: number;
  mapMedium: number;
  mapLarge: number;
  /** mean of the per-class recall at IoU .50:.95 with 100 detections (COCO's AR@100) */
  mar100: number;
  scoreThreshold: number;
  /** over all categories at `scoreThreshold` and IoU 0.5 (micro: counts summed; detections of gt-less classes are false positives) */
  truePositives: number;
  falsePositives: number;
  groundTruths: number;
  precision: number;
  recall: number;
  f1: number;
  /** sorted by category id */
  classes: CocoClassResult[];
}

/** pycocotools' `np.linspace(.5, .95, 10)`, computed the same way so that an IoU of exactly 0.8 compares the same. */
export const IOU_THRESHOLDS: readonly number[] = Object.freeze(linspace(0.5, 0.95, 10));
/** pycocotools' `np.linspace(0, 1, 101)` */
export const RECALL_THRESHOLDS: readonly number[] = Object.freeze(linspace(0, 1, 101));
export type AreaName = 'all' | 'small' | 'medium' | 'large';
export const AREA_RANGES: Readonly<Record<AreaName, readonly [number, number]>> = Object.freeze({
  all: [0, 1e5 ** 2],
  small: [0, 32 ** 2],
  medium: [32 ** 2, 96 ** 2],
  large: [96 ** 2, 1e5 ** 2],
});

const AREAS: readonly AreaName[] = ['all', 'small', 'medium', 'large'];
const T = IOU_THRESHOLDS.length;
const R = RECALL_THRESHOLDS.length;
// per detection and IoU threshold
const FP = 0;
const TP = 1;
const IGNORED = 2;

export function boxToCoco(box: Readonly<Box>): CocoBox {
  return [box[0], box[1], box[2] - box[0], box[3] - box[1]];
}

export function cocoToBox(bbox: Readonly<CocoBox>): Box {
  return [bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1] + bbox[3]];
}

/** A frame's detections as COCO results; classes the dataset lacks (absent from `modelToDataset`) are dropped. */
export function toCocoDetections(imageId: number, detections: readonly Detection[], modelToDataset: ReadonlyMap<number, number>): CocoDetection[] {
  const out: CocoDetection[] = [];
  for (const d of detections) {
    const categoryId = modelToDataset.get(d.classId);
    if (categoryId !== undefined) out.push({ imageId, categoryId, bbox: boxToCoco(d.box), score: d.score });
  }
  return out;
}

/**
 * One category's evaluated detections across all images, in pycocotools' concatenation order (images by id, within an
 * image best score first), with each detection's outcome per area range and IoU threshold, and the gts that count.
 */
class CategoryAccumulator {
  count = 0;
  readonly scores: Float64Array;
  /** per area range: `outcomes[a][d * T + t]` is FP (0, the fill), TP or IGNORED */
  readonly outcomes: Uint8Array[];
  readonly gts: number[] = AREAS.map(() => 0);

  constructor(capacity: number) {
    this.scores = new Float64Array(capacity);
    this.outcomes = AREAS.map(() => new Uint8Array(capacity * T));
  }

  /** detection indices, best score first, ties in concatenation order (numpy's stable mergesort) */
  sortedOrder(): number[] {
    const s = this.scores;
    return Array.from({ length: this.count }, (_, i) => i).sort((x, y) => s[y]! - s[x]! || x - y);
  }
}

interface Cell {
  gts: CocoGroundTruth[];
  dts: CocoDetection[];
}

export function evaluateCoco(data: CocoEvalData, options: CocoEvalOptions = {}): CocoMetrics {
  const scoreThreshold = options.scoreThreshold ?? 0.5;
  const maxDets = options.maxDetections ?? 100;
  if (!Number.isFinite(scoreThreshold)) throw new RangeError(`options.scoreThreshold must be a number, got ${scoreThreshold}`);
  if (!Number.isInteger(maxDets) || maxDets < 1) throw new RangeError(`options.maxDetections must be a positive integer, got ${maxDets}`);

  const imageIds = [...new Set(data.imageIds)].sort((a, b) => a - b);
  const imageIndex = new Map(imageIds.map((id, i) => [id, i]));
  const categories = [...data.categories].sort((a, b) => a.id - b.id);
  const categoryIndex = new Map<number, number>();
  categories.forEach((c, k) => {
    if (categoryIndex.has(c.id)) throw new RangeError(`categories: id ${c.id} appears twice`);
    categoryIndex.set(c.id, k);
  });
  const I = imageIds.length;

  // cells keyed k * I + i, so that sorted keys visit categories, and within one its images, in pycocotools' order
  const cells = new Map<number, Cell>();
  const cellOf = (k: number, i: number): Cell => {
    const key = k * I + i;
    let cell = cells.get(key);
    if (!cell) cells.set(key, (cell = { gts: [], dts: [] }));
    return cell;
  };
  data.groundTruths.forEach((g, n) => {
    const i = imageIndex.get(g.imageId);
    const k = categoryIndex.get(g.categoryId);
    if (i === undefined) throw new RangeError(`groundTruths[${n}].imageId ${g.imageId} is not in imageIds`);
    if (k === undefined) throw new RangeError(`groundTruths[${n}].categoryId ${g.categoryId} is not in categories`);
    checkBox(g.bbox, `groundTruths[${n}].bbox`);
    if (g.area !== undefined && !Number.isFinite(g.area)) throw new RangeError(`groundTruths[${n}].area must be a number, got ${g.area}`);
    cellOf(k, i).gts.push(g);
  });
  data.detections.forEach((d, n) => {
    const i = imageIndex.get(d.imageId);
    if (i === undefined) throw new RangeError(`detections[${n}].imageId ${d.imageId} is not in imageIds`);
    checkBox(d.bbox, `detections[${n}].bbox`);
    if (!Number.isFinite(d.score)) throw new RangeError(`detections[${n}].score must be a number, got ${d.score}`);
    const k = categoryIndex.get(d.categoryId);
    if (k !== undefined) cellOf(k, i).dts.push(d);
  });

  const capacity = categories.map(() => 0);
  for (const [key, cell] of cells) capacity[Math.floor(key / I)]! += Math.min(cell.dts.length, maxDets);
  const accumulators = capacity.map((n) => new CategoryAccumulator(n));
  for (const key of [...cells.keys()].sort((a, b) => a - b)) {
    evaluateCell(cells.get(key)!, maxDets, accumulators[Math.floor(key / I)]!);
  }

  // per category and area range: T × R interpolated precision (pycocotools' eval['precision'][t, r, k, a, -1]) and
  // T recalls (eval['recall'][t, k, a, -1]); null stands for its −1 (no gt)
  const precision: (Float64Array | null)[][] = [];
  const recall: (Float64Array | null)[][] = [];
  for (const acc of accumulators) {
    const order = acc.sortedOrder();
    precision.push(AREAS.map((_, a) => accumulatePrecision(acc, a, order)));
    recall.push(AREAS.map((_, a) => accumulateRecall(acc, a)));
  }

  const classes: CocoClassResult[] = categories.map((c, k) => {
    const acc = accumulators[k]!;
    const p = precision[k]![0]!;
    const gts = acc.gts[0]!;
    const counts = countAtThreshold(acc, scoreThreshold);
    const prec = ratio(counts.tp, counts.tp + counts.fp);
    const rec = gts === 0 ? -1 : counts.tp / gts;
    return {
      categoryId: c.id,
      name: c.name,
      groundTruths: gts,
      detections: acc.count,
      ap: meanOf(p, 0, T),
      ap50: meanOf(p, 0, 1),
      ap75: meanOf(p, 5, 6),
      truePositives: counts.tp,
      falsePositives: counts.fp,
      precision: prec,
      recall: rec,
      f1: rec < 0 ? -1 : harmonic(prec, rec),
    };
  });

  let tp = 0;
  let fp = 0;
  let gts = 0;
  for (const c of classes) {
    tp += c.truePositives;
    fp += c.falsePositives;
    gts += c.groundTruths;
  }
  const overallPrecision = ratio(tp, tp + fp);
  const overallRecall = gts === 0 ? -1 : tp / gts;
  const areaMap = (a: number, from: number, to: number) => meanOver(precision.map((perArea) => perArea[a]!), from, to, R);
  return {
    images: I,
    map: areaMap(0, 0, T),
    map50: areaMap(0, 0, 1),
    map75: areaMap(0, 5, 6),
    mapSmall: areaMap(1, 0, T),
    mapMedium: areaMap(2, 0, T),
    mapLarge: areaMap(3, 0, T),
    mar100: meanOver(recall.map((perArea) => perArea[0]!), 0, T, 1),
    scoreThreshold,
    truePositives: tp,
    falsePositives: fp,
    groundTruths: gts,
    precision: overallPrecision,
    recall: overallRecall,
    f1: overallRecall < 0 ? -1 : harmonic(overallPrecision, overallRecall),
    classes,
  };
}

/** pycocotools' computeIoU + evaluateImg for one image and category, for every area range at once. */
function evaluateCell(cell: Cell, maxDets: number, acc: CategoryAccumulator): void {
  const dts = cell.dts.length > 1 ? stableSortByScore(cell.dts).slice(0, maxDets) : cell.dts;
  const gts = cell.gts;
  const D = dts.length;
  const G = gts.length;
  const base = acc.count;
  acc.count += D;
  for (let d = 0; d < D; d++) acc.scores[base + d] = dts[d]!.score;

  if (G === 0) {
    // most cells: detections on an image without a gt of their class; all false positives, less those out of range
    AREAS.forEach((name, a) => {
      const [lo, hi] = AREA_RANGES[name];
      for (let d = 0; d < D; d++) {
        const area = dts[d]!.bbox[2] * dts[d]!.bbox[3];
        if (area < lo || area > hi) acc.outcomes[a]!.fill(IGNORED, (base + d) * T, (base + d + 1) * T);
      }
    });
    return;
  }

  const crowd = gts.map((g) => g.iscrowd === true);
  const gtArea = gts.map((g) => g.area ?? g.bbox[2] * g.bbox[3]);
  const ious = new Float64Array(D * G);
  for (let d = 0; d < D; d++) for (let g = 0; g < G; g++) ious[d * G + g] = boxIou(dts[d]!.bbox, gts[g]!.bbox, crowd[g]!);
  const taken = new Uint8Array(G);

  AREAS.forEach((name, a) => {
    const [lo, hi] = AREA_RANGES[name];
    const outcomes = acc.outcomes[a]!;
    const ignored = gtArea.map((area, g) => crowd[g]! || area < lo || area > hi);
    // regular gts first, so that a detection prefers them (pycocotools sorts by the ignore flag, stably)
    const order = [...ignored.keys()].sort((x, y) => Number(ignored[x]) - Number(ignored[y]));
    for (const ig of ignored) if (!ig) acc.gts[a]!++;
    for (let t = 0; t < T; t++) {
      taken.fill(0);
      for (let d = 0; d < D; d++) {
        let best = Math.min(IOU_THRESHOLDS[t]!, 1 - 1e-10);
        let m = -1;
        for (let j = 0; j < G; j++) {
          const g = order[j]!;
          if (taken[j] && !crowd[g]) continue;
          // holding a regular gt, never trade it for an ignored one
          if (m > -1 && !ignored[order[m]!] && ignored[g]) break;
          const iou = ious[d * G + g]!;
          if (iou < best) continue;
          best = iou;
          m = j;
        }
        let outcome: number;
        if (m === -1) {
          const area = dts[d]!.bbox[2] * dts[d]!.bbox[3];
          outcome = area < lo || area > hi ? IGNORED : FP;
        } else {
          taken[m] = 1;
          outcome = ignored[order[m]!] ? IGNORED : TP;
        }
        outcomes[(base + d) * T + t] = outcome;
      }
    }
  });
}

/** pycocotools' bbIou (maskApi.c) for one pair, with the same operation order. */
function boxIou(dt: Readonly<CocoBox>, gt: Readonly<CocoBox>, crowd: boolean): number {
  const w = Math.min(dt[2] + dt[0], gt[2] + gt[0]) - Math.max(dt[0], gt[0]);
  if (w <= 0) return 0;
  const h = Math.min(dt[3] + dt[1], gt[3] + gt[1]) - Math.max(dt[1], gt[1]);
  if (h <= 0) return 0;
  const inter = w * h;
  const da = dt[2] * dt[3];
  const union = crowd ? da : da + gt[2] * gt[3] - inter;
  return inter / union;
}

/** pycocotools' accumulate for one category and area: T × R interpolated precision, or null for "−1". */
function accumulatePrecision(acc: CategoryAccumulator, a: number, order: readonly number[]): Float64Array | null {
  // no gt also covers pycocotools' "no image has this category at all"
  const gts = acc.gts[a]!;
  if (gts === 0) return null;
  const outcomes = acc.outcomes[a]!;
  const n = order.length;
  const q = new Float64Array(T * R);
  const rc = new Float64Array(n);
  const pr = new Float64Array(n);
  for (let t = 0; t < T; t++) {
    let tp = 0;
    let fp = 0;
    for (let j = 0; j < n; j++) {
      const outcome = outcomes[order[j]! * T + t];
      if (outcome === TP) tp++;
      else if (outcome === FP) fp++;
      rc[j] = tp / gts;
      pr[j] = tp / (fp + tp + Number.EPSILON);
    }
    for (let j = n - 1; j > 0; j--) if (pr[j]! > pr[j - 1]!) pr[j - 1] = pr[j]!;
    // np.searchsorted(rc, recThrs, side='left'); both ascend, so one moving index does it
    let j = 0;
    for (let r = 0; r < R; r++) {
      while (j < n && rc[j]! < RECALL_THRESHOLDS[r]!) j++;
      if (j === n) break;
      q[t * R + r] = pr[j]!;
    }
  }
  return q;
}

/** pycocotools' eval['recall'][t, k, a, -1] for t in 0..T-1, or null for "−1". */
function accumulateRecall(acc: CategoryAccumulator, a: number): Float64Array | null {
  const gts = acc.gts[a]!;
  if (gts === 0) return null;
  const outcomes = acc.outcomes[a]!;
  const out = new Float64Array(T);
  for (let i = 0; i < acc.count * T; i++) if (outcomes[i] === TP) out[i % T]!++;
  for (let t = 0; t < T; t++) out[t] = out[t]! / gts;
  return out;
}

/** True and false positives among the detections scoring at least `threshold`, at IoU 0.5, over all areas. */
function countAtThreshold(acc: CategoryAccumulator, threshold: number): { tp: number; fp: number } {
  // greedy matching visits detections best first, so the matches of those above a threshold ignore those below it
  const outcomes = acc.outcomes[0]!;
  let tp = 0;
  let fp = 0;
  for (let d = 0; d < acc.count; d++) {
    if (acc.scores[d]! < threshold) continue;
    const outcome = outcomes[d * T];
    if (outcome === TP) tp++;
    else if (outcome === FP) fp++;
  }
  return { tp, fp };
}

/** The mean of one class's precision rows `from..to` (IoU threshold indices); −1 for a class with no gt. */
function meanOf(q: Float64Array | null, from: number, to: number): number {
  return meanOver([q], from, to, R);
}

/** pycocotools' summarize: the mean of every value > −1 in rows `from..to` of each array, −1 when there is none. */
function meanOver(arrays: readonly (Float64Array | null)[], from: number, to: number, rowLength: number): number {
  let sum = 0;
  let count = 0;
  for (const q of arrays) {
    if (!q) continue;
    for (let i = from * rowLength; i < to * rowLength; i++) sum += q[i]!;
    count += (to - from) * rowLength;
  }
  return count === 0 ? -1 : sum / count;
}

function stableSortByScore<D extends { score: number }>(dts: readonly D[]): D[] {
  // Array.prototype.sort is stable (ES2019), like numpy's mergesort
  return [...dts].sort((a, b) => b.score - a.score);
}

function checkBox(bbox: Readonly<CocoBox>, where: string): void {
  if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every(Number.isFinite) || bbox[2] < 0 || bbox[3] < 0) {
    throw new RangeError(`${where} must be [x, y, width, height] with finite numbers and width, height >= 0, got ${JSON.stringify(bbox)}`);
  }
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

function harmonic(p: number, r: number): number {
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

/** numpy's linspace for these endpoints: start + i · ((stop − start) / (num − 1)), the last value exactly `stop`. */
function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : start + i * step));
}
