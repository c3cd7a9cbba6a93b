// Classification metrics from (true label, predicted label) pairs, with the conventions of scikit-learn's
// `classification_report(y_true, y_pred, zero_division=0)` so that numbers can be checked against it:
// - a class that is never predicted has precision 0 (not NaN); a class with no true samples has recall 0;
//   F1 is 0 when precision + recall is 0;
// - macro averages are plain means over the classes that occur in the true *or* the predicted labels (scikit-learn's
//   default label set), so a 1000-class model tested on 10 classes is not dragged down by 990 absent classes;
//   macro F1 is the mean of the per-class F1 values, not the F1 of macro precision and recall;
// - weighted averages weight each class by its support;
// - with no pairs at all every number is 0.

export interface ClassAverages {
  precision: number;
  recall: number;
  f1: number;
}

export interface ClassificationMetrics {
  /** number of classes K; class ids are 0..K-1 */
  classes: number;
  /** number of pairs */
  total: number;
  correct: number;
  accuracy: number;
  /** per class, index = class id */
  precision: number[];
  recall: number[];
  f1: number[];
  /** how many samples truly are this class */
  support: number[];
  /** how many samples were predicted as this class */
  predicted: number[];
  macro: ClassAverages;
  weighted: ClassAverages;
  /** the classes the macro average runs over (present in the true or the predicted labels) */
  averagedClasses: number;
  /** K×K counts: `confusion[trueLabel][predictedLabel]` */
  confusion: number[][];
}

export type LabelPair = readonly [trueLabel: number, predictedLabel: number];

/** Counts pairs into a K×K matrix, rows = true label, columns = predicted label. */
export function confusionMatrix(pairs: Iterable<LabelPair>, classes: number): number[][] {
  if (!Number.isInteger(classes) || classes < 1) throw new RangeError(`classes must be a positive integer, got ${classes}`);
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let index = 0;
  for (const [truth, predicted] of pairs) {
    if (!isLabel(truth, classes)) throw new RangeError(`pairs[${index}]: true label ${truth} is not a class id in 0..${classes - 1}`);
    if (!isLabel(predicted, classes)) throw new RangeError(`pairs[${index}]: predicted label ${predicted} is not a class id in 0..${classes - 1}`);
    (matrix[truth] as number[])[predicted]! += 1;
    index++;
  }
  return matrix;
}

export function classificationMetrics(pairs: Iterable<LabelPair>, classes: number): ClassificationMetrics {
  return metricsFromConfusion(confusionMatrix(pairs, classes));
}

/** All metrics from a square confusion matrix (rows = true, columns = predicted). */
export function metricsFromConfusion(confusion: readonly (readonly number[])[]): ClassificationMetrics {
  const k = confusion.length;
  if (k === 0 || confusion.some((row) => row.length !== k)) throw new RangeError(`confusion must be a non-empty square matrix`);
  const support = new Array<number>(k).fill(0);
  const predicted = new Array<number>(k).fill(0);
  let total = 0;
  let correct = 0;
  for (let t = 0; t < k; t++) {
    const row = confusion[t]!;
    for (let p = 0; p < k; p++) {
      const n = row[p]!;
      if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`confusion[${t}][${p}] must be a count, got ${n}`);
      support[t]! += n;
      predicted[p]! += n;
      total += n;
      if (t === p) correct += n;
    }
  }
  const precision = new Array<number>(k);
  const recall = new Array<number>(k);
  const f1 = new Array<number>(k);
  for (let c = 0; c < k; c++) {
    const tp = confusion[c]![c]!;
    precision[c] = ratio(tp, predicted[c]!);
    recall[c] = ratio(tp, support[c]!);
    f1[c] = harmonic(precision[c]!, recall[c]!);
  }

  let averagedClasses = 0;
  const macro = { precision: 0, recall: 0, f1: 0 };
  const weighted = { precision: 0, recall: 0, f1: 0 };
  for (let c = 0; c < k; c++) {
    if (support[c] === 0 && predicted[c] === 0) continue;
    averagedClasses++;
    macro.precision += precision[c]!;
    macro.recall += recall[c]!;
    macro.f1 += f1[c]!;
    weighted.precision += precision[c]! * support[c]!;
    weighted.recall += recall[c]! * support[c]!;
    weighted.f1 += f1[c]! * support[c]!;
  }
  for (const key of ['precision', 'recall', 'f1'] as const) {
    macro[key] = ratio(macro[key], averagedClasses);
    weighted[key] = ratio(weighted[key], total);
  }

  return {
    classes: k,
    total,
    correct,
    accuracy: ratio(correct, total),
    precision,
    recall,
    f1,
    support,
    predicted,
    macro,
    weighted,
    averagedClasses,
    confusion: confusion.map((row) => [...row]),
  };
}

function isLabel(value: number, classes: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < classes;
}

/** `a / b`, and 0 when b is 0 (scikit-learn's zero_division=0). */
function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

function harmonic(p: number, r: number): number {
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}
