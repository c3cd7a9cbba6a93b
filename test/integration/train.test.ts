// `lookout train` end to end with the real parts: tfjs on its wasm backend in a worker thread, the ONNX export read by
// onnxruntime-node, the `classifier` adapter and `lookout eval` on what was written, ffmpeg decoding class folders.
import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import type { onnx as OnnxNamespace } from 'onnx-proto';
import { trainCommand } from '../../cli/train.js';
import { isLookoutError, type ErrorCode } from '../../core/errors.js';
import { Logger } from '../../core/logger.js';
import { readMnist } from '../../pipeline/eval/mnist.js';
import type { ClassificationJson } from '../../pipeline/eval/report.js';
import type { CnnArchitecture } from '../../models/train/architecture.js';
import { LAYER_NAMES } from '../../models/train/cnn-weights.js';
import type { ModelCard } from '../../pipeline/model-card.js';
import { seededRandom } from '../../core/random.js';
import { trainInWorker } from '../../models/train/train-in-worker.js';
import type { TrainJob } from '../../models/train/trainer.js';
import { train, type TrainOptions, type TrainResult } from '../../pipeline/train.js';
import { loadImages, openTrainDataset } from '../../pipeline/train-data.js';
import { writeHoldout } from '../../pipeline/train-holdout.js';
import { repoRoot, requireAsset } from '../helpers/assets.js';
import { runLookout, type CliResult } from '../helpers/cli.js';
import { glyph, GLYPH_CLASSES, writeGlyphFolders } from '../helpers/glyphs.js';
import { useTmpDir } from '../helpers/tmp.js';

const { onnx } = createRequire(import.meta.url)('onnx-proto') as { onnx: typeof OnnxNamespace };

const errorLine = (r: CliResult) => r.stderr.trim().split('\n').filter((l) => l.startsWith('lookout:')).join('\n');

function options(over: Partial<TrainOptions> & Pick<TrainOptions, 'dataset' | 'name' | 'outDir'>): TrainOptions {
  return {
    arch: 'cnn',
    input: { width: 28, height: 28, channels: 1 },
    conv: [8, 16],
    dense: 32,
    settings: { seed: 7, epochs: 4, batchSize: 32, learningRate: 0.002, patience: 3, augment: true },
    testSplit: 0.2,
    validationSplit: 0.1,
    lookoutVersion: '0.0.0-test',
    ...over,
  };
}

describe('lookout train', function () {
  this.timeout(240000);
  const tmp = useTmpDir('lookout-train-');

  describe('a CNN on 500 MNIST digits', () => {
    let result: TrainResult;
    let outDir: string;
    let report = '';
    const progress = { isTTY: true, text: '', write(t: string) { this.text += t; return true; } };
    before(async function () {
      const media = requireAsset(this, 'media/t10k-images-idx3-ubyte.gz').replace(/\/[^/]+$/, '');
      const digits = join(tmp(), 'digits');
      await mkdir(digits);
      // the first 500 of the test set, written as IDX files: a dataset `mnist:` reads like the full one
      await writeHoldout(await readMnist(media), Array.from({ length: 500 }, (_, i) => i), digits);
      outDir = join(tmp(), 'models');
      // through the command (progress bar and report), in this process
      result = await trainCommand({
        ...options({ dataset: `mnist:${digits}`, name: 'digits', outDir }),
        json: false,
        logger: new Logger({ level: 'warn', json: false, write: () => undefined }),
        write: (t) => (report += t),
        progress,
      });
    });

    it('learns: accuracy on the 100 held-out digits is far above chance (10 %)', () => {
      const m = result.card.metrics;
      assert.equal(m.items, 100);
      assert.ok(m.accuracy >= 0.6, `accuracy ${m.accuracy}`);
      assert.equal(result.card.classes.reduce((n, c) => n + c.test, 0), 100);
      assert.ok(result.card.classes.every((c) => c.test >= 8 && c.train > 0 && c.validation > 0), 'stratified: every digit in every part');
    });

    it('draws a progress bar on a TTY and prints a report that ends with the eval command', () => {
      assert.match(progress.text, /\repoch 1\/4 +\d+% \[[█░]+\] \d+\/\d+ .* loss \d\.\d{4} acc \d+\.\d%/);
      assert.match(progress.text, /epoch 4\/4  loss \d\.\d{4} acc \d+\.\d\d%  val loss \d\.\d{4} val acc \d+\.\d\d%/);
      assert.match(report, /^trained  digits \(cnn\): input 28x28x1 → conv3x3 8 relu/);
      assert.match(report, /max probability difference \d\.\d\de-\d+ \(allowed 0\.0001\)/);
      assert.match(report, new RegExp(`accuracy  ${result.card.metrics.accuracy.toFixed(4)}  \\(${result.card.metrics.correct} of 100\\)`));
      assert.ok(report.trimEnd().endsWith(`check    ${result.card.evalCommand}`));
    });

    it('exports one ONNX file that onnxruntime runs to within 1e-4 of the trained tfjs model on 100 digits', async () => {
      assert.equal(result.card.exportCheck.samples, 100);
      assert.ok(result.card.exportCheck.maxAbsDiff <= 1e-4, `max difference ${result.card.exportCheck.maxAbsDiff}`);
      const model = onnx.ModelProto.decode(await readFile(result.files.model));
      const ops = new Set(model.graph!.node!.map((n) => n.opType));
      assert.deepEqual([...ops].sort(), ['Conv', 'Flatten', 'Gemm', 'MaxPool', 'Relu', 'Softmax']);
      // its own session, a batch of 3 digits: one probability vector each
      const session = await ort.InferenceSession.create(result.files.model);
      try {
        const digits = await readMnist(join(result.files.testSet));
        const input = new Float32Array(3 * 784);
        for (let i = 0; i < 3; i++) digits.items[i]!.pixels.forEach((v, p) => (input[i * 784 + p] = v / 255));
        const out = await session.run({ input: new ort.Tensor('float32', input, [3, 1, 28, 28]) });
        const probs = out.probabilities!;
        assert.deepEqual(probs.dims, [3, 10]);
        for (let i = 0; i < 3; i++) {
          const row = (probs.data as Float32Array).subarray(i * 10, i * 10 + 10);
          assert.ok(Math.abs(row.reduce((a, b) => a + b) - 1) < 1e-5);
        }
      } finally {
        await session.release();
      }
    });

    it('`lookout eval` with the classifier adapter on the written test split gives the accuracy train reported', async () => {
      const r = await runLookout(['eval', '--model', result.files.model, '--adapter', 'classifier', '--labels', result.files.labels, '--dataset', `mnist:${result.files.testSet}`, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as ClassificationJson;
      assert.equal(report.items, 100);
      assert.equal(report.correct, result.card.metrics.correct);
      assert.equal(report.accuracy, result.card.metrics.accuracy);
      assert.deepEqual(report.confusion, result.card.metrics.confusion);
      assert.ok(Math.abs(result.card.tfjsAccuracy - report.accuracy) <= 0.02, `tfjs ${result.card.tfjsAccuracy} vs onnx ${report.accuracy}`);
      assert.equal(result.card.evalCommand, `lookout eval --model ${result.files.model} --adapter classifier --labels ${result.files.labels} --dataset mnist:${result.files.testSet}`);
    });

    it('writes the labels and a model card next to the model, and no temporary files', async () => {
      assert.equal(await readFile(result.files.labels, 'utf8'), '0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n');
      const card = JSON.parse(await readFile(result.files.card, 'utf8')) as ModelCard;
      assert.equal(card.format, 'lookout-model-card/1');
      const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
      assert.equal(card.lookoutVersion, pkg.version);
      assert.equal(card.training.seed, 7);
      assert.equal(card.architecture.kind, 'cnn');
      assert.ok(!Number.isNaN(Date.parse(card.created)));
      assert.deepEqual(card.classes.map((c) => c.name), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      assert.equal(card.classes.reduce((n, c) => n + c.train + c.validation + c.test, 0), 500);
      assert.match(await readFile(result.files.cardMarkdown, 'utf8'), /^# digits\n[\s\S]*\| 7 \| \d+ \| \d+ \| \d+ \| 0\.\d{4} \|/);
      assert.deepEqual((await readdir(outDir)).sort(), ['digits.card.json', 'digits.card.md', 'digits.labels.txt', 'digits.onnx', 'digits.test']);
    });
  });

  describe('class folders of PNG glyphs, through the CLI', () => {
    it('trains a 16×16 model with --json whose test accuracy `lookout eval` reproduces', async () => {
      const dir = join(tmp(), 'glyphs');
      await writeGlyphFolders(dir, 20, 16, seededRandom(11));
      const out = join(tmp(), 'glyph-models');
      const r = await runLookout(['train', '--dataset', dir, '--name', 'glyphs', '--input', '16x16', '--epochs', '20', '--patience', '20', '--batch', '8', '--learning-rate', '0.003', '--test-split', '0.2', '--seed', '3', '--out', out, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const { card, files } = JSON.parse(r.stdout) as { card: ModelCard; files: TrainResult['files'] };
      assert.deepEqual(card.classes.map((c) => [c.name, c.test]), GLYPH_CLASSES.map((n) => [n, 4]));
      assert.ok(card.metrics.accuracy >= 10 / 12, `accuracy ${card.metrics.accuracy}`);
      assert.ok(card.exportCheck.maxAbsDiff <= 1e-4);
      const e = await runLookout(['eval', '--model', files.model, '--adapter', 'classifier', '--labels', files.labels, '--dataset', files.testSet, '--json']);
      assert.equal(e.code, 0, e.stderr);
      assert.equal((JSON.parse(e.stdout) as ClassificationJson).accuracy, card.metrics.accuracy);
    });
  });

  describe('colour (--channels 3)', () => {
    it('reads RGB images as RGB and exports a 3-channel model that agrees with tfjs', async () => {
      const dir = join(tmp(), 'colours');
      const size = 12;
      // every pixel of a class has one colour with a little seeded noise; the channels differ so an order mix-up shows
      const colours: Record<string, [number, number, number]> = { blue: [20, 60, 230], red: [220, 40, 10] };
      const random = seededRandom(4);
      const written: Record<string, Buffer> = {};
      for (const [name, rgb] of Object.entries(colours)) {
        await mkdir(join(dir, name), { recursive: true });
        for (let i = 0; i < 4; i++) {
          const raw = Buffer.alloc(size * size * 3);
          for (let p = 0; p < size * size; p++) for (let c = 0; c < 3; c++) raw[p * 3 + c] = Math.min(255, rgb[c]! + Math.floor(random() * 20));
          if (i === 0) written[name] = raw;
          await sharp(raw, { raw: { width: size, height: size, channels: 3 } }).png().toFile(join(dir, name, `${i}.png`));
        }
      }
      const input = { width: size, height: size, channels: 3 as const };
      const loaded = await loadImages(await openTrainDataset(dir), input);
      // item 0 is blue/0.png (classes in name order): decoded by ffmpeg as planar GBR, handed on as RGB
      assert.deepEqual([...loaded.images.subarray(0, size * size * 3)], [...written.blue!]);
      const result = await train(options({ dataset: dir, name: 'colours', outDir: join(tmp(), 'colour-models'), input, conv: [2, 4], dense: 4, settings: { seed: 1, epochs: 2, batchSize: 4, learningRate: 0.01, patience: 2, augment: false } }));
      assert.equal(result.card.model.input.channels, 3);
      assert.equal(result.card.exportCheck.samples, 2);
      assert.ok(result.card.exportCheck.maxAbsDiff <= 1e-4, `max difference ${result.card.exportCheck.maxAbsDiff}`);
    });
  });

  describe('a dataset that changed while training', () => {
    // what the Teach page does to a class folder while a training runs: a crop assigned to another class, a crop
    // rewritten, a crop deleted; each is done at the first decoded image, so it lands mid-run every time
    const cases: [string, (dir: string) => void, RegExp][] = [
      ['a crop moved to another class', (dir) => renameSync(join(dir, 'box', '004.png'), join(dir, 'bar-h', '104.png')), /box\/004\.png is gone \(moved or deleted\)/],
      // a valid picture of the same class: it decodes either way, only the check before the commit sees it
      ['a crop rewritten', (dir) => writeFileSync(join(dir, 'bar-v', '002.png'), replacement!), /bar-v\/002\.png was modified/],
      ['a crop deleted', (dir) => rmSync(join(dir, 'bar-h', '005.png')), /bar-h\/005\.png is gone \(moved or deleted\)/],
    ];
    let replacement: Buffer | undefined;
    before(async () => {
      replacement = await sharp(Buffer.from(glyph('bar-v', 16, seededRandom(99))), { raw: { width: 16, height: 16, channels: 1 } }).png().toBuffer();
    });
    for (const [what, change, message] of cases) {
      it(`${what}: a clear message and nothing written`, async () => {
        const dir = join(tmp(), `changing-${what.replace(/\W+/g, '-')}`);
        await writeGlyphFolders(dir, 6, 16, seededRandom(5));
        const outDir = join(tmp(), `changing-models-${what.replace(/\W+/g, '-')}`);
        let changed = false;
        const run = train(
          options({
            dataset: dir,
            name: 'changing',
            outDir,
            input: { width: 16, height: 16, channels: 1 },
            conv: [2, 4],
            dense: 4,
            settings: { seed: 1, epochs: 1, batchSize: 8, learningRate: 0.01, patience: 1, augment: false },
            onProgress: (p) => {
              if (p.kind !== 'load' || changed) return;
              changed = true;
              change(dir);
            },
          }),
        );
        await assert.rejects(run, (err: unknown) => {
          assert.ok(isLookoutError(err) && err.code === 'LOOKOUT_ERR_TRAIN', String(err));
          assert.match(err.message, /the dataset changed while training/);
          assert.match(err.message, message);
          assert.match(err.message, /nothing was written, train again/);
          return true;
        });
        assert.ok(changed);
        assert.deepEqual(await readdir(outDir).catch(() => []), [], 'no model, labels, card or staging folder');
      });
    }
  });

  describe('determinism', () => {
    function job(seed: number): TrainJob {
      const size = 12;
      const arch: CnnArchitecture = { kind: 'cnn', input: { width: size, height: size, channels: 1 }, conv: [4, 8], dense: 16, dropout: [0.25, 0.5], classes: 3 };
      const random = seededRandom(99);
      const n = 48;
      const images = new Uint8Array(n * size * size);
      const labels = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        labels[i] = i % 3;
        images.set(glyph(GLYPH_CLASSES[i % 3]!, size, random), i * size * size);
      }
      return {
        arch,
        settings: { seed, epochs: 2, batchSize: 16, learningRate: 0.01, patience: 5, augment: true },
        train: { images: images.subarray(0, 36 * size * size), labels: labels.subarray(0, 36) },
        validation: { images: images.subarray(36 * size * size), labels: labels.subarray(36) },
        probe: images.subarray(36 * size * size),
      };
    }

    it('the same seed gives the same weights, bit for bit; another seed does not', async () => {
      const a = await trainInWorker(job(5));
      const b = await trainInWorker(job(5));
      const c = await trainInWorker(job(6));
      assert.equal(a.backend, 'wasm');
      for (const layer of LAYER_NAMES) {
        assert.deepEqual(a.weights[layer].kernel, b.weights[layer].kernel, `${layer} kernel`);
        assert.deepEqual(a.weights[layer].bias, b.weights[layer].bias, `${layer} bias`);
      }
      assert.deepEqual(a.probeProbabilities, b.probeProbabilities);
      assert.notDeepEqual(a.weights.conv1.kernel, c.weights.conv1.kernel);
      assert.equal(a.history.length, 2);
    });
  });

  describe('bad input', () => {
    async function folders(name: string, counts: Record<string, number>, broken?: string): Promise<string> {
      const dir = join(tmp(), name);
      const random = seededRandom(1);
      for (const [cls, n] of Object.entries(counts)) {
        await mkdir(join(dir, cls), { recursive: true });
        if (n > 0) await writeGlyphFolders(join(tmp(), `${name}-src`), n, 12, random, [GLYPH_CLASSES[0]]);
        for (let i = 0; i < n; i++) await writeFile(join(dir, cls, `${i}.png`), await readFile(join(tmp(), `${name}-src`, GLYPH_CLASSES[0], `${String(i).padStart(3, '0')}.png`)));
      }
      if (broken) await writeFile(join(dir, broken), 'this is not a PNG');
      return dir;
    }

    async function expectFailure(dataset: string, code: ErrorCode, message: RegExp): Promise<void> {
      const outDir = join(tmp(), `out-${Math.random().toString(36).slice(2)}`);
      await assert.rejects(train(options({ dataset, name: 'bad', outDir, input: { width: 12, height: 12, channels: 1 }, conv: [2, 2], dense: 4 })), (err: unknown) => {
        assert.ok(isLookoutError(err), String(err));
        assert.equal(err.code, code, err.message);
        assert.match(err.message, message);
        return true;
      });
      const left = await readdir(outDir).catch(() => []);
      assert.deepEqual(left, [], 'nothing written');
    }

    it('one class only', async () => {
      await expectFailure(await folders('one-class', { cat: 3 }), 'LOOKOUT_ERR_TRAIN', /only class "cat" has examples; a classifier needs at least 2 classes/);
    });

    it('an empty class folder', async () => {
      await expectFailure(await folders('empty-class', { cat: 3, dog: 0 }), 'LOOKOUT_ERR_DATASET', /no \.jpg\/\.jpeg\/\.png images in class folder "dog"/);
    });

    it('a class with one example', async () => {
      await expectFailure(await folders('lonely', { cat: 3, dog: 1 }), 'LOOKOUT_ERR_TRAIN', /class "dog" \(1\) has fewer than 2 examples/);
    });

    it('an unreadable image names the file', async () => {
      await expectFailure(await folders('broken', { cat: 2, dog: 2 }, 'dog/zz-broken.png'), 'LOOKOUT_ERR_MEDIA', /dog\/zz-broken\.png/);
    });

    it('the CLI: one line, exit 1 for the dataset, exit 2 for the command line, nothing written', async () => {
      const out = join(tmp(), 'cli-out');
      const lonely = await folders('cli-lonely', { a: 2, b: 1 });
      const bad = await runLookout(['train', '--dataset', lonely, '--name', 'x', '--out', out]);
      assert.equal(bad.code, 1);
      assert.match(errorLine(bad), /^lookout: .*class "b" \(1\) has fewer than 2 examples/);
      for (const [args, message] of [
        [['train', '--name', 'x'], /--dataset SPEC is required/],
        [['train', '--dataset', lonely], /--name NAME is required/],
        [['train', '--dataset', lonely, '--name', '../escape'], /--name: letters, digits/],
        [['train', '--dataset', lonely, '--name', 'x', '--size', 'huge'], /--size: expected small or keras/],
        [['train', '--dataset', lonely, '--name', 'x', '--input', '4x4'], /--input: each side must be 6 to 512/],
        [['train', '--dataset', lonely, '--name', 'x', '--arch', 'transformer'], /--arch: expected cnn/],
        [['train', '--dataset', lonely, '--name', 'x', '--test-split', '0'], /--test-split: must be a fraction/],
      ] as const) {
        const r = await runLookout([...args, '--out', out]);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(errorLine(r), message);
      }
      assert.deepEqual(await readdir(out).catch(() => []), []);
    });
  });
});
