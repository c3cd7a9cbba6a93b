// The trained numbers of a CNN as plain typed arrays, in tfjs's layouts: convolution kernels [kh, kw, in, out],
// dense kernels [in, out] with the dense-1 inputs in channels-last flatten order (h, w, c). Plain data so that it can
// cross a worker boundary, be compared bit for bit, and be written to ONNX without tfjs.
import { CONV_KERNEL, cnnShapes, type CnnArchitecture } from './architecture.js';
import { deriveSeed } from './random.js';
import { seededRandom } from '../../core/random.js';

export interface Layer {
  kernel: Float32Array;
  bias: Float32Array;
}

export interface CnnWeights {
  conv1: Layer;
  conv2: Layer;
  dense1: Layer;
  dense2: Layer;
}

export const LAYER_NAMES = ['conv1', 'conv2', 'dense1', 'dense2'] as const;
export type LayerName = (typeof LAYER_NAMES)[number];

/** The tfjs shapes of each layer's kernel. */
export function kernelShapes(arch: CnnArchitecture): Record<LayerName, number[]> {
  const [c1, c2] = arch.conv;
  const k = CONV_KERNEL;
  return {
    conv1: [k, k, arch.input.channels, c1],
    conv2: [k, k, c1, c2],
    dense1: [cnnShapes(arch).flat, arch.dense],
    dense2: [arch.dense, arch.classes],
  };
}

/** Glorot-uniform kernels (Keras's default) and zero biases, from the seed alone. */
export function initCnnWeights(arch: CnnArchitecture, seed: number): CnnWeights {
  const shapes = kernelShapes(arch);
  const layer = (name: LayerName): Layer => {
    const shape = shapes[name];
    const size = shape.reduce((a, b) => a * b, 1);
    const out = shape[shape.length - 1]!;
    // fan in/out of a conv kernel count the receptive field
    const receptive = shape.length === 4 ? shape[0]! * shape[1]! : 1;
    const fanIn = shape[shape.length - 2]! * receptive;
    const fanOut = out * receptive;
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const random = seededRandom(deriveSeed(seed, 'init', name));
    const kernel = new Float32Array(size);
    for (let i = 0; i < size; i++) kernel[i] = (random() * 2 - 1) * limit;
    return { kernel, bias: new Float32Array(out) };
  };
  return { conv1: layer('conv1'), conv2: layer('conv2'), dense1: layer('dense1'), dense2: layer('dense2') };
}

/** Every buffer of the weights, for postMessage's transfer list. */
export function weightBuffers(w: CnnWeights): ArrayBuffer[] {
  return LAYER_NAMES.flatMap((n) => [w[n].kernel.buffer as ArrayBuffer, w[n].bias.buffer as ArrayBuffer]);
}
