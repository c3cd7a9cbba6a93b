import { strict as assert } from 'node:assert';
import { createTensorWriter } from '../../models/tensor.js';

/** A 2x1 gbrp image: G plane [10, 20], B plane [30, 40], R plane [50, 60]. */
const GBRP_2X1 = Uint8Array.from([10, 20, 30, 40, 50, 60]);

describe('createTensorWriter', () => {
  it('writes rgb planes in R, G, B order from gbrp bytes', () => {
    // given a writer for rgb without normalisation
    const write = createTensorWriter({ width: 2, height: 1, layout: 'gbrp', order: 'rgb', mean: 0, std: 1 });
    const out = new Float32Array(6);
    // when a gbrp frame is written
    write(GBRP_2X1, out, 0);
    // then the R plane comes first, then G, then B
    assert.deepEqual([...out], [50, 60, 10, 20, 30, 40]);
  });

  it('writes bgr planes in B, G, R order from gbrp bytes', () => {
    const write = createTensorWriter({ width: 2, height: 1, layout: 'gbrp', order: 'bgr', mean: 0, std: 1 });
    const out = new Float32Array(6);
    write(GBRP_2X1, out, 0);
    assert.deepEqual([...out], [30, 40, 10, 20, 50, 60]);
  });

  it('applies (v - mean) / std per tensor channel', () => {
    // given per-channel mean and std in rgb order
    const write = createTensorWriter({ width: 2, height: 1, layout: 'gbrp', order: 'rgb', mean: [50, 10, 30], std: [2, 5, 10] });
    const out = new Float32Array(6);
    write(GBRP_2X1, out, 0);
    // then R: (50-50)/2, (60-50)/2; G: (10-10)/5, (20-10)/5; B: (30-30)/10, (40-30)/10
    assert.deepEqual([...out], [0, 5, 0, 2, 0, 1]);
  });

  it('gives UltraFace its (x - 127) / 128 range', () => {
    const write = createTensorWriter({ width: 1, height: 1, layout: 'gbrp', order: 'rgb', mean: 127, std: 128 });
    const out = new Float32Array(3);
    // given G = 0, B = 127, R = 255
    write(Uint8Array.from([0, 127, 255]), out, 0);
    // then R → 1, G → -127/128, B → 0
    assert.deepEqual([...out], [1, Math.fround(-127 / 128), 0]);
  });

  it('scales grey bytes to 0..1 into one channel', () => {
    const write = createTensorWriter({ width: 3, height: 1, layout: 'gray', order: 'gray', mean: 0, std: 255 });
    const out = new Float32Array(3);
    write(Uint8Array.from([0, 51, 255]), out, 0);
    assert.deepEqual([...out], [0, Math.fround(0.2), 1]);
  });

  it('repeats a grey plane into three channels for a colour model', () => {
    const write = createTensorWriter({ width: 2, height: 1, layout: 'gray', order: 'rgb', mean: 0, std: 1 });
    const out = new Float32Array(6);
    write(Uint8Array.from([7, 9]), out, 0);
    assert.deepEqual([...out], [7, 9, 7, 9, 7, 9]);
  });

  it('writes only its own slice of a batch tensor', () => {
    // given a two-frame batch tensor filled with a marker
    const write = createTensorWriter({ width: 2, height: 1, layout: 'gbrp', order: 'rgb', mean: 0, std: 1 });
    const out = new Float32Array(12).fill(-1);
    // when the second frame is written at offset 6, and the writer is reused for it
    write(GBRP_2X1, out, 6);
    write(Uint8Array.from([1, 2, 3, 4, 5, 6]), out, 6);
    // then the first frame's slice is untouched and the second holds the latest frame
    assert.deepEqual([...out], [-1, -1, -1, -1, -1, -1, 5, 6, 1, 2, 3, 4]);
  });

  it('rejects a frame that is too short and a slice that does not fit', () => {
    const write = createTensorWriter({ width: 2, height: 1, layout: 'gbrp', order: 'rgb', mean: 0, std: 1 });
    assert.throws(() => write(new Uint8Array(5), new Float32Array(6), 0), { name: 'RangeError', message: /pixels: expected 6 bytes/ });
    assert.throws(() => write(GBRP_2X1, new Float32Array(6), 1), { name: 'RangeError', message: /offset/ });
  });

  it('rejects a zero std, a mean of the wrong length and a grey tensor from colour bytes', () => {
    const base = { width: 2, height: 1, layout: 'gbrp', order: 'rgb', mean: 0, std: 1 } as const;
    assert.throws(() => createTensorWriter({ ...base, std: [1, 0, 1] }), { name: 'RangeError', message: /^std/ });
    assert.throws(() => createTensorWriter({ ...base, mean: [1, 2] }), { name: 'RangeError', message: /^mean: expected 1 or 3 values, got 2/ });
    assert.throws(() => createTensorWriter({ ...base, order: 'gray' }), { name: 'RangeError', message: /layout 'gray'/ });
    assert.throws(() => createTensorWriter({ ...base, width: 0 }), { name: 'RangeError', message: /width\/height/ });
  });
});
