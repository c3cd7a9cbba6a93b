import assert from 'node:assert/strict';
import { classificationMetrics, confusionMatrix, metricsFromConfusion, type LabelPair } from '../../pipeline/eval/classification.js';

const pairs = (truth: number[], predicted: number[]): LabelPair[] => truth.map((t, i) => [t, predicted[i]!] as const);
const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} ≠ ${expected}`);

describe('eval classification metrics', () => {
  it('given a small 3-class example, when measured, then matrix, per-class and macro numbers are the hand-worked ones', () => {
    // true   0 0 0 1 1 2 2 2
    // pred   0 0 1 1 1 2 0 1
    // confusion (rows true): [2 1 0] [0 2 0] [1 1 1]; support 3 2 3; predicted (column sums) 3 4 1
    // precision 2/3, 2/4, 1/1; recall 2/3, 2/2, 1/3
    // F1: 2/3; 2·½·1/(3/2) = 2/3; 2·1·⅓/(4/3) = ½
    // macro P = (2/3 + 1/2 + 1)/3 = 13/18, macro R = (2/3 + 1 + 1/3)/3 = 2/3, macro F1 = (2/3 + 2/3 + 1/2)/3 = 11/18
    // weighted F1 = (3·2/3 + 2·2/3 + 3·½)/8 = 29/48; accuracy 5/8
    const m = classificationMetrics(pairs([0, 0, 0, 1, 1, 2, 2, 2], [0, 0, 1, 1, 1, 2, 0, 1]), 3);
    assert.deepEqual(m.confusion, [
      [2, 1, 0],
      [0, 2, 0],
      [1, 1, 1],
    ]);
    assert.deepEqual(m.support, [3, 2, 3]);
    assert.deepEqual(m.predicted, [3, 4, 1]);
    assert.equal(m.total, 8);
    assert.equal(m.correct, 5);
    close(m.accuracy, 5 / 8);
    [2 / 3, 1 / 2, 1].forEach((p, c) => close(m.precision[c]!, p));
    [2 / 3, 1, 1 / 3].forEach((r, c) => close(m.recall[c]!, r));
    [2 / 3, 2 / 3, 1 / 2].forEach((f, c) => close(m.f1[c]!, f));
    close(m.macro.precision, 13 / 18);
    close(m.macro.recall, 2 / 3);
    close(m.macro.f1, 11 / 18);
    close(m.weighted.f1, 29 / 48);
    assert.equal(m.averagedClasses, 3);
  });

  it('given a class that is never predicted, then its precision is 0 (zero_division=0), not NaN', () => {
    // class 2 occurs once and is predicted as 1: predicted count 0 → precision 0/0 → 0; recall 0/1 = 0; F1 0
    const m = classificationMetrics(pairs([0, 1, 2], [0, 1, 1]), 3);
    assert.equal(m.precision[2], 0);
    assert.equal(m.recall[2], 0);
    assert.equal(m.f1[2], 0);
    // class 1: predicted twice, right once → ½; recall 1
    close(m.precision[1]!, 1 / 2);
    assert.equal(m.recall[1], 1);
  });

  it('given classes absent from both true and predicted labels, then the macro average leaves them out', () => {
    // 10 classes, only 0 and 1 occur, both perfect: macro over the 2 present classes is 1, not 2/10
    const m = classificationMetrics(pairs([0, 1, 1], [0, 1, 1]), 10);
    assert.equal(m.averagedClasses, 2);
    assert.equal(m.macro.f1, 1);
    assert.equal(m.macro.precision, 1);
    assert.equal(m.precision[7], 0);
    assert.equal(m.support[7], 0);
  });

  it('given perfect predictions, then everything is 1 and the matrix is diagonal', () => {
    const m = classificationMetrics(pairs([0, 1, 2, 3, 3], [0, 1, 2, 3, 3]), 4);
    assert.equal(m.accuracy, 1);
    assert.equal(m.macro.f1, 1);
    assert.equal(m.weighted.recall, 1);
    assert.deepEqual(m.confusion[3], [0, 0, 0, 2]);
  });

  it('given no pairs, then every number is 0', () => {
    const m = classificationMetrics([], 3);
    assert.equal(m.total, 0);
    assert.equal(m.accuracy, 0);
    assert.equal(m.macro.f1, 0);
    assert.equal(m.averagedClasses, 0);
  });

  it('given a label outside 0..K-1, then a RangeError names the pair', () => {
    assert.throws(() => confusionMatrix(pairs([0, 1], [0, 3]), 3), (err: unknown) => err instanceof RangeError && /pairs\[1\].*predicted label 3/.test(err.message));
    assert.throws(() => confusionMatrix(pairs([0.5], [0]), 3), RangeError);
    assert.throws(() => confusionMatrix([], 0), RangeError);
  });

  it('given a confusion matrix, then metricsFromConfusion equals counting the pairs', () => {
    const from = metricsFromConfusion([
      [5, 1],
      [2, 2],
    ]);
    const counted = classificationMetrics(pairs([0, 0, 0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 0, 1, 0, 0, 1, 1]), 2);
    assert.deepEqual(from, counted);
    assert.throws(() => metricsFromConfusion([[1, 2]]), RangeError);
  });
});
