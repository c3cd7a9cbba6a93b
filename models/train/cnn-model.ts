// The CNN as tfjs code: variables made from CnnWeights, and one forward function used for training, validation and
// the probabilities the export is checked against. Written with plain ops rather than tf.layers so that dropout takes
// a fresh seed every step (a seeded tf.layers.dropout repeats one mask) and the weights have exactly the layout the
// ONNX export expects.
import * as tf from '@tensorflow/tfjs';
import { POOL, type CnnArchitecture } from './architecture.js';
import { kernelShapes, LAYER_NAMES, type CnnWeights, type LayerName } from './cnn-weights.js';

export interface CnnVariables {
  arch: CnnArchitecture;
  kernels: Record<LayerName, tf.Variable>;
  biases: Record<LayerName, tf.Variable>;
}

export function createVariables(arch: CnnArchitecture, weights: CnnWeights): CnnVariables {
  const shapes = kernelShapes(arch);
  const kernels = {} as Record<LayerName, tf.Variable>;
  const biases = {} as Record<LayerName, tf.Variable>;
  for (const name of LAYER_NAMES) {
    kernels[name] = tf.variable(tf.tensor(weights[name].kernel, shapes[name]), true);
    biases[name] = tf.variable(tf.tensor1d(weights[name].bias), true);
  }
  return { arch, kernels, biases };
}

/** Copies the variables' current values out (to keep the best epoch, or to send the result home). */
export function readWeights(v: CnnVariables): CnnWeights {
  const layer = (name: LayerName) => ({
    kernel: new Float32Array(v.kernels[name].dataSync()),
    bias: new Float32Array(v.biases[name].dataSync()),
  });
  return { conv1: layer('conv1'), conv2: layer('conv2'), dense1: layer('dense1'), dense2: layer('dense2') };
}

export function assignWeights(v: CnnVariables, weights: CnnWeights): void {
  const shapes = kernelShapes(v.arch);
  tf.tidy(() => {
    for (const name of LAYER_NAMES) {
      v.kernels[name].assign(tf.tensor(weights[name].kernel, shapes[name]));
      v.biases[name].assign(tf.tensor1d(weights[name].bias));
    }
  });
}

export function disposeVariables(v: CnnVariables): void {
  for (const name of LAYER_NAMES) {
    v.kernels[name].dispose();
    v.biases[name].dispose();
  }
}

/**
 * Logits for a batch `x` [N, H, W, C] scaled to 0..1. With `dropoutSeed` (training) the two dropouts are applied with
 * masks drawn from that seed; without it the net is deterministic (inference).
 */
export function forward(v: CnnVariables, x: tf.Tensor4D, dropoutSeed?: number): tf.Tensor2D {
  const { kernels: k, biases: b, arch } = v;
  let h: tf.Tensor = tf.fused.conv2d({ x, filter: k.conv1 as tf.Tensor4D, strides: 1, pad: 'valid', bias: b.conv1, activation: 'relu' });
  h = tf.fused.conv2d({ x: h as tf.Tensor4D, filter: k.conv2 as tf.Tensor4D, strides: 1, pad: 'valid', bias: b.conv2, activation: 'relu' });
  h = tf.maxPool(h as tf.Tensor4D, POOL, POOL, 'valid');
  if (dropoutSeed !== undefined && arch.dropout[0] > 0) h = tf.dropout(h, arch.dropout[0], undefined, dropoutSeed);
  h = tf.reshape(h, [h.shape[0]!, -1]);
  h = tf.fused.matMul({ a: h as tf.Tensor2D, b: k.dense1 as tf.Tensor2D, bias: b.dense1, activation: 'relu' });
  if (dropoutSeed !== undefined && arch.dropout[1] > 0) h = tf.dropout(h, arch.dropout[1], undefined, dropoutSeed + 1);
  return tf.fused.matMul({ a: h as tf.Tensor2D, b: k.dense2 as tf.Tensor2D, bias: b.dense2 }) as tf.Tensor2D;
}
