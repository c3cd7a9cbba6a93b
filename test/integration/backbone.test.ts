// The MobileNetV2 int8 backbone with its added `features` output, checked on the real file in onnxruntime-node: the
// original `output` must be bit-identical after the edit, `features` must be the pooled vector, the edit is cached, and
// a file that is not this backbone is refused by name.
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { isLookoutError } from '../../core/errors.js';
import { addFeaturesOutput, BACKBONE, checkOutputUnchanged, probeInput, resolveBackbone } from '../../models/backbone.js';
import { headToOnnx, HEAD_INPUT, HEAD_OUTPUT } from '../../models/onnx/head-onnx.js';
import { assetsDir, requireAsset } from '../helpers/assets.js';
import { useTmpDir } from '../helpers/tmp.js';

describe('MobileNetV2 int8 backbone with a features output', function () {
  this.timeout(60000);
  const tmp = useTmpDir('lookout-backbone-');

  it('leaves output bit-identical and adds features [N, 1280] ≥ 0 on the same input', async function () {
    const original = await readFile(requireAsset(this, 'models/mobilenetv2-12-int8.onnx'));
    const edited = addFeaturesOutput(original);
    const features = await checkOutputUnchanged(original, edited, probeInput(3), 3);
    assert.equal(features.length, 3 * BACKBONE.featureSize);
    assert.ok(features.every((v) => v >= 0 && Number.isFinite(v)));
    // three different pictures give three different vectors (a constant output would pass the range check)
    const row = (i: number) => features.subarray(i * 1280, (i + 1) * 1280);
    assert.notDeepEqual(row(0), row(1));
    assert.ok(features.some((v) => v > 0));
    // editing twice is the same as editing once
    assert.equal(addFeaturesOutput(edited), edited);
  });

  it('refuses a model that is not the backbone, naming what is missing', async function () {
    const mnist = await readFile(requireAsset(this, 'models/mnist-8.onnx'));
    assert.throws(() => addFeaturesOutput(mnist), (err: unknown) => isLookoutError(err) && err.code === 'LOOKOUT_ERR_MODEL_SHAPE' && /464_quantized/.test(err.message));
  });

  it('resolves through the registry and caches the edited file (a second resolve does not rewrite it)', async function () {
    requireAsset(this, 'models/mobilenetv2-12-int8.onnx');
    const first = await resolveBackbone({ from: assetsDir, cacheDir: tmp() });
    const before = await stat(first.path);
    const second = await resolveBackbone({ from: assetsDir, cacheDir: tmp() });
    assert.equal(second.path, first.path);
    assert.equal((await stat(second.path)).mtimeMs, before.mtimeMs);
    const session = await ort.InferenceSession.create(first.path);
    try {
      assert.deepEqual([...session.outputNames].sort(), [BACKBONE.features, BACKBONE.output].sort());
    } finally {
      await session.release();
    }
  });

  it('exports backbone + head + softmax as one graph whose probabilities match the head applied to features', async function () {
    const original = await readFile(requireAsset(this, 'models/mobilenetv2-12-int8.onnx'));
    const K = 4;
    const weights = Float32Array.from({ length: K * 1280 }, (_, i) => Math.sin(i * 0.37) * 0.05);
    const bias = Float32Array.from([0.1, -0.2, 0.3, 0]);
    const bytes = headToOnnx(original, { classes: K, features: 1280, weights, bias }, { producerVersion: 'test', docString: 'test head' });
    // the exported model takes RGB in 0..1 and normalises itself; the backbone takes normalised input
    const n = 2;
    const plane = 224 * 224;
    const image = Float32Array.from({ length: n * 3 * plane }, (_, i) => ((i * 7919) % 256) / 255);
    const normalised = new Float32Array(image.length);
    for (let i = 0; i < image.length; i++) {
      const c = Math.floor(i / plane) % 3;
      normalised[i] = (image[i]! - BACKBONE.mean[c]!) / BACKBONE.std[c]!;
    }
    const features = await checkOutputUnchanged(original, addFeaturesOutput(original), normalised, n);
    const session = await ort.InferenceSession.create(bytes);
    let probs: Float32Array;
    try {
      assert.deepEqual(session.outputNames, [HEAD_OUTPUT]);
      const out = await session.run({ [HEAD_INPUT]: new ort.Tensor('float32', image, [n, 3, 224, 224]) });
      assert.deepEqual(out[HEAD_OUTPUT]!.dims, [n, K]);
      probs = out[HEAD_OUTPUT]!.data as Float32Array;
    } finally {
      await session.release();
    }
    for (let i = 0; i < n; i++) {
      const logits = Array.from({ length: K }, (_, k) => bias[k]! + features.subarray(i * 1280, (i + 1) * 1280).reduce((s, v, j) => s + v * weights[k * 1280 + j]!, 0));
      const max = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - max));
      const sum = e.reduce((a, b) => a + b, 0);
      for (let k = 0; k < K; k++) assert.ok(Math.abs(probs[i * K + k]! - e[k]! / sum) < 1e-4, `item ${i} class ${k}: ${probs[i * K + k]} vs ${e[k]! / sum}`);
    }
  });
});
