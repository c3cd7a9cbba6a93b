import { strict as assert } from 'node:assert';
import type { AdapterOptions, ModelIO } from '../../models/adapter.js';
import { classifier, toProbabilities } from '../../models/adapters/classifier.js';
import { computeTransform } from '../../core/letterbox.js';

const LABELS = ['zero', 'one', 'two', 'three'];
const OPTIONS: AdapterOptions = { labels: LABELS, threshold: 0, iou: 0.5, topK: 2 };
const io = (input = [1, 1, 28, 28], output = [1, 4]): ModelIO => ({
  inputs: [{ name: 'Input3', dims: input }],
  outputs: [{ name: 'Plus214_Output_0', dims: output }],
});
// logits ln 1..ln 4 → softmax = [1, 2, 3, 4] / 10
const LOGITS = Float32Array.from([0, Math.log(2), Math.log(3), Math.log(4)]);
const round = (v: number) => Math.round(v * 1e6) / 1e6;

describe('classifier adapter', () => {
  it('feeds a grey model grey bytes stretched to its input, scaled to 0..1 by default', () => {
    const adapter = classifier(io(), OPTIONS);
    assert.deepEqual(adapter.format, { width: 28, height: 28, layout: 'gray', resize: 'stretch', padValue: 0 });
    assert.equal(adapter.frameElements, 28 * 28);
    const out = new Float32Array(adapter.frameElements);
    adapter.prepare(new Uint8Array(28 * 28).fill(255), out, 0);
    assert.equal(out[783], 1);
  });

  it('feeds a colour model RGB with the normalisation the options give', () => {
    // given ImageNet-style mean/std in 0..255 units
    const adapter = classifier(io([1, 3, 2, 2], [1, 4, 1, 1]), { ...OPTIONS, mean: [100, 50, 0], std: [2, 1, 255] });
    assert.equal(adapter.format.layout, 'gbrp');
    const pixels = new Uint8Array(12);
    pixels.fill(60, 0, 4).fill(255, 4, 8).fill(110, 8);
    const out = new Float32Array(12);
    adapter.prepare(pixels, out, 0);
    // then R (110 - 100) / 2, G (60 - 50) / 1, B 255 / 255
    assert.deepEqual([out[0], out[4], out[8]], [5, 10, 1]);
  });

  it('turns logits into the top-k softmax classes, each boxed as the whole source image', () => {
    const adapter = classifier(io(), OPTIONS);
    const dets = adapter.decode({ Plus214_Output_0: { data: LOGITS, dims: [1, 4] } }, 0, computeTransform(adapter.format, 640, 480));
    assert.deepEqual(dets.map((d) => ({ ...d, score: round(d.score) })), [
      { label: 'three', classId: 3, score: 0.4, box: [0, 0, 640, 480] },
      { label: 'two', classId: 2, score: 0.3, box: [0, 0, 640, 480] },
    ]);
  });

  it('keeps probabilities that already sum to 1, and applies the threshold to them', () => {
    const adapter = classifier(io(), { ...OPTIONS, threshold: 0.35 });
    const probs = Float32Array.from([0.1, 0.6, 0.3, 0]);
    const dets = adapter.decode({ Plus214_Output_0: { data: probs, dims: [1, 4] } }, 0, computeTransform(adapter.format, 28, 28));
    // then only "one" reaches 0.35, with its probability unchanged
    assert.deepEqual(dets.map((d) => [d.label, d.score]), [['one', Math.fround(0.6)]]);
  });

  it('ranks equal scores by class id', () => {
    const adapter = classifier(io(), { ...OPTIONS, topK: 3 });
    const dets = adapter.decode({ Plus214_Output_0: { data: new Float32Array(4), dims: [1, 4] } }, 0, computeTransform(adapter.format, 28, 28));
    assert.deepEqual(dets.map((d) => [d.classId, d.score]), [[0, 0.25], [1, 0.25], [2, 0.25]]);
  });

  it('reads the requested item of a batch', () => {
    const adapter = classifier(io([-1, 1, 28, 28], [-1, 4]), { ...OPTIONS, topK: 1 });
    const data = Float32Array.from([...LOGITS, ...LOGITS.slice().reverse()]);
    const outputs = { Plus214_Output_0: { data, dims: [2, 4] } };
    const t = computeTransform(adapter.format, 28, 28);
    assert.equal(adapter.decode(outputs, 0, t)[0]!.label, 'three');
    assert.equal(adapter.decode(outputs, 1, t)[0]!.label, 'zero');
  });

  it('rejects outputs that are not a class vector, labels of another length and an unsized dynamic input', () => {
    assert.throws(() => classifier(io([1, 1, 28, 28], [1, 4, 2]), OPTIONS), {
      code: 'LOOKOUT_ERR_MODEL_SHAPE',
      message: 'classifier: output "Plus214_Output_0": expected [N,K] (or [N,K,1,1]), got [1,4,2]',
    });
    assert.throws(() => classifier(io([1, 1, 28, 28], [1, 10]), OPTIONS), { code: 'LOOKOUT_ERR_LABELS', message: /4 labels.*10 classes/ });
    assert.throws(() => classifier(io([1, 3, -1, -1]), OPTIONS), { code: 'LOOKOUT_ERR_MODEL_SHAPE', message: /dynamic height; set inputHeight/ });
    assert.throws(() => classifier(io([1, 4, 28, 28]), OPTIONS), { code: 'LOOKOUT_ERR_MODEL_SHAPE', message: /expected 1 or 3 channels/ });
  });

  describe('toProbabilities', () => {
    it('softmaxes large logits without overflow and passes a single probability through', () => {
      const out = new Float32Array(2);
      toProbabilities(Float32Array.from([1000, 1000]), 0, 2, out);
      assert.deepEqual([...out], [0.5, 0.5]);
      toProbabilities(Float32Array.from([0.3]), 0, 1, out);
      assert.equal(out[0], Math.fround(0.3));
      // a single logit is a sigmoid: 0 → 0.5
      toProbabilities(Float32Array.from([-2]), 0, 1, out);
      assert.equal(out[0], Math.fround(1 / (1 + Math.E ** 2)));
    });
  });
});
