// The pure parts of `lookout train`: seeded splits, augmentation, architecture sizes, the ONNX weight layouts and the
// dataset checks. The training loop itself is tested end to end in test/integration/train.test.ts.
import assert from 'node:assert/strict';
import { isLookoutError } from '../../core/errors.js';
import { hwcRowsToChw, hwioToOihw } from '../../models/onnx/cnn-onnx.js';
import { cnnShapes, parseCnnSize, type CnnArchitecture } from '../../models/train/architecture.js';
import { augmentImage } from '../../models/train/augment.js';
import { initCnnWeights } from '../../models/train/cnn-weights.js';
import { deriveSeed, stratifiedSplit } from '../../models/train/random.js';
import { seededRandom } from '../../core/random.js';
import { checkClasses, splitIndices } from '../../pipeline/train-data.js';

const categories = (names: string[]) => names.map((name, id) => ({ id, name }));

describe('train: seeded split', () => {
  const labels = Int32Array.from({ length: 1000 }, (_, i) => i % 10);

  it('holds out the fraction of every class, and the same seed gives the same split', () => {
    const a = stratifiedSplit(labels, 0.2, 7);
    assert.equal(a.held.length, 200);
    assert.equal(a.kept.length, 800);
    for (let c = 0; c < 10; c++) assert.equal(a.held.filter((i) => labels[i] === c).length, 20, `class ${c}`);
    assert.deepEqual(stratifiedSplit(labels, 0.2, 7), a);
    assert.notDeepEqual(stratifiedSplit(labels, 0.2, 8).held, a.held);
    assert.equal(new Set([...a.held, ...a.kept]).size, 1000, 'every item in exactly one part');
  });

  it('keeps at least one of each class on both sides, however small the fraction', () => {
    const small = Int32Array.from([0, 0, 1, 1, 1, 2, 2]);
    const s = stratifiedSplit(small, 0.05, 1);
    for (const c of [0, 1, 2]) {
      assert.equal(s.held.filter((i) => small[i] === c).length, 1);
      assert.ok(s.kept.some((i) => small[i] === c));
    }
  });

  it('splits test, then validation from the rest: 10 000 → 2000 test, 800 validation, 7200 train', () => {
    const digits = Int32Array.from({ length: 10000 }, (_, i) => i % 10);
    const s = splitIndices(digits, 0.2, 0.1, 1);
    assert.deepEqual([s.train.length, s.validation.length, s.test.length], [7200, 800, 2000]);
    assert.equal(new Set([...s.train, ...s.validation, ...s.test]).size, 10000);
  });

  it('derives different streams for different purposes', () => {
    assert.notEqual(deriveSeed(1, 'init', 'conv1'), deriveSeed(1, 'init', 'conv2'));
    assert.equal(deriveSeed(1, 'epoch', 3), deriveSeed(1, 'epoch', 3));
    const r = seededRandom(5);
    const values = Array.from({ length: 1000 }, r);
    assert.ok(values.every((v) => v >= 0 && v < 1));
    assert.ok(Math.abs(values.reduce((a, b) => a + b) / 1000 - 0.5) < 0.05);
  });
});

describe('train: augmentation', () => {
  const size = 28;
  const digit = new Uint8Array(size * size);
  for (let y = 6; y < 22; y++) for (let x = 12; x < 15; x++) digit[y * size + x] = 255;

  it('moves the stroke a little, keeps its amount, and repeats exactly with the same seed', () => {
    const out = new Uint8Array(digit.length);
    const again = new Uint8Array(digit.length);
    const scratch = new Uint8Array(digit.length);
    let changed = 0;
    for (let seed = 0; seed < 20; seed++) {
      augmentImage(digit, out, scratch, size, size, 1, seededRandom(seed));
      augmentImage(digit, again, scratch, size, size, 1, seededRandom(seed));
      assert.deepEqual(out, again);
      const ink = (img: Uint8Array) => img.reduce((a, b) => a + b, 0);
      const ratio = ink(out) / ink(digit);
      assert.ok(ratio > 0.5 && ratio < 2, `seed ${seed}: ink ratio ${ratio}`);
      if (out.some((v, i) => v !== digit[i])) changed++;
    }
    assert.ok(changed >= 18, `only ${changed} of 20 augmented images differ from the original`);
  });

  it('is the identity with every option at zero', () => {
    const out = new Uint8Array(digit.length);
    augmentImage(digit, out, new Uint8Array(digit.length), size, size, 1, seededRandom(1), { rotateDegrees: 0, shiftPixels: 0, scale: 0, strokeChance: 0 });
    assert.deepEqual(out, digit);
  });
});

describe('train: architecture', () => {
  const arch = (conv: [number, number], dense: number, w = 28, h = 28): CnnArchitecture => ({ kind: 'cnn', input: { width: w, height: h, channels: 1 }, conv, dense, dropout: [0.25, 0.5], classes: 10 });

  it('names sizes, or takes three widths', () => {
    assert.deepEqual(parseCnnSize('keras'), { conv: [32, 64], dense: 128 });
    assert.deepEqual(parseCnnSize('4,8,16'), { conv: [4, 8], dense: 16 });
    for (const bad of ['huge', '4,8', '4,0,16', '4,8,1.5', '']) assert.throws(() => parseCnnSize(bad), RangeError, bad);
  });

  it('counts the Keras example: 1,199,882 parameters on 28×28', () => {
    // the figure Keras prints for conv 32 → conv 64 → pool → dense 128 → dense 10
    assert.equal(cnnShapes(arch([32, 64], 128)).parameters, 1199882);
    assert.equal(cnnShapes(arch([32, 64], 128)).flat, 12 * 12 * 64);
    assert.throws(() => cnnShapes(arch([4, 4], 4, 5, 28)), /too small/);
  });

  it('initialises from the seed alone', () => {
    const a = initCnnWeights(arch([4, 8], 16), 3);
    assert.deepEqual(initCnnWeights(arch([4, 8], 16), 3), a);
    assert.notDeepEqual(initCnnWeights(arch([4, 8], 16), 4).conv1.kernel, a.conv1.kernel);
    assert.ok(a.dense1.bias.every((b) => b === 0));
  });
});

describe('train: ONNX weight layouts', () => {
  it('turns a [kh, kw, in, out] kernel into [out, in, kh, kw]', () => {
    const [k, cin, cout] = [2, 3, 4];
    const src = Float32Array.from({ length: k * k * cin * cout }, (_, i) => i);
    const out = hwioToOihw(src, k, cin, cout);
    for (let y = 0; y < k; y++)
      for (let x = 0; x < k; x++)
        for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) assert.equal(out[((o * cin + i) * k + y) * k + x], src[((y * k + x) * cin + i) * cout + o]);
  });

  it('reorders dense rows from (h, w, c) to (c, h, w)', () => {
    const [h, w, c, cols] = [2, 3, 2, 2];
    const src = Float32Array.from({ length: h * w * c * cols }, (_, i) => i);
    const out = hwcRowsToChw(src, h, w, c, cols);
    // row (y=0, x=1, ch=1): channels-last (0*3+1)*2+1 = 3, channels-first (1*2+0)*3+1 = 7
    assert.deepEqual([...out.subarray(7 * cols, 8 * cols)], [...src.subarray(3 * cols, 4 * cols)]);
    assert.deepEqual([...out].sort((a, b) => a - b), [...src]);
  });
});

describe('train: dataset checks', () => {
  const code = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      assert.ok(isLookoutError(err));
      return { code: err.code, message: err.message };
    }
    assert.fail('expected an error');
  };

  it('needs two classes', () => {
    const e = code(() => checkClasses('cats', categories(['cat']), [0, 0, 0]));
    assert.equal(e.code, 'LOOKOUT_ERR_TRAIN');
    assert.match(e.message, /cats: only class "cat" has examples; a classifier needs at least 2 classes/);
  });

  it('names an empty class and a class with one example', () => {
    assert.match(code(() => checkClasses('d', categories(['a', 'b', 'c']), [0, 0, 1, 1])).message, /class "c" has no examples/);
    const one = code(() => checkClasses('d', categories(['a', 'b']), [0, 0, 1]));
    assert.equal(one.code, 'LOOKOUT_ERR_TRAIN');
    assert.match(one.message, /class "b" \(1\) has fewer than 2 examples/);
    assert.doesNotThrow(() => checkClasses('d', categories(['a', 'b']), [0, 0, 1, 1]));
  });
});
