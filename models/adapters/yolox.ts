// YOLOX (Megvii) ONNX exports: [N, anchors, 5+C] rows of grid offsets over strides 8, 16 and 32.
import type { AdapterFactory, ModelAdapter } from '../adapter.js';
import type { Detection, FrameFormat } from '../../core/types.js';
import { bestClass } from './best-class.js';
import { toSourceBox } from '../../core/letterbox.js';
import { checkLabelCount, labelFor } from '../labels.js';
import { nms } from '../nms.js';
import { createTensorWriter } from '../tensor.js';
import { batchOutput, formatDims, imageInput, isFixed, pickOutput, shapeError } from './shapes.js';

const NAME = 'yolox';
const STRIDES = [8, 16, 32] as const;

export const yolox: AdapterFactory = (io, options): ModelAdapter => {
  const input = imageInput(NAME, io, options, { channels: [3], width: 416, height: 416 });
  const { width, height } = input;

  // One entry per output row: the grid cell and stride it decodes against (levels in stride order, row-major within one).
  let anchors = 0;
  for (const s of STRIDES) anchors += Math.floor(width / s) * Math.floor(height / s);
  const gridX = new Float32Array(anchors);
  const gridY = new Float32Array(anchors);
  const stride = new Float32Array(anchors);
  for (let a = 0, l = 0; l < STRIDES.length; l++) {
    const s = STRIDES[l]!;
    const gw = Math.floor(width / s);
    const gh = Math.floor(height / s);
    for (let gy = 0; gy < gh; gy++) {
      for (let gx = 0; gx < gw; gx++, a++) {
        gridX[a] = gx;
        gridY[a] = gy;
        stride[a] = s;
      }
    }
  }

  const output = pickOutput(NAME, io, 3);
  /** The class count the dims imply; throws when they do not fit [N, anchors, 5+C]. */
  const classesOf = (dims: readonly number[]): number => {
    if (dims.length !== 3 || (isFixed(dims[1]) && dims[1] !== anchors) || (isFixed(dims[2]) && dims[2] < 6)) {
      throw shapeError(NAME, `output "${output.name}": expected [N,${anchors},5+C] for a ${width}x${height} input (strides 8, 16, 32), got ${formatDims(dims)}`);
    }
    return isFixed(dims[2]) ? dims[2] - 5 : options.labels.length;
  };
  const declaredClasses = classesOf(output.dims);
  if (isFixed(output.dims[2])) checkLabelCount(options.labels, declaredClasses, NAME);

  const format: FrameFormat = { width, height, layout: 'gbrp', resize: 'letterbox', padValue: 114 };
  // Upstream feeds BGR bytes as they are: no mean, no scaling.
  const prepare = createTensorWriter({ width, height, layout: 'gbrp', order: 'bgr', mean: 0, std: 1 });
  const { threshold, labels } = options;

  return {
    name: NAME,
    format,
    inputName: input.name,
    frameElements: 3 * width * height,
    prepare,
    decode(outputs, index, transform) {
      const tensor = batchOutput(NAME, outputs, output.name, index);
      const classes = classesOf(tensor.dims);
      checkLabelCount(labels, classes, NAME);
      const row = 5 + classes;
      const d = tensor.data;
      const candidates: Detection[] = [];
      for (let a = 0, r = index * anchors * row; a < anchors; a++, r += row) {
        const obj = d[r + 4]!;
        // Class scores are at most 1, so obj alone bounds the score.
        if (obj < threshold) continue;
        const best = bestClass(d, r + 5, classes);
        const score = obj * d[r + 5 + best]!;
        if (score < threshold) continue;
        const s = stride[a]!;
        const cx = (d[r]! + gridX[a]!) * s;
        const cy = (d[r + 1]! + gridY[a]!) * s;
        const w = Math.exp(d[r + 2]!) * s;
        const h = Math.exp(d[r + 3]!) * s;
        candidates.push({ label: labelFor(labels, best), classId: best, score, box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] });
      }
      // Upstream's demo suppresses across classes (multiclass_nms is class-agnostic by default). NMS runs in model-input
      // pixels, before clipping to the source, as upstream does.
      const kept = nms(candidates, options.iou, { classAgnostic: true });
      for (const det of kept) det.box = toSourceBox(det.box[0], det.box[1], det.box[2], det.box[3], transform);
      return kept;
    },
  };
};
