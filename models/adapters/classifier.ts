// Plain image classifiers: [N, K] logits or probabilities (trailing 1×1 axes allowed) → the top-k classes, each a
// Detection whose box is the whole source image.
import type { AdapterOptions, ModelAdapter, ModelIO } from '../adapter.js';
import type { Detection, FrameFormat } from '../../core/types.js';
import { checkLabelCount, labelFor } from '../labels.js';
import { createTensorWriter } from '../tensor.js';
import { batchOutput, formatDims, imageInput, isFixed, pickOutput, shapeError } from './shapes.js';

const NAME = 'classifier';
/** How far from 1 a sum may be and still count as a probability vector (float32 softmax rounding). */
const SUM_TOLERANCE = 1e-3;

/** Classifiers differ in normalisation (MNIST 0..1, ImageNet mean/std); the default is 0..1. */
export interface ClassifierOptions extends AdapterOptions {
  /** per tensor channel, in 0..255 units; default 0 */
  mean?: number | readonly number[];
  /** per tensor channel, in 0..255 units; default 255 */
  std?: number | readonly number[];
  /** channel order of a colour model; default rgb */
  channelOrder?: 'rgb' | 'bgr';
  /** how the image is fitted into the input; default stretch (letterbox: aspect kept, centred, padded with the mean; center-crop: aspect kept, overflow cut) */
  resize?: 'stretch' | 'letterbox' | 'center-crop';
}

/**
 * Writes probabilities for `k` raw outputs starting at `from` into `probs`: as they are when they already form a
 * probability vector, else softmax (a single output: sigmoid, since softmax of one value is always 1).
 */
export function toProbabilities(data: Float32Array, from: number, k: number, probs: Float32Array): void {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < k; i++) {
    const v = data[from + i]!;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min >= 0 && max <= 1 && (k === 1 || Math.abs(sum - 1) <= SUM_TOLERANCE)) {
    for (let i = 0; i < k; i++) probs[i] = data[from + i]!;
    return;
  }
  if (k === 1) {
    probs[0] = 1 / (1 + Math.exp(-data[from]!));
    return;
  }
  // Subtracting the max keeps exp() finite for large logits.
  let total = 0;
  for (let i = 0; i < k; i++) {
    const e = Math.exp(data[from + i]! - max);
    probs[i] = e;
    total += e;
  }
  for (let i = 0; i < k; i++) probs[i] = probs[i]! / total;
}

/** An AdapterFactory that also reads the normalisation fields of ClassifierOptions. */
export const classifier = (io: ModelIO, options: ClassifierOptions): ModelAdapter => {
  const input = imageInput(NAME, io, options, { channels: [1, 3] });
  const { width, height, channels } = input;
  const output = io.outputs.length === 1 ? io.outputs[0]! : pickOutput(NAME, io, 2);
  /** Classes per batch item; throws unless the dims are [N, K] or [N, K, 1, …]. */
  const classesOf = (dims: readonly number[]): number => {
    let trailingOnes = true;
    for (let i = 2; i < dims.length; i++) trailingOnes &&= dims[i] === 1;
    if (dims.length < 2 || !trailingOnes || dims[1] === 0) {
      throw shapeError(NAME, `output "${output.name}": expected [N,K] (or [N,K,1,1]), got ${formatDims(dims)}`);
    }
    return dims[1]!;
  };
  const declared = classesOf(output.dims);
  if (isFixed(declared)) checkLabelCount(options.labels, declared, NAME);

  const grey = channels === 1;
  const mean = options.mean ?? 0;
  const letterbox = options.resize === 'letterbox';
  // padding at the (average) mean becomes ~0 once normalised: it reads as "nothing" rather than as black
  const meanBytes = typeof mean === 'number' ? mean : mean.reduce((a, b) => a + b, 0) / Math.max(1, mean.length);
  const padValue = letterbox ? Math.max(0, Math.min(255, Math.round(meanBytes))) : 0;
  const format: FrameFormat = { width, height, layout: grey ? 'gray' : 'gbrp', resize: letterbox ? 'letterbox-center' : options.resize === 'center-crop' ? 'center-crop' : 'stretch', padValue };
  const prepare = createTensorWriter({
    width,
    height,
    layout: format.layout,
    order: grey ? 'gray' : options.channelOrder ?? 'rgb',
    mean,
    std: options.std ?? 255,
  });
  const { threshold, labels } = options;
  const topK = Math.max(1, Math.floor(options.topK));
  let probs = new Float32Array(isFixed(declared) ? declared : 0);
  // The k best class ids so far, best first; reused across frames.
  const top = new Int32Array(topK);

  return {
    name: NAME,
    format,
    inputName: input.name,
    frameElements: channels * width * height,
    prepare,
    decode(outputs, index, transform) {
      const tensor = batchOutput(NAME, outputs, output.name, index);
      const k = classesOf(tensor.dims);
      checkLabelCount(labels, k, NAME);
      if (probs.length < k) probs = new Float32Array(k);
      toProbabilities(tensor.data, index * k, k, probs);
      let found = 0;
      for (let c = 0; c < k; c++) {
        const p = probs[c]!;
        if (!(p >= threshold) || (found === topK && p <= probs[top[topK - 1]!]!)) continue;
        // Insertion into the short best-first list; a later class with an equal score ranks after an earlier one.
        let at = found < topK ? found++ : topK - 1;
        while (at > 0 && probs[top[at - 1]!]! < p) {
          top[at] = top[at - 1]!;
          at--;
        }
        top[at] = c;
      }
      const detections: Detection[] = [];
      for (let i = 0; i < found; i++) {
        const classId = top[i]!;
        detections.push({ label: labelFor(labels, classId), classId, score: probs[classId]!, box: [0, 0, transform.srcWidth, transform.srcHeight] });
      }
      return detections;
    },
  };
};
