// Classifier preprocessing: a preset (the user's, else the registry entry's, else mnist's 0..1) with overrides on top,
// checked the same way in config, on the command line and by validate.
import { strict as assert } from 'node:assert';
import { preprocessFromOptions } from '../../cli/options.js';
import { staticProblems } from '../../cli/static-checks.js';
import { parseConfig } from '../../config/load.js';
import { PRESETS, preprocessProblems, resolvePreprocess, toByteUnits } from '../../config/preprocess.js';
import { classifier } from '../../models/adapters/classifier.js';
import { findAsset } from '../../models/registry.js';
import { isLookoutError } from '../../core/errors.js';
import { decodeGreyPixels } from '../../sources/image-decoder.js';

const close = (actual: readonly number[], expected: readonly number[]) => {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-9, `[${i}]: ${v} vs ${expected[i]}`));
};

describe('classifier preprocessing', () => {
  describe('resolvePreprocess', () => {
    it('without any setting keeps the adapter default: bytes / 255 (mean 0, std 255 in byte units), stretched, RGB', () => {
      const p = resolvePreprocess(undefined);
      assert.deepEqual({ resize: p.resize, order: p.channelOrder }, { resize: 'stretch', order: 'rgb' });
      assert.deepEqual(toByteUnits(p), { mean: 0, std: 255 });
    });

    it("takes the registry entry's preset when the user names none, and the user's preset over it", () => {
      close(resolvePreprocess(undefined, 'imagenet').mean, [0.485, 0.456, 0.406]);
      close(resolvePreprocess({ preset: 'mnist' }, 'imagenet').mean, [0]);
    });

    it('puts each override on top of the preset and keeps the rest of it', () => {
      const p = resolvePreprocess({ channelOrder: 'bgr', std: [0.5] }, 'imagenet');
      assert.equal(p.channelOrder, 'bgr');
      close(p.std, [0.5]);
      close(p.mean, PRESETS.imagenet.mean);
      assert.equal(p.scale, 1 / 255);
    });

    it('converts to byte units: (byte × scale − mean) / std = (byte − mean/scale) / (std/scale)', () => {
      const { mean, std } = toByteUnits(resolvePreprocess({ preset: 'imagenet' }));
      close(mean as number[], [0.485 * 255, 0.456 * 255, 0.406 * 255]);
      close(std as number[], [0.229 * 255, 0.224 * 255, 0.225 * 255]);
      assert.deepEqual(toByteUnits(resolvePreprocess({ scale: 1, mean: [127], std: [128] })), { mean: 127, std: 128 });
    });

    it('refuses a zero std, two means and a scale that is not positive', () => {
      assert.throws(() => resolvePreprocess({ std: [0] }), /std: must not be 0/);
      assert.deepEqual(preprocessProblems({ mean: [1, 2], scale: 0 }), ['mean: expected 1 value or 3 (one per channel), got 2', 'scale: must be a number > 0, got 0']);
    });
  });

  describe('registry presets', () => {
    it('names imagenet for MobileNetV2 and mnist for mnist-8', () => {
      assert.equal(findAsset('mobilenetv2-int8')?.preprocess, 'imagenet');
      assert.equal(findAsset('mnist-8')?.preprocess, 'mnist');
    });
  });

  describe('command line', () => {
    it('reads a preset and overrides, numbers separated by commas', () => {
      assert.deepEqual(preprocessFromOptions({ preprocess: 'imagenet', 'channel-order': 'bgr', mean: '0.5,0.4,0.3', scale: '1', resize: 'letterbox' }), {
        preset: 'imagenet',
        resize: 'letterbox',
        channelOrder: 'bgr',
        scale: 1,
        mean: [0.5, 0.4, 0.3],
      });
      assert.equal(preprocessFromOptions({ threshold: '0.3' }), undefined);
    });

    it('refuses an unknown preset, a bad number and a zero std as usage errors naming the option', () => {
      const usage = (values: Record<string, string>, message: RegExp) =>
        assert.throws(() => preprocessFromOptions(values), (err: unknown) => isLookoutError(err) && err.code === 'LOOKOUT_ERR_USAGE' && message.test(err.message));
      usage({ preprocess: 'cifar' }, /--preprocess: expected mnist, imagenet, got "cifar"/);
      usage({ mean: '0.5,x' }, /--mean: expected a number or numbers/);
      usage({ std: '0' }, /--std: must not be 0/);
      usage({ scale: '1,2' }, /--scale: expected one number/);
    });
  });

  describe('config and validate', () => {
    const camera = { name: 'a', url: 'lavfi:testsrc' };
    it('accepts model.preprocess with a preset and overrides', () => {
      const config = parseConfig({ model: { path: 'mnist-8', preprocess: { preset: 'imagenet', channelOrder: 'bgr', mean: [0.5] } }, cameras: [camera] });
      assert.deepEqual(config.model.preprocess, { preset: 'imagenet', channelOrder: 'bgr', mean: [0.5] });
    });

    it('lists bad values with their path', () => {
      assert.throws(
        () => parseConfig({ model: { path: 'mnist-8', preprocess: { preset: 'coco', std: [0, 1] } }, cameras: [camera] }),
        (err: Error) => /model\.preprocess\.preset: must be one of mnist, imagenet/.test(err.message),
      );
      assert.throws(() => parseConfig({ model: { path: 'mnist-8', preprocess: { std: [0] } }, cameras: [camera] }), /model\.preprocess: std: must not be 0/);
    });

    it('validate says preprocessing is for classifiers when the adapter is a detector', async () => {
      const config = parseConfig({ model: { path: 'yolox-nano', preprocess: { preset: 'imagenet' } }, cameras: [camera] });
      assert.deepEqual(await staticProblems(config), ["model.preprocess: applies to the classifier adapter only, and this model's adapter is yolox"]);
      assert.deepEqual(await staticProblems(parseConfig({ model: { path: 'mnist-8', preprocess: { preset: 'imagenet' } }, cameras: [camera] })), []);
    });
  });

  describe('classifier adapter', () => {
    const io = { inputs: [{ name: 'input', dims: [1, 3, 224, 224] }], outputs: [{ name: 'output', dims: [1, 4] }] };
    const options = { labels: ['a', 'b', 'c', 'd'], threshold: 0, iou: 0.5, topK: 1 };
    it('center-crop keeps the middle of a wide picture (sharp decoder)', async () => {
      // given a 30x10 grey picture in three bands (0, 128, 255), center-cropped to 10x10
      const pixels = new Uint8Array(300);
      for (let y = 0; y < 10; y++) for (let x = 0; x < 30; x++) pixels[y * 30 + x] = x < 10 ? 0 : x < 20 ? 128 : 255;
      const frame = await decodeGreyPixels({ pixels, width: 30, height: 10 }, { width: 10, height: 10, layout: 'gray', resize: 'center-crop', padValue: 0 });
      // then only the middle band is left
      assert.deepEqual([...new Set(frame.data)], [128]);
      assert.equal(frame.transform.padX, -10);
    });

    it('stretches by default and letterboxes (centred, padded with the mean) when asked', () => {
      assert.equal(classifier(io, options).format.resize, 'stretch');
      const boxed = classifier(io, { ...options, ...toByteUnits(PRESETS.imagenet), resize: 'letterbox' }).format;
      assert.equal(boxed.resize, 'letterbox-center');
      // the average ImageNet mean in bytes: (0.485 + 0.456 + 0.406) / 3 × 255 ≈ 114.5
      assert.equal(boxed.padValue, Math.round(((0.485 + 0.456 + 0.406) / 3) * 255));
      assert.equal(classifier(io, { ...options, resize: 'center-crop' }).format.resize, 'center-crop');
    });
  });
});
