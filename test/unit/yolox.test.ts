import { strict as assert } from 'node:assert';
import type { AdapterOptions, ModelIO, OutputTensor } from '../../models/adapter.js';
import { yolox } from '../../models/adapters/yolox.js';
import { computeTransform } from '../../core/letterbox.js';
import { LookoutError } from '../../core/errors.js';
import type { Detection } from '../../core/types.js';

// A 64x64 input has 8x8 + 4x4 + 2x2 = 84 grid points (strides 8, 16, 32); 3 classes make rows of 8.
const ANCHORS = 84;
const ROW = 8;
const LABELS = ['person', 'dog', 'car'];
const OPTIONS: AdapterOptions = { labels: LABELS, threshold: 0.3, iou: 0.45, topK: 1 };
const io = (batch = 1, outDims: number[] = [batch, ANCHORS, ROW]): ModelIO => ({
  inputs: [{ name: 'images', dims: [batch, 3, 64, 64] }],
  outputs: [{ name: 'output', dims: outDims }],
});

/** Sets one output row of batch item `item`: [dx, dy, log w, log h, obj, ...classes]. */
function setRow(data: Float32Array, item: number, anchor: number, row: number[]): void {
  data.set(row, (item * ANCHORS + anchor) * ROW);
}

function assertDetection(actual: Detection | undefined, expected: { label: string; classId: number; score: number; box: number[] }): void {
  assert.ok(actual, `expected a ${expected.label} detection`);
  assert.equal(actual.label, expected.label);
  assert.equal(actual.classId, expected.classId);
  assert.ok(Math.abs(actual.score - expected.score) < 1e-5, `score ${actual.score} ≠ ${expected.score}`);
  actual.box.forEach((v, i) => assert.ok(Math.abs(v - expected.box[i]!) < 1e-3, `box ${actual.box} ≠ ${expected.box}`));
}

describe('yolox adapter', () => {
  it('asks for a top-left letterbox with pad 114 and feeds raw BGR', () => {
    const adapter = yolox(io(), OPTIONS);
    assert.deepEqual(adapter.format, { width: 64, height: 64, layout: 'gbrp', resize: 'letterbox', padValue: 114 });
    assert.equal(adapter.inputName, 'images');
    assert.equal(adapter.frameElements, 3 * 64 * 64);
    // given a frame with G = 1, B = 2, R = 3 everywhere
    const pixels = new Uint8Array(3 * 64 * 64);
    pixels.fill(1, 0, 4096).fill(2, 4096, 8192).fill(3, 8192);
    const out = new Float32Array(adapter.frameElements);
    adapter.prepare(pixels, out, 0);
    // then the tensor is B, G, R with the byte values unchanged
    assert.deepEqual([out[0], out[4096], out[8192]], [2, 1, 3]);
  });

  it('decodes grid offsets per level into source pixels, best first, suppressing across classes', () => {
    const adapter = yolox(io(), OPTIONS);
    const data = new Float32Array(ANCHORS * ROW);
    // stride 16, cell (gx 2, gy 1) = row 64 + 1·4 + 2 = 70: cx = (0.5+2)·16 = 40, cy = (0.25+1)·16 = 20, w = 2·16, h = 1·16
    // → input box [24, 12, 56, 28]; score 0.9 · 0.8 = 0.72 for "dog"
    setRow(data, 0, 70, [0.5, 0.25, Math.log(2), 0, 0.9, 0.1, 0.8, 0.05]);
    // stride 8, cell (5, 2) = row 21: cx = 5·8 = 40, cy = (0.5+2)·8 = 20, w = 4·8, h = 2·8: the same box as a "car" at 0.63
    setRow(data, 0, 21, [0, 0.5, Math.log(4), Math.log(2), 0.7, 0, 0, 0.9]);
    // stride 32, cell (0, 0) = row 80: box [0, 0, 32, 32], "person" at 1 · 0.5
    setRow(data, 0, 80, [0.5, 0.5, 0, 0, 1, 0.5, 0, 0]);
    // a confident object but a weak class: 0.9 · 0.3 = 0.27 is under the threshold
    setRow(data, 0, 0, [0.5, 0.5, 0, 0, 0.9, 0.3, 0, 0]);
    // given a 128x64 source letterboxed into 64x64: r = 0.5, no padding on the left or top
    const t = computeTransform(adapter.format, 128, 64);
    const dets = adapter.decode({ output: { data, dims: [1, ANCHORS, ROW] } }, 0, t);
    // then the dog maps to [48, 24, 112, 56], the car is suppressed by it, the person stays
    assert.equal(dets.length, 2);
    assertDetection(dets[0], { label: 'dog', classId: 1, score: 0.72, box: [48, 24, 112, 56] });
    assertDetection(dets[1], { label: 'person', classId: 0, score: 0.5, box: [0, 0, 64, 64] });
  });

  it('reads the requested item of a batch', () => {
    // given a dynamic-batch model run on two frames, only the second of which has an object
    const adapter = yolox(io(-1), OPTIONS);
    const data = new Float32Array(2 * ANCHORS * ROW);
    setRow(data, 1, 80, [0.5, 0.5, 0, 0, 1, 0, 0, 0.9]);
    const outputs: Record<string, OutputTensor> = { output: { data, dims: [2, ANCHORS, ROW] } };
    const t = computeTransform(adapter.format, 64, 64);
    // then item 0 has nothing and item 1 has the car
    assert.deepEqual(adapter.decode(outputs, 0, t), []);
    assertDetection(adapter.decode(outputs, 1, t)[0], { label: 'car', classId: 2, score: 0.9, box: [0, 0, 32, 32] });
    assert.throws(() => adapter.decode(outputs, 2, t), RangeError);
  });

  it('takes a dynamic input size from the options', () => {
    const adapter = yolox({ inputs: [{ name: 'images', dims: [1, 3, -1, -1] }], outputs: [{ name: 'output', dims: [1, -1, ROW] }] }, { ...OPTIONS, inputWidth: 32, inputHeight: 32 });
    assert.deepEqual([adapter.format.width, adapter.format.height], [32, 32]);
    // a 32x32 input has 16 + 4 + 1 rows; any other count is an error
    const t = computeTransform(adapter.format, 32, 32);
    assert.deepEqual(adapter.decode({ output: { data: new Float32Array(21 * ROW), dims: [1, 21, ROW] } }, 0, t), []);
    assert.throws(() => adapter.decode({ output: { data: new Float32Array(84 * ROW), dims: [1, 84, ROW] } }, 0, t), { code: 'LOOKOUT_ERR_MODEL_SHAPE' });
  });

  it('names what it expected when the output does not fit the input size', () => {
    assert.throws(
      () => yolox(io(1, [1, 85, ROW]), OPTIONS),
      (err: unknown) => err instanceof LookoutError && err.code === 'LOOKOUT_ERR_MODEL_SHAPE' && err.message === 'yolox: output "output": expected [N,84,5+C] for a 64x64 input (strides 8, 16, 32), got [1,85,8]',
    );
  });

  it('rejects a grey input and a non-image input', () => {
    assert.throws(() => yolox({ inputs: [{ name: 'images', dims: [1, 1, 64, 64] }], outputs: io().outputs }, OPTIONS), {
      code: 'LOOKOUT_ERR_MODEL_SHAPE',
      message: /^yolox: input "images": expected 3 channels .*got \[1,1,64,64\]/,
    });
    assert.throws(() => yolox({ inputs: [{ name: 'images', dims: [1, 64, 64] }], outputs: io().outputs }, OPTIONS), {
      code: 'LOOKOUT_ERR_MODEL_SHAPE',
      message: /expected rank 4/,
    });
  });

  it('rejects labels that do not match the class count', () => {
    // given 3 classes in the output and 80 labels
    const labels = Array.from({ length: 80 }, (_, i) => `l${i}`);
    assert.throws(() => yolox(io(), { ...OPTIONS, labels }), { code: 'LOOKOUT_ERR_LABELS', message: /80 labels.*3 classes/ });
  });
});
