// UltraFace (Linzaer) and other SSD-style exports with decoded outputs: `scores` [N, K, C] (column 0 = background,
// softmax done) and `boxes` [N, K, 4] (corners as fractions of the image).
import type { AdapterFactory, ModelAdapter } from '../adapter.js';
import type { Detection, FrameFormat } from '../../core/types.js';
import { toSourceBox } from '../../core/letterbox.js';
import { checkLabelCount, labelFor } from '../labels.js';
import { nms } from '../nms.js';
import { createTensorWriter } from '../tensor.js';
import { batchOutput, formatDims, imageInput, isFixed, pickOutput, shapeError } from './shapes.js';

const NAME = 'ultraface';

export const ultraface: AdapterFactory = (io, options): ModelAdapter => {
  const input = imageInput(NAME, io, options, { channels: [3], width: 320, height: 240 });
  const { width, height } = input;
  if (io.outputs.length !== 2) {
    throw shapeError(NAME, `expected two outputs, "scores" [N,K,C] and "boxes" [N,K,4], got ${io.outputs.map((o) => `"${o.name}" ${formatDims(o.dims)}`).join(', ') || 'none'}`);
  }
  // Named outputs when the export kept the names; otherwise the box output is the one whose last axis is 4.
  const named = io.outputs.some((o) => o.name === 'scores') && io.outputs.some((o) => o.name === 'boxes');
  const boxesInfo = named ? pickOutput(NAME, io, 3, 'boxes') : io.outputs.find((o) => o.dims[2] === 4 && o.dims.length === 3) ?? io.outputs[1]!;
  const scoresInfo = named ? pickOutput(NAME, io, 3, 'scores') : io.outputs.find((o) => o !== boxesInfo)!;

  /** [K, C] of a pair of dims; throws unless scores is [N,K,C≥2] and boxes [N,K,4] with the same K. */
  const sizes = (scores: readonly number[], boxes: readonly number[]): [number, number] => {
    const k = scores[1]!;
    const ok =
      scores.length === 3 && boxes.length === 3 && boxes[2] === 4 &&
      (!isFixed(scores[2]) || scores[2] >= 2) &&
      (!isFixed(k) || !isFixed(boxes[1]) || k === boxes[1]);
    if (!ok) {
      throw shapeError(NAME, `expected "${scoresInfo.name}" [N,K,C] with C >= 2 and "${boxesInfo.name}" [N,K,4], got ${formatDims(scores)} and ${formatDims(boxes)}`);
    }
    return [k, scores[2]!];
  };
  const declaredColumns = sizes(scoresInfo.dims, boxesInfo.dims)[1];

  // Labels name the classes after background; a file that also names background (as upstream's does) is accepted too.
  const columnLabels = (columns: number): readonly string[] => {
    const given = options.labels;
    if (given.length === 0) return columns === 2 ? ['face'] : [];
    const labels = given.length === columns ? given.slice(1) : given;
    checkLabelCount(labels, columns - 1, NAME);
    return labels;
  };
  let labelColumns = declaredColumns;
  let labels = isFixed(declaredColumns) ? columnLabels(declaredColumns) : [];

  const format: FrameFormat = { width, height, layout: 'gbrp', resize: 'stretch', padValue: 0 };
  const prepare = createTensorWriter({ width, height, layout: 'gbrp', order: 'rgb', mean: 127, std: 128 });
  const { threshold } = options;

  return {
    name: NAME,
    format,
    inputName: input.name,
    frameElements: 3 * width * height,
    prepare,
    decode(outputs, index, transform) {
      const scores = batchOutput(NAME, outputs, scoresInfo.name, index);
      const boxes = batchOutput(NAME, outputs, boxesInfo.name, index);
      const [k, columns] = sizes(scores.dims, boxes.dims);
      if (k !== boxes.dims[1]) throw shapeError(NAME, `"${scoresInfo.name}" ${formatDims(scores.dims)} and "${boxesInfo.name}" ${formatDims(boxes.dims)} differ in K`);
      if (columns !== labelColumns) {
        labels = columnLabels(columns);
        labelColumns = columns;
      }
      const s = scores.data;
      const b = boxes.data;
      const candidates: Detection[] = [];
      for (let i = 0, sr = index * k * columns, br = index * k * 4; i < k; i++, sr += columns, br += 4) {
        for (let c = 1; c < columns; c++) {
          const score = s[sr + c]!;
          if (!(score >= threshold)) continue;
          const classId = c - 1;
          candidates.push({
            label: labelFor(labels, classId),
            classId,
            score,
            box: [b[br]! * width, b[br + 1]! * height, b[br + 2]! * width, b[br + 3]! * height],
          });
        }
      }
      const kept = nms(candidates, options.iou);
      for (const det of kept) det.box = toSourceBox(det.box[0], det.box[1], det.box[2], det.box[3], transform);
      return kept;
    },
  };
};
