// A tiny ONNX classifier whose answer is known exactly: the mean colour of the crop, red against blue. Tests and the
// classify bench serve it like a trained model (NAME.onnx + NAME.labels.txt, the layout `lookout train` writes), so
// sub-labels, state crops and POST /api/classify run through real onnxruntime without a trained model.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildModel, floatTensor } from './onnx-graph-builder.js';

export const COLOUR_LABELS = ['red', 'blue'] as const;
/** logit gain on (mean R − mean B): a crop two-thirds red is p(red) ≈ 0.9999, an even one (black, grey) 0.5 */
const GAIN = 12;

/** Input `input` [N, 3, size, size] in 0..1 (RGB), output `probs` [N, 2] = softmax(GAIN·[R−B, B−R]) of the means. */
export function buildColourClassifier(size = 32): Uint8Array {
  return buildModel({
    inputs: [{ name: 'input', elemType: 'float', dims: ['batch', 3, size, size] }],
    outputs: [{ name: 'probs', elemType: 'float', dims: ['batch', 2] }],
    initializers: [floatTensor('w', [3, 2], [GAIN, -GAIN, 0, 0, -GAIN, GAIN])],
    nodes: [
      { op: 'ReduceMean', inputs: ['input'], outputs: ['mean'], attrs: { axes: [2, 3], keepdims: 0 } },
      { op: 'MatMul', inputs: ['mean', 'w'], outputs: ['logits'] },
      { op: 'Softmax', inputs: ['logits'], outputs: ['probs'], attrs: { axis: 1 } },
    ],
  });
}

/** Writes `<dir>/<name>.onnx` and `<dir>/<name>.labels.txt`; returns the model's path. */
export async function writeColourClassifier(dir: string, name = 'colour', size = 32): Promise<string> {
  await mkdir(dir, { recursive: true });
  const model = join(dir, `${name}.onnx`);
  await writeFile(model, buildColourClassifier(size));
  await writeFile(join(dir, `${name}.labels.txt`), `${COLOUR_LABELS.join('\n')}\n`);
  return model;
}
