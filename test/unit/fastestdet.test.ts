import { strict as assert } from 'node:assert';
import type { AdapterOptions, ModelIO } from '../../models/adapter.js';
import { fastestdet } from '../../models/adapters/fastestdet.js';
import { computeTransform } from '../../core/letterbox.js';
import type { Detection } from '../../core/types.js';

// Output [N, 5+2, 2, 2]: channel planes of a 2x2 grid (obj, dx, dy, w, h, cat, dog).
const GRID = 2;
const PLANE = GRID * GRID;
const CHANNELS = 7;
const OPTIONS: AdapterOptions = { labels: ['cat', 'dog'], threshold: 0.3, iou: 0.45, topK: 1 };
const io = (batch = 1, channels = CHANNELS): ModelIO => ({
  inputs: [{ name: 'input.1', dims: [batch, 3, 64, 64] }],
  outputs: [{ name: '758', dims: [batch, channels, GRID, GRID] }],
});

/** Sets cell (gx, gy) of batch item `item` to the given channel values. */
function setCell(data: Float32Array, item: number, gx: number, gy: number, channels: number[]): void {
  channels.forEach((v, c) => (data[(item * CHANNELS + c) * PLANE + gy * GRID + gx] = v));
}

function assertDetection(actual: Detection | undefined, expected: { label: string; score: number; box: number[] }): void {
  assert.ok(actual, `expected a ${expected.label} detection`);
  assert.equal(actual.label, expected.label);
  assert.ok(Math.abs(actual.score - expected.score) < 1e-5, `score ${actual.score} ≠ ${expected.score}`);
  actual.box.forEach((v, i) => assert.ok(Math.abs(v - expected.box[i]!) < 1e-3, `box ${actual.box} ≠ ${expected.box}`));
}

describe('fastestdet adapter', () => {
  it('asks for a stretched frame and feeds BGR / 255', () => {
    const adapter = fastestdet(io(), OPTIONS);
    assert.deepEqual({ resize: adapter.format.resize, layout: adapter.format.layout, w: adapter.format.width }, { resize: 'stretch', layout: 'gbrp', w: 64 });
    const pixels = new Uint8Array(3 * 64 * 64);
    pixels.fill(51, 0, 4096).fill(255, 4096, 8192).fill(0, 8192);
    const out = new Float32Array(adapter.frameElements);
    adapter.prepare(pixels, out, 0);
    // then channel 0 is B (255 → 1), channel 1 G (51 → 0.2), channel 2 R (0)
    assert.deepEqual([out[0], out[4096], out[8192]], [1, Math.fround(0.2), 0]);
  });

  it('decodes tanh offsets, sigmoid sizes and obj^0.6 · cls^0.4, suppressing across classes', () => {
    const adapter = fastestdet(io(), OPTIONS);
    const data = new Float32Array(CHANNELS * PLANE);
    // cell (1, 0): obj^0.6 = 0.8 and dog^0.4 = 0.5 → score 0.4; tanh dx = 0.5, tanh dy = 0; sigmoid w = 0.5, sigmoid h = 0.25
    // centre ((1 + 0.5)/2, (0 + 0)/2) = (0.75, 0) → fractions [0.5, -0.125, 1, 0.125] → input pixels [32, -8, 64, 8]
    setCell(data, 0, 1, 0, [0.8 ** (1 / 0.6), Math.atanh(0.5), 0, 0, -Math.log(3), 0.1, 0.5 ** 2.5]);
    // cell (1, 1): a cat, centre ((1 + 0.5)/2, (1 - 0.9)/2) → [0.5, -0.075, 1, 0.175], IoU 0.1/0.15 = 2/3 with the dog;
    // 0.5^0.6 · 0.2^0.4 ≈ 0.347 passes the threshold but is under the dog's 0.4, so class-agnostic NMS removes it
    setCell(data, 0, 1, 1, [0.5, Math.atanh(0.5), Math.atanh(-0.9), 0, -Math.log(3), 0.2, 0.1]);
    // cell (0, 0): obj 0.1 is under the threshold
    setCell(data, 0, 0, 0, [0.1, 0, 0, 0, 0, 1, 0]);
    // given a 640x480 source stretched to 64x64: x ÷ 0.1, y ÷ (64/480)
    const t = computeTransform(adapter.format, 640, 480);
    const dets = adapter.decode({ '758': { data, dims: [1, CHANNELS, GRID, GRID] } }, 0, t);
    // then one dog at [320, 0 (clipped from -60), 640, 60]
    assert.equal(dets.length, 1);
    assertDetection(dets[0], { label: 'dog', score: 0.4, box: [320, 0, 640, 60] });
  });

  it('keeps the weaker of two boxes that do not overlap enough', () => {
    const adapter = fastestdet(io(), OPTIONS);
    const data = new Float32Array(CHANNELS * PLANE);
    // offsets of tanh 0.5 put cell (0, 0) at centre (0.25, 0.25) and cell (1, 1) at (0.75, 0.75); both 0.5 x 0.5: they only touch
    const half = Math.atanh(0.5);
    setCell(data, 0, 0, 0, [1, half, half, 0, 0, 1, 0]);
    setCell(data, 0, 1, 1, [0.5 ** (1 / 0.6), half, half, 0, 0, 0, 1]);
    const dets = adapter.decode({ '758': { data, dims: [1, CHANNELS, GRID, GRID] } }, 0, computeTransform(adapter.format, 64, 64));
    assert.equal(dets.length, 2);
    assertDetection(dets[0], { label: 'cat', score: 1, box: [0, 0, 32, 32] });
    assertDetection(dets[1], { label: 'dog', score: 0.5, box: [32, 32, 64, 64] });
  });

  it('reads the requested item of a batch', () => {
    const adapter = fastestdet(io(-1), OPTIONS);
    const data = new Float32Array(2 * CHANNELS * PLANE);
    setCell(data, 1, 0, 0, [1, Math.atanh(0.5), Math.atanh(0.5), 0, 0, 0, 1]);
    const outputs = { '758': { data, dims: [2, CHANNELS, GRID, GRID] } };
    const t = computeTransform(adapter.format, 64, 64);
    assert.deepEqual(adapter.decode(outputs, 0, t), []);
    assertDetection(adapter.decode(outputs, 1, t)[0], { label: 'dog', score: 1, box: [0, 0, 32, 32] });
  });

  it('rejects an output that is not an NCHW grid, and labels that do not match it', () => {
    assert.throws(() => fastestdet({ inputs: io().inputs, outputs: [{ name: '758', dims: [1, 7, 4] }] }, OPTIONS), {
      code: 'LOOKOUT_ERR_MODEL_SHAPE',
      message: /^fastestdet: expected an output of rank 4, got "758" \[1,7,4\]/,
    });
    assert.throws(() => fastestdet(io(1, 5), OPTIONS), { code: 'LOOKOUT_ERR_MODEL_SHAPE', message: /expected \[N,5\+C,GH,GW\], got \[1,5,2,2\]/ });
    assert.throws(() => fastestdet(io(1, 6), OPTIONS), { code: 'LOOKOUT_ERR_LABELS', message: /2 labels.*1 classes/ });
  });
});
