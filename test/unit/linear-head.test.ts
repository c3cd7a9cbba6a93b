// Heads on features, with hand-made features whose answer is known: nearest class mean for tiny classes, logistic
// regression with class balancing and early stopping otherwise, and the same result on every run.
import assert from 'node:assert/strict';
import { seededRandom } from '../../core/random.js';
import { headProbabilities, nearestClassMean, trainHead, DEFAULT_HEAD_SETTINGS } from '../../models/heads/linear-head.js';

const F = 8;
/** `perClass` points around a centre per class (class c: feature c is high), with seeded noise. */
function blobs(perClass: readonly number[], seed: number, noise = 0.3): { x: Float32Array; y: Int32Array } {
  const random = seededRandom(seed);
  const n = perClass.reduce((a, b) => a + b, 0);
  const x = new Float32Array(n * F);
  const y = new Int32Array(n);
  let row = 0;
  perClass.forEach((count, c) => {
    for (let i = 0; i < count; i++, row++) {
      y[row] = c;
      for (let j = 0; j < F; j++) x[row * F + j] = (j === c ? 3 : 1) + (random() - 0.5) * 2 * noise;
    }
  });
  return { x, y };
}
const argmax = (p: Float32Array, i: number, k: number) => {
  let best = 0;
  for (let c = 1; c < k; c++) if (p[i * k + c]! > p[i * k + best]!) best = c;
  return best;
};
const accuracy = (p: Float32Array, y: Int32Array, k: number) => y.reduce((n, t, i) => n + (argmax(p, i, k) === t ? 1 : 0), 0) / y.length;

describe('linear heads on features', () => {
  it('nearest class mean: one example a class still classifies points near each mean, probabilities sum to 1', () => {
    const train = blobs([1, 1, 1], 1, 0);
    const head = nearestClassMean(train, 3, F);
    const test = blobs([20, 20, 20], 2);
    const p = headProbabilities(head, test.x);
    assert.equal(accuracy(p, test.y, 3), 1);
    for (let i = 0; i < test.y.length; i++) assert.ok(Math.abs(p[i * 3]! + p[i * 3 + 1]! + p[i * 3 + 2]! - 1) < 1e-5);
  });

  it('chooses nearest class mean when a class has fewer than ncmBelow examples, logistic regression otherwise', () => {
    const small = trainHead(blobs([10, 3, 10], 3), blobs([3, 3, 3], 4), 3, F);
    assert.equal(small.kind, 'ncm');
    const big = trainHead(blobs([30, 30, 30], 3), blobs([5, 5, 5], 4), 3, F);
    assert.equal(big.kind, 'logistic');
    assert.ok(big.epochsRun >= 1 && big.bestEpoch >= 1 && big.bestEpoch <= big.epochsRun);
    const test = blobs([30, 30, 30], 9);
    assert.ok(accuracy(headProbabilities(big.head, test.x), test.y, 3) >= 0.95);
  });

  it('early stopping: stops after `patience` epochs without a lower validation loss and keeps the best epoch', () => {
    // labels that are noise: validation loss stops improving quickly
    const train = blobs([20, 20], 5, 0.1);
    const random = seededRandom(6);
    for (let i = 0; i < train.x.length; i++) train.x[i] = random();
    const t = trainHead(train, blobs([10, 10], 7), 2, F, { ...DEFAULT_HEAD_SETTINGS, patience: 5, maxEpochs: 500 });
    assert.equal(t.stoppedEarly, true);
    assert.equal(t.epochsRun, t.bestEpoch + 5);
  });

  it('class balancing: a rare class is still found when the other has 10× the examples', () => {
    const train = blobs([200, 20], 8, 1.2);
    const t = trainHead(train, blobs([20, 20], 10, 1.2), 2, F);
    const test = blobs([0, 100], 11, 1.2);
    assert.ok(accuracy(headProbabilities(t.head, test.x), test.y, 2) >= 0.8, 'recall of the rare class');
  });

  it('is deterministic: the same data gives bit-identical weights', () => {
    const a = trainHead(blobs([30, 30], 12), blobs([6, 6], 13), 2, F);
    const b = trainHead(blobs([30, 30], 12), blobs([6, 6], 13), 2, F);
    assert.deepEqual(a.head.weights, b.head.weights);
    assert.deepEqual(a.head.bias, b.head.bias);
  });
});
