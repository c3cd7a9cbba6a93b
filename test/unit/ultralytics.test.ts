import { strict as assert } from 'node:assert';
import type { AdapterOptions, ModelIO } from '../../models/adapter.js';
import { ultralytics, ultralyticsLayout } from '../../models/adapters/ultralytics.js';
import { computeTransform } from '../../core/letterbox.js';
import type { Detection } from '../../core/types.js';

const OPTIONS: AdapterOptions = { labels: ['a', 'b'], threshold: 0.25, iou: 0.45, topK: 1 };
const COCO = Array.from({ length: 80 }, (_, i) => `c${i}`);
const io = (outDims: number[], batch = 1): ModelIO => ({
  inputs: [{ name: 'images', dims: [batch, 3, 64, 64] }],
  outputs: [{ name: 'output0', dims: outDims }],
});

function assertDetection(actual: Detection | undefined, expected: { label: string; score: number; box: number[] }): void {
  assert.ok(actual, `expected an "${expected.label}" detection`);
  assert.equal(actual.label, expected.label);
  assert.ok(Math.abs(actual.score - expected.score) < 1e-6, `score ${actual.score} ≠ ${expected.score}`);
  actual.box.forEach((v, i) => assert.ok(Math.abs(v - expected.box[i]!) < 1e-4, `box ${actual.box} ≠ ${expected.box}`));
}

/** Column-major [4+C, anchors] data from one [cx, cy, w, h, ...classes] column per anchor. */
function v8Data(columns: number[][]): Float32Array {
  const channels = columns[0]!.length;
  const data = new Float32Array(channels * columns.length);
  columns.forEach((col, a) => col.forEach((v, c) => (data[c * columns.length + a] = v)));
  return data;
}

describe('ultralytics adapter', () => {
  describe('layout detection', () => {
    it('reads [1,84,8400] as YOLOv8/v11 and [1,25200,85] as YOLOv5, with or without labels', () => {
      for (const labels of [COCO, []]) {
        assert.equal(ultralyticsLayout({ name: 'o', dims: [1, 84, 8400] }, { labels }), 'v8');
        assert.equal(ultralyticsLayout({ name: 'o', dims: [1, 25200, 85] }, { labels }), 'v5');
      }
    });

    it('uses the labels to tell apart small outputs, and dynamic anchor axes without labels', () => {
      assert.equal(ultralyticsLayout({ name: 'o', dims: [1, 6, 3] }, { labels: ['a', 'b'] }), 'v8');
      assert.equal(ultralyticsLayout({ name: 'o', dims: [1, 3, 7] }, { labels: ['a', 'b'] }), 'v5');
      assert.equal(ultralyticsLayout({ name: 'o', dims: [-1, 84, -1] }, { labels: [] }), 'v8');
      assert.equal(ultralyticsLayout({ name: 'o', dims: [-1, -1, 85] }, { labels: [] }), 'v5');
    });

    it('rejects labels that fit neither layout, and outputs of the wrong rank', () => {
      assert.throws(() => ultralyticsLayout({ name: 'o', dims: [1, 84, 8400] }, { labels: ['a', 'b', 'c'] }), {
        code: 'LOOKOUT_ERR_LABELS',
        message: /^ultralytics: .*3 labels.*80 classes/,
      });
      assert.throws(() => ultralyticsLayout({ name: 'o', dims: [1, 84, 20, 20] }, { labels: COCO }), {
        code: 'LOOKOUT_ERR_MODEL_SHAPE',
        message: /^ultralytics: output "o": expected \[N,4\+C,anchors\] \(YOLOv8\/v11\) or \[N,anchors,5\+C\] \(YOLOv5\), got \[1,84,20,20\]/,
      });
    });
  });

  it('asks for a centred letterbox with pad 114 and feeds RGB / 255', () => {
    const adapter = ultralytics(io([1, 6, 3]), OPTIONS);
    assert.deepEqual(adapter.format, { width: 64, height: 64, layout: 'gbrp', resize: 'letterbox-center', padValue: 114 });
    const pixels = new Uint8Array(3 * 64 * 64);
    pixels.fill(0, 0, 4096).fill(51, 4096, 8192).fill(255, 8192);
    const out = new Float32Array(adapter.frameElements);
    adapter.prepare(pixels, out, 0);
    // then R (255) first, then G (0), then B (51)
    assert.deepEqual([out[0], out[4096], out[8192]], [1, 0, Math.fround(0.2)]);
  });

  it('decodes YOLOv8 columns through the centred letterbox, NMS per class', () => {
    const adapter = ultralytics(io([1, 6, 4]), OPTIONS);
    const data = v8Data([
      [32, 32, 16, 8, 0.1, 0.9], // "b" 0.9 at input [24, 28, 40, 36]
      [32, 32, 16, 8, 0.8, 0.1], // "a" 0.8, the same box: another class, so it stays
      [33, 32, 16, 8, 0.0, 0.5], // "b" 0.5 shifted by 1 px: IoU 120/136 with the first, suppressed
      [10, 10, 4, 4, 0.05, 0.1], // under the threshold
    ]);
    // given a 128x64 source centred in 64x64: r = 0.5, 16 rows of padding on top
    const t = computeTransform(adapter.format, 128, 64);
    const dets = adapter.decode({ output0: { data, dims: [1, 6, 4] } }, 0, t);
    // then [24, 28, 40, 36] → [(24)/0.5, (28-16)/0.5, 40/0.5, (36-16)/0.5] = [48, 24, 80, 40]
    assert.equal(dets.length, 2);
    assertDetection(dets[0], { label: 'b', score: Math.fround(0.9), box: [48, 24, 80, 40] });
    assertDetection(dets[1], { label: 'a', score: Math.fround(0.8), box: [48, 24, 80, 40] });
  });

  it('decodes YOLOv5 rows with score = obj · class', () => {
    const adapter = ultralytics(io([1, 3, 7]), OPTIONS);
    const data = Float32Array.from([
      ...[32, 32, 16, 8, 0.5, 0.2, 0.9], // "b" 0.45
      ...[32, 32, 16, 8, 0.1, 1.0, 0.0], // obj 0.1 is under the threshold
      ...[10, 20, 4, 4, 1.0, 0.6, 0.1], // "a" 0.6 at input [8, 18, 12, 22]
    ]);
    const t = computeTransform(adapter.format, 128, 64);
    const dets = adapter.decode({ output0: { data, dims: [1, 3, 7] } }, 0, t);
    assert.equal(dets.length, 2);
    assertDetection(dets[0], { label: 'a', score: Math.fround(0.6), box: [16, 4, 24, 12] });
    assertDetection(dets[1], { label: 'b', score: Math.fround(0.5) * Math.fround(0.9), box: [48, 24, 80, 40] });
  });

  it('reads the requested item of a YOLOv8 batch', () => {
    const adapter = ultralytics(io([-1, 6, 2], -1), OPTIONS);
    const item0 = v8Data([[32, 32, 16, 16, 0.9, 0], [0, 0, 0, 0, 0, 0]]);
    const item1 = v8Data([[0, 0, 0, 0, 0, 0], [16, 16, 32, 32, 0, 0.7]]);
    const data = new Float32Array(24);
    data.set(item0, 0);
    data.set(item1, 12);
    const outputs = { output0: { data, dims: [2, 6, 2] } };
    const t = computeTransform(adapter.format, 64, 64);
    assertDetection(adapter.decode(outputs, 0, t)[0], { label: 'a', score: Math.fround(0.9), box: [24, 24, 40, 40] });
    const second = adapter.decode(outputs, 1, t);
    assert.equal(second.length, 1);
    assertDetection(second[0], { label: 'b', score: Math.fround(0.7), box: [0, 0, 32, 32] });
  });

  it('rejects a run whose output no longer has the channels the model declared', () => {
    const adapter = ultralytics(io([1, 6, -1]), OPTIONS);
    assert.throws(() => adapter.decode({ output0: { data: new Float32Array(7 * 3), dims: [1, 7, 3] } }, 0, computeTransform(adapter.format, 64, 64)), {
      code: 'LOOKOUT_ERR_MODEL_SHAPE',
      message: /got \[1,7,3\]/,
    });
  });
});
