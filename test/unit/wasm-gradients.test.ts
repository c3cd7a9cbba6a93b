// The convolution gradients supplied to the wasm backend (models/train/wasm-gradients.ts) must give what tfjs's own
// cpu backend gives, on random inputs, for the shapes training uses and a few it does not (stride, padding).
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useWasmBackend } from '../../models/train/wasm-backend.js';

interface Case {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same';
}

const CASES: Case[] = [
  { name: 'first layer: 1 channel, 3x3 valid', x: [4, 28, 28, 1], filter: [3, 3, 1, 8], strides: 1, pad: 'valid' },
  { name: 'second layer: 8 → 16, 3x3 valid', x: [3, 26, 26, 8], filter: [3, 3, 8, 16], strides: 1, pad: 'valid' },
  { name: '5x5 same padding', x: [2, 11, 9, 3], filter: [5, 5, 3, 4], strides: 1, pad: 'same' },
  { name: 'stride 2 valid (odd size: a row the windows never reach)', x: [2, 13, 12, 2], filter: [3, 3, 2, 5], strides: 2, pad: 'valid' },
  { name: 'stride [2,1] same, non-square filter', x: [1, 10, 7, 3], filter: [3, 2, 3, 2], strides: [2, 1], pad: 'same' },
];

/** Deterministic pseudo-random values in [-1, 1) (mulberry32), so a failure can be replayed. */
function randomValues(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** Gradients of sum(conv2d(x, filter) * weights) with respect to x and filter, on the current backend. */
function gradients(c: Case, x: Float32Array, filter: Float32Array, seed: number): { dx: Float32Array; dw: Float32Array } {
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, c.x);
    const ft = tf.tensor4d(filter, c.filter);
    const outShape = tf.conv2d(xt, ft, c.strides, c.pad).shape;
    const weights = tf.tensor(randomValues(outShape.reduce((a, b) => a * b, 1), seed), outShape);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad), weights)));
    const [dx, dw] = g([xt, ft]);
    return { dx: dx!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array };
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('wasm convolution gradients (vs the cpu backend)', function () {
  before(async () => {
    await useWasmBackend();
  });
  after(async () => {
    await tf.setBackend('wasm');
  });

  CASES.forEach((c, index) => {
    it(`${c.name}: input and filter gradients within 1e-4`, async () => {
      const x = randomValues(c.x.reduce((a, b) => a * b, 1), 100 + index);
      const filter = randomValues(c.filter.reduce((a, b) => a * b, 1), 200 + index);
      await tf.setBackend('cpu');
      const expected = gradients(c, x, filter, 300 + index);
      await tf.setBackend('wasm');
      const tensorsBefore = tf.memory().numTensors;
      const actual = gradients(c, x, filter, 300 + index);
      assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor leaked');
      // the gradients are not trivially zero, so agreement means something
      assert.ok(expected.dw.some((v) => Math.abs(v) > 0.1) && expected.dx.some((v) => Math.abs(v) > 0.1));
      const dw = maxAbsDiff(actual.dw, expected.dw);
      const dx = maxAbsDiff(actual.dx, expected.dx);
      assert.ok(dw <= 1e-4, `filter gradient differs by ${dw}`);
      assert.ok(dx <= 1e-4, `input gradient differs by ${dx}`);
    });
  });

  for (const [transposeA, transposeB] of [[true, false], [false, true], [true, true], [false, false]] as const) {
    it(`matMul with transposeA=${transposeA}, transposeB=${transposeB} (the dense layers' gradients) within 1e-4`, async () => {
      const [m, k, n] = [7, 33, 5];
      const a = randomValues(m * k, 400);
      const b = randomValues(k * n, 401);
      const run = () =>
        tf.tidy(() => tf.matMul(tf.tensor2d(a, transposeA ? [k, m] : [m, k]), tf.tensor2d(b, transposeB ? [n, k] : [k, n]), transposeA, transposeB).dataSync() as Float32Array);
      await tf.setBackend('cpu');
      const expected = run();
      await tf.setBackend('wasm');
      const actual = run();
      assert.equal(actual.length, m * n);
      const diff = maxAbsDiff(actual, expected);
      assert.ok(diff <= 1e-4, `differs by ${diff}`);
    });
  }

  it('the filter gradient is registered for wasm and the wasm backend is in use', () => {
    assert.equal(tf.getBackend(), 'wasm');
    assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'));
  });
});
