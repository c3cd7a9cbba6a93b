// The trained CNN as one ONNX graph that the `classifier` adapter runs like any other model:
// input [N, C, H, W] float 0..1 (N dynamic) → Conv → Relu → Conv → Relu → MaxPool → Flatten → Gemm → Relu → Gemm →
// Softmax → probabilities [N, classes]. tfjs trained channels-last, so kernels are transposed to ONNX's
// [out, in, kh, kw] and the first dense layer's rows are reordered from (h, w, c) to Flatten's (c, h, w) order.
import { CONV_KERNEL, POOL, cnnShapes, type CnnArchitecture } from '../train/architecture.js';
import type { CnnWeights } from '../train/cnn-weights.js';
import { encodeModel, floatTensor, floatValue, node, type ModelMeta } from './onnx-graph.js';

export const CNN_INPUT = 'input';
export const CNN_OUTPUT = 'probabilities';

export function cnnToOnnx(arch: CnnArchitecture, weights: CnnWeights, meta: ModelMeta): Uint8Array {
  const shapes = cnnShapes(arch);
  const { width, height, channels } = arch.input;
  const [c1, c2] = arch.conv;
  const k = CONV_KERNEL;
  const initializer = [
    floatTensor('conv1.weight', [c1, channels, k, k], hwioToOihw(weights.conv1.kernel, k, channels, c1)),
    floatTensor('conv1.bias', [c1], weights.conv1.bias),
    floatTensor('conv2.weight', [c2, c1, k, k], hwioToOihw(weights.conv2.kernel, k, c1, c2)),
    floatTensor('conv2.bias', [c2], weights.conv2.bias),
    floatTensor('dense1.weight', [shapes.flat, arch.dense], hwcRowsToChw(weights.dense1.kernel, shapes.pool.height, shapes.pool.width, c2, arch.dense)),
    floatTensor('dense1.bias', [arch.dense], weights.dense1.bias),
    floatTensor('dense2.weight', [arch.dense, arch.classes], weights.dense2.kernel),
    floatTensor('dense2.bias', [arch.classes], weights.dense2.bias),
  ];
  const conv = { kernel_shape: { ints: [k, k] }, strides: { ints: [1, 1] }, pads: { ints: [0, 0, 0, 0] } };
  const nodes = [
    node('Conv', [CNN_INPUT, 'conv1.weight', 'conv1.bias'], ['conv1'], conv),
    node('Relu', ['conv1'], ['relu1']),
    node('Conv', ['relu1', 'conv2.weight', 'conv2.bias'], ['conv2'], conv),
    node('Relu', ['conv2'], ['relu2']),
    node('MaxPool', ['relu2'], ['pool'], { kernel_shape: { ints: [POOL, POOL] }, strides: { ints: [POOL, POOL] } }),
    node('Flatten', ['pool'], ['flat'], { axis: { int: 1 } }),
    node('Gemm', ['flat', 'dense1.weight', 'dense1.bias'], ['dense1']),
    node('Relu', ['dense1'], ['relu3']),
    node('Gemm', ['relu3', 'dense2.weight', 'dense2.bias'], ['logits']),
    node('Softmax', ['logits'], [CNN_OUTPUT], { axis: { int: 1 } }),
  ];
  return encodeModel(
    {
      name: 'lookout-cnn',
      node: nodes,
      initializer,
      input: [floatValue(CNN_INPUT, ['N', channels, height, width])],
      output: [floatValue(CNN_OUTPUT, ['N', arch.classes])],
    },
    meta,
  );
}

/** [kh, kw, in, out] → [out, in, kh, kw] */
export function hwioToOihw(src: Float32Array, k: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let y = 0; y < k; y++)
    for (let x = 0; x < k; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * k + y) * k + x] = src[((y * k + x) * cin + i) * cout + o]!;
  return out;
}

/** Dense rows indexed (h, w, c) channels-last → (c, h, w), the order ONNX Flatten gives an NCHW map. */
export function hwcRowsToChw(src: Float32Array, h: number, w: number, c: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) {
        const from = ((y * w + x) * c + ch) * cols;
        const to = ((ch * h + y) * w + x) * cols;
        out.set(src.subarray(from, from + cols), to);
      }
  return out;
}
