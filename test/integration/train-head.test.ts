// `lookout train --arch head` end to end with the real parts: ffmpeg decoding class folders, the MobileNetV2 int8
// backbone (with its added features output) in onnxruntime-node, the head trained on its features, the one exported
// ONNX file served by the `classifier` adapter, and `lookout eval` on the written test split giving the same numbers.
import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isLookoutError, type ErrorCode } from '../../core/errors.js';
import { seededRandom } from '../../core/random.js';
import type { ClassificationJson } from '../../pipeline/eval/report.js';
import type { ModelCard } from '../../pipeline/model-card.js';
import type { TrainResult } from '../../pipeline/train.js';
import { trainHeadModel } from '../../pipeline/train-head.js';
import { assetsDir, requireAsset } from '../helpers/assets.js';
import { runLookout } from '../helpers/cli.js';
import { GLYPH_CLASSES, writeGlyphFolders } from '../helpers/glyphs.js';
import { useTmpDir } from '../helpers/tmp.js';

describe('lookout train --arch head (MobileNetV2 int8 features + a trained head)', function () {
  this.timeout(180000);
  const tmp = useTmpDir('lookout-train-head-');
  const env = () => ({ LOOKOUT_CACHE: join(tmp(), 'cache'), LOOKOUT_ASSETS: assetsDir });

  it('trains, writes one ONNX file with labels and card, and lookout eval on the test split gives the same numbers', async function () {
    requireAsset(this, 'models/mobilenetv2-12-int8.onnx');
    const dir = join(tmp(), 'glyphs');
    await writeGlyphFolders(dir, 15, 48, seededRandom(5));
    const out = join(tmp(), 'models');
    const r = await runLookout(['train', '--arch', 'head', '--dataset', dir, '--name', 'shapes', '--seed', '4', '--out', out, '--json'], env());
    assert.equal(r.code, 0, r.stderr);
    const { card, files } = JSON.parse(r.stdout) as { card: ModelCard; files: TrainResult['files'] };
    assert.equal(card.architecture.kind, 'head');
    assert.equal(card.architecture.details.backboneSha256, '83530ad811bc31d2b60a5599a21265a5057608c9b044b4ee758cc22f2309f54f');
    assert.deepEqual(card.classes.map((c) => [c.name, c.test]), GLYPH_CLASSES.map((n) => [n, 3]));
    assert.ok(card.metrics.accuracy >= 7 / 9, `accuracy ${card.metrics.accuracy}`);
    assert.ok(card.exportCheck.maxAbsDiff <= 1e-4, `export differs by ${card.exportCheck.maxAbsDiff}`);
    assert.equal(card.model.input.width, 224);
    assert.deepEqual((await readFile(files.labels, 'utf8')).trim().split('\n'), [...GLYPH_CLASSES]);
    assert.deepEqual((await readdir(out)).filter((f) => f.startsWith('.')), [], 'no staging left behind');
    const e = await runLookout(['eval', '--model', files.model, '--adapter', 'classifier', '--labels', files.labels, '--dataset', files.testSet, '--json'], env());
    assert.equal(e.code, 0, e.stderr);
    const evaluated = JSON.parse(e.stdout) as ClassificationJson;
    assert.equal(evaluated.accuracy, card.metrics.accuracy);
    assert.deepEqual(evaluated.confusion, card.metrics.confusion);
    assert.deepEqual(evaluated.classes, card.metrics.classes);
  });

  describe('bad input: a clear message, nothing written', () => {
    async function folders(name: string, counts: Record<string, number>, broken?: string): Promise<string> {
      const dir = join(tmp(), name);
      const src = join(tmp(), `${name}-src`);
      await writeGlyphFolders(src, Math.max(1, ...Object.values(counts)), 32, seededRandom(1), [GLYPH_CLASSES[0]]);
      for (const [cls, n] of Object.entries(counts)) {
        await mkdir(join(dir, cls), { recursive: true });
        for (let i = 0; i < n; i++) await writeFile(join(dir, cls, `${i}.png`), await readFile(join(src, GLYPH_CLASSES[0], `${String(i).padStart(3, '0')}.png`)));
      }
      if (broken) await writeFile(join(dir, broken), 'this is not a PNG');
      return dir;
    }

    async function expectFailure(ctx: Mocha.Context, dataset: string, code: ErrorCode, message: RegExp): Promise<void> {
      requireAsset(ctx, 'models/mobilenetv2-12-int8.onnx');
      const outDir = join(tmp(), `out-${Math.random().toString(36).slice(2)}`);
      await assert.rejects(
        trainHeadModel({ dataset, name: 'bad', outDir, seed: 1, testSplit: 0.2, validationSplit: 0.1, lookoutVersion: 'test', registry: { from: assetsDir, cacheDir: join(tmp(), 'cache') } }),
        (err: unknown) => {
          assert.ok(isLookoutError(err), String(err));
          assert.equal(err.code, code, err.message);
          assert.match(err.message, message);
          return true;
        },
      );
      assert.deepEqual(await readdir(outDir).catch(() => []), [], 'nothing written');
    }

    it('one class only', async function () {
      await expectFailure(this, await folders('one-class', { cat: 3 }), 'LOOKOUT_ERR_TRAIN', /only class "cat" has examples; a classifier needs at least 2 classes/);
    });
    it('an empty class folder', async function () {
      await expectFailure(this, await folders('empty-class', { cat: 3, dog: 0 }), 'LOOKOUT_ERR_DATASET', /no \.jpg\/\.jpeg\/\.png images in class folder "dog"/);
    });
    it('a class with one example', async function () {
      await expectFailure(this, await folders('lonely', { cat: 3, dog: 1 }), 'LOOKOUT_ERR_TRAIN', /class "dog" \(1\) has fewer than 2 examples/);
    });
    it('a crop assigned to another class while training (the Teach page) fails naming it', async function () {
      requireAsset(this, 'models/mobilenetv2-12-int8.onnx');
      const dataset = await folders('teach-moves', { cat: 4, dog: 4 });
      const outDir = join(tmp(), 'out-teach-moves');
      let moved = false;
      await assert.rejects(
        trainHeadModel({
          dataset,
          name: 'moving',
          outDir,
          seed: 1,
          testSplit: 0.2,
          validationSplit: 0.1,
          lookoutVersion: 'test',
          registry: { from: assetsDir, cacheDir: join(tmp(), 'cache') },
          // after the last decode: the pictures are all read, so only the check before the commit can see it
          onProgress: (p) => {
            if (p.kind !== 'load' || p.done !== p.total || moved) return;
            moved = true;
            renameSync(join(dataset, 'cat', '3.png'), join(dataset, 'dog', '9.png'));
          },
        }),
        (err: unknown) => {
          assert.ok(isLookoutError(err) && err.code === 'LOOKOUT_ERR_TRAIN', String(err));
          assert.match(err.message, /the dataset changed while training \(.*cat\/3\.png is gone \(moved or deleted\)\); nothing was written, train again/);
          return true;
        },
      );
      assert.ok(moved);
      assert.deepEqual(await readdir(outDir).catch(() => []), [], 'nothing written');
    });
    it('an unreadable image names the file', async function () {
      await expectFailure(this, await folders('broken', { cat: 2, dog: 2 }, 'dog/zz-broken.png'), 'LOOKOUT_ERR_MEDIA', /dog\/zz-broken\.png/);
    });
  });
});
