import { strict as assert } from 'node:assert';
import type { AdapterOptions, ModelIO } from '../../models/adapter.js';
import { ultraface } from '../../models/adapters/ultraface.js';
import { computeTransform } from '../../core/letterbox.js';

const OPTIONS: AdapterOptions = { labels: [], threshold: 0.7, iou: 0.3, topK: 1 };
const io = (batch = 1, scores = [batch, 3, 2], boxes = [batch, 3, 4]): ModelIO => ({
  inputs: [{ name: 'input', dims: [batch, 3, 240, 320] }],
  outputs: [
    { name: 'scores', dims: scores },
    { name: 'boxes', dims: boxes },
  ],
});

/** Three anchors: a face, a 50/50 anchor under the threshold, and a weaker duplicate of the face. */
const SCORES = [0.1, 0.9, 0.5, 0.5, 0.2, 0.8];
const BOXES = [0.25, 0.5, 0.5, 1.0, 0.1, 0.1, 0.2, 0.2, 0.26, 0.5, 0.5, 1.0];

describe('ultraface adapter', () => {
  it('asks for a stretched 320x240 frame and feeds RGB as (x - 127) / 128', () => {
    const adapter = ultraface(io(), OPTIONS);
    assert.deepEqual(adapter.format, { width: 320, height: 240, layout: 'gbrp', resize: 'stretch', padValue: 0 });
    const plane = 320 * 240;
    const pixels = new Uint8Array(3 * plane);
    pixels.fill(127, 0, plane).fill(0, plane, 2 * plane).fill(255, 2 * plane);
    const out = new Float32Array(adapter.frameElements);
    adapter.prepare(pixels, out, 0);
    assert.deepEqual([out[0], out[plane], out[2 * plane]], [1, 0, Math.fround(-127 / 128)]);
  });

  it('scales normalised corners to source pixels and keeps the best of overlapping faces', () => {
    const adapter = ultraface(io(), OPTIONS);
    // given a 640x480 source: corners × 640 and × 480
    const t = computeTransform(adapter.format, 640, 480);
    const dets = adapter.decode({ scores: { data: Float32Array.from(SCORES), dims: [1, 3, 2] }, boxes: { data: Float32Array.from(BOXES), dims: [1, 3, 4] } }, 0, t);
    // then one face at [0.25·640, 0.5·480, 0.5·640, 1·480]; the duplicate (IoU ≈ 0.96) is suppressed
    assert.equal(dets.length, 1);
    assert.deepEqual({ ...dets[0]!, score: Math.round(dets[0]!.score * 1e6) / 1e6 }, { label: 'face', classId: 0, score: 0.9, box: [160, 240, 320, 480] });
  });

  it('accepts labels with or without the background class, and rejects any other count', () => {
    const outputs = { scores: { data: Float32Array.from(SCORES), dims: [1, 3, 2] }, boxes: { data: Float32Array.from(BOXES), dims: [1, 3, 4] } };
    const t = computeTransform({ width: 320, height: 240, resize: 'stretch' }, 640, 480);
    assert.equal(ultraface(io(), { ...OPTIONS, labels: ['BACKGROUND', 'person-face'] }).decode(outputs, 0, t)[0]!.label, 'person-face');
    assert.equal(ultraface(io(), { ...OPTIONS, labels: ['head'] }).decode(outputs, 0, t)[0]!.label, 'head');
    assert.throws(() => ultraface(io(), { ...OPTIONS, labels: ['a', 'b', 'c'] }), { code: 'LOOKOUT_ERR_LABELS' });
  });

  it('reads the requested item of a batch', () => {
    const adapter = ultraface(io(-1), OPTIONS);
    const scores = Float32Array.from([...SCORES, 0.9, 0.1, 0.9, 0.1, 0.25, 0.75]);
    const boxes = Float32Array.from([...BOXES, ...BOXES]);
    const outputs = { scores: { data: scores, dims: [2, 3, 2] }, boxes: { data: boxes, dims: [2, 3, 4] } };
    const t = computeTransform(adapter.format, 320, 240);
    // item 1 has only the third anchor above 0.7
    const dets = adapter.decode(outputs, 1, t);
    assert.equal(dets.length, 1);
    assert.deepEqual(dets[0]!.box.map((v) => Math.round(v * 1000) / 1000), [83.2, 120, 160, 240]);
  });

  it('rejects boxes that are not corners and outputs that disagree on the anchor count', () => {
    assert.throws(() => ultraface(io(1, [1, 3, 2], [1, 3, 5]), OPTIONS), {
      code: 'LOOKOUT_ERR_MODEL_SHAPE',
      message: 'ultraface: expected "scores" [N,K,C] with C >= 2 and "boxes" [N,K,4], got [1,3,2] and [1,3,5]',
    });
    assert.throws(() => ultraface(io(1, [1, 3, 2], [1, 4, 4]), OPTIONS), { code: 'LOOKOUT_ERR_MODEL_SHAPE' });
    assert.throws(() => ultraface({ inputs: io().inputs, outputs: [io().outputs[0]!] }, OPTIONS), { code: 'LOOKOUT_ERR_MODEL_SHAPE', message: /expected two outputs/ });
  });
});
