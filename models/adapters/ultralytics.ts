// Ultralytics ONNX exports. YOLOv5: [N, anchors, 5+C] rows (cx, cy, w, h, obj, classes).
// YOLOv8/v11: [N, 4+C, anchors] columns (cx, cy, w, h, classes; no obj). Boxes are in model-input pixels, scores sigmoided.
import type { AdapterFactory, AdapterOptions, ModelAdapter, TensorInfo } from '../adapter.js';
import type { Detection, FrameFormat } from '../../core/types.js';
import { bestClass as bestClassOf } from './best-class.js';
import { toSourceBox } from '../../core/letterbox.js';
import { checkLabelCount, labelFor } from '../labels.js';
import { nms } from '../nms.js';
import { createTensorWriter } from '../tensor.js';
import { batchOutput, formatDims, imageInput, isFixed, pickOutput, shapeError } from './shapes.js';

const NAME = 'ultralytics';
/** Ultralytics' own cap on boxes kept per image (`max_det`). */
const MAX_DETECTIONS = 300;

export type UltralyticsLayout = 'v5' | 'v8';

/**
 * Which layout an output has. With labels, the one whose class count matches them; without, the channel axis is the
 * short one (a few dozen channels against thousands of anchors).
 */
export function ultralyticsLayout(output: TensorInfo, options: Pick<AdapterOptions, 'labels'>): UltralyticsLayout {
  const dims = output.dims;
  const expected = `[N,4+C,anchors] (YOLOv8/v11) or [N,anchors,5+C] (YOLOv5)`;
  if (dims.length !== 3) throw shapeError(NAME, `output "${output.name}": expected ${expected}, got ${formatDims(dims)}`);
  const a = dims[1]!;
  const b = dims[2]!;
  const classes = options.labels.length;
  let layout: UltralyticsLayout;
  if (classes > 0 && a === 4 + classes) layout = 'v8';
  else if (classes > 0 && b === 5 + classes) layout = 'v5';
  else if (isFixed(a) && isFixed(b)) {
    // the channel axis must hold at least one class; when both could, it is the short one
    const v8 = a >= 5;
    const v5 = b >= 6;
    layout = v8 && v5 ? (a < b ? 'v8' : 'v5') : v8 ? 'v8' : 'v5';
  }
  else if (isFixed(a)) layout = 'v8';
  else if (isFixed(b)) layout = 'v5';
  else throw shapeError(NAME, `output "${output.name}": both axes of ${formatDims(dims)} are dynamic; expected ${expected}`);
  const channels = layout === 'v8' ? a : b;
  const minChannels = layout === 'v8' ? 5 : 6;
  if (channels < minChannels) throw shapeError(NAME, `output "${output.name}": expected ${expected} with at least one class, got ${formatDims(dims)}`);
  checkLabelCount(options.labels, channels - (layout === 'v8' ? 4 : 5), NAME);
  return layout;
}

export const ultralytics: AdapterFactory = (io, options): ModelAdapter => {
  const input = imageInput(NAME, io, options, { channels: [3], width: 640, height: 640 });
  const { width, height } = input;
  const output = pickOutput(NAME, io, 3);
  const layout = ultralyticsLayout(output, options);
  const format: FrameFormat = { width, height, layout: 'gbrp', resize: 'letterbox-center', padValue: 114 };
  const prepare = createTensorWriter({ width, height, layout: 'gbrp', order: 'rgb', mean: 0, std: 255 });
  const { threshold, labels } = options;
  // v8: best class per anchor, found class-major so the reads run along memory; sized on first use, then reused.
  let bestScore = new Float32Array(0);
  let bestClass = new Int32Array(0);

  /** [anchors, classes] of one decode's dims, checked against the layout found at load. */
  const sizes = (dims: readonly number[]): [number, number] => {
    const channels = layout === 'v8' ? dims[1]! : dims[2]!;
    const anchors = layout === 'v8' ? dims[2]! : dims[1]!;
    const classes = channels - (layout === 'v8' ? 4 : 5);
    const declared = output.dims[layout === 'v8' ? 1 : 2]!;
    if (dims.length !== 3 || classes < 1 || (isFixed(declared) && declared !== channels)) {
      const want = layout === 'v8' ? '[N,4+C,anchors] (YOLOv8/v11)' : '[N,anchors,5+C] (YOLOv5)';
      throw shapeError(NAME, `output "${output.name}": expected ${want} like the model's ${formatDims(output.dims)}, got ${formatDims(dims)}`);
    }
    checkLabelCount(labels, classes, NAME);
    return [anchors, classes];
  };

  const decodeV5 = (d: Float32Array, index: number, anchors: number, classes: number, out: Detection[]): void => {
    const row = 5 + classes;
    for (let a = 0, r = index * anchors * row; a < anchors; a++, r += row) {
      const obj = d[r + 4]!;
      if (obj < threshold) continue;
      const best = bestClassOf(d, r + 5, classes);
      const score = obj * d[r + 5 + best]!;
      if (score < threshold) continue;
      pushBox(out, best, score, d[r]!, d[r + 1]!, d[r + 2]!, d[r + 3]!);
    }
  };

  const decodeV8 = (d: Float32Array, index: number, anchors: number, classes: number, out: Detection[]): void => {
    if (bestScore.length < anchors) {
      bestScore = new Float32Array(anchors);
      bestClass = new Int32Array(anchors);
    }
    const base = index * (4 + classes) * anchors;
    bestScore.fill(-Infinity, 0, anchors);
    for (let c = 0, at = base + 4 * anchors; c < classes; c++) {
      for (let a = 0; a < anchors; a++, at++) {
        const v = d[at]!;
        if (v > bestScore[a]!) {
          bestScore[a] = v;
          bestClass[a] = c;
        }
      }
    }
    for (let a = 0; a < anchors; a++) {
      const score = bestScore[a]!;
      if (score < threshold) continue;
      pushBox(out, bestClass[a]!, score, d[base + a]!, d[base + anchors + a]!, d[base + 2 * anchors + a]!, d[base + 3 * anchors + a]!);
    }
  };

  const pushBox = (out: Detection[], classId: number, score: number, cx: number, cy: number, w: number, h: number): void => {
    out.push({ label: labelFor(labels, classId), classId, score, box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] });
  };

  return {
    name: NAME,
    format,
    inputName: input.name,
    frameElements: 3 * width * height,
    prepare,
    decode(outputs, index, transform) {
      const tensor = batchOutput(NAME, outputs, output.name, index);
      const [anchors, classes] = sizes(tensor.dims);
      const candidates: Detection[] = [];
      if (layout === 'v8') decodeV8(tensor.data, index, anchors, classes, candidates);
      else decodeV5(tensor.data, index, anchors, classes, candidates);
      // Ultralytics' default NMS is per class.
      const kept = nms(candidates, options.iou, { maxDetections: MAX_DETECTIONS });
      for (const det of kept) det.box = toSourceBox(det.box[0], det.box[1], det.box[2], det.box[3], transform);
      return kept;
    },
  };
};
