// FastestDet (dog-qiuqiu) ONNX exports: one NCHW grid [N, 5+C, GH, GW] of obj, x/y offsets, w/h and class probabilities.
import type { AdapterFactory, ModelAdapter } from '../adapter.js';
import type { Detection, FrameFormat } from '../../core/types.js';
import { toSourceBox } from '../../core/letterbox.js';
import { checkLabelCount, labelFor } from '../labels.js';
import { nms } from '../nms.js';
import { createTensorWriter } from '../tensor.js';
import { batchOutput, formatDims, imageInput, isFixed, pickOutput, shapeError } from './shapes.js';

const NAME = 'fastestdet';

export const fastestdet: AdapterFactory = (io, options): ModelAdapter => {
  const input = imageInput(NAME, io, options, { channels: [3], width: 352, height: 352 });
  const { width, height } = input;
  const output = pickOutput(NAME, io, 4);
  const classesOf = (dims: readonly number[]): number => {
    if (dims.length !== 4 || (isFixed(dims[1]) && dims[1] < 6) || dims[2] === 0 || dims[3] === 0) {
      throw shapeError(NAME, `output "${output.name}": expected [N,5+C,GH,GW], got ${formatDims(dims)}`);
    }
    return isFixed(dims[1]) ? dims[1] - 5 : options.labels.length;
  };
  const declaredClasses = classesOf(output.dims);
  if (isFixed(output.dims[1])) checkLabelCount(options.labels, declaredClasses, NAME);

  const format: FrameFormat = { width, height, layout: 'gbrp', resize: 'stretch', padValue: 0 };
  const prepare = createTensorWriter({ width, height, layout: 'gbrp', order: 'bgr', mean: 0, std: 255 });
  const { threshold, labels } = options;
  // score = obj^0.6 · cls^0.4 with cls ≤ 1, so a cell whose obj is below threshold^(1/0.6) cannot pass.
  const minObj = Math.pow(threshold, 1 / 0.6);

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
      const gh = tensor.dims[2]!;
      const gw = tensor.dims[3]!;
      const plane = gh * gw;
      const base = index * (5 + classes) * plane;
      const d = tensor.data;
      const candidates: Detection[] = [];
      for (let gy = 0, cell = 0; gy < gh; gy++) {
        for (let gx = 0; gx < gw; gx++, cell++) {
          const obj = d[base + cell]!;
          if (obj < minObj) continue;
          let best = 0;
          let bestScore = -Infinity;
          for (let c = 0, at = base + 5 * plane + cell; c < classes; c++, at += plane) {
            const v = d[at]!;
            if (v > bestScore) {
              bestScore = v;
              best = c;
            }
          }
          const score = Math.pow(obj, 0.6) * Math.pow(bestScore, 0.4);
          if (!(score >= threshold)) continue;
          const cx = (gx + Math.tanh(d[base + plane + cell]!)) / gw;
          const cy = (gy + Math.tanh(d[base + 2 * plane + cell]!)) / gh;
          const w = 1 / (1 + Math.exp(-d[base + 3 * plane + cell]!));
          const h = 1 / (1 + Math.exp(-d[base + 4 * plane + cell]!));
          // Box fractions of the image, to model-input pixels (the letterbox transform then maps to source pixels).
          candidates.push({
            label: labelFor(labels, best),
            classId: best,
            score,
            box: [(cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height],
          });
        }
      }
      // Upstream suppresses across classes.
      const kept = nms(candidates, options.iou, { classAgnostic: true });
      for (const det of kept) det.box = toSourceBox(det.box[0], det.box[1], det.box[2], det.box[3], transform);
      return kept;
    },
  };
};
