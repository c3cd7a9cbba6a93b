import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { join } from 'node:path';
import { evalCommand } from '../../cli/eval.js';
import { readMnist } from '../../pipeline/eval/mnist.js';
import type { ClassificationJson, DetectionJson } from '../../pipeline/eval/report.js';
import { inferAll, mnistLoader, type LoadedFrame } from '../../pipeline/eval/run-eval.js';
import type { BatchOutput, DetectInput, Detector, DetectorInfo } from '../../core/detector.js';
import { isLookoutError, LookoutError } from '../../core/errors.js';
import { Logger } from '../../core/logger.js';
import type { FrameFormat } from '../../core/types.js';
import { assetsDir, requireAsset } from '../helpers/assets.js';
import { runLookout, type CliResult } from '../helpers/cli.js';
import { waitForNoChildren } from '../helpers/processes.js';
import { writeSquareDetector } from '../helpers/square-detector.js';
import { DEFAULT_SCENE, frameTime, lavfiSpec, squarePosition } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

const lookout = (args: string[], env: NodeJS.ProcessEnv = {}) => runLookout(args, env);

function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg ${args.join(' ')}: ${err.trim()}`))));
  });
}

/** The one `lookout: …` line an error run prints. */
function errorLine(r: CliResult): string {
  const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('lookout: '));
  assert.equal(lines.length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  return lines[0]!;
}

const close = (actual: number | null, expected: number, what: string) => {
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-6, `${what}: expected ${expected}, got ${actual}`);
};

describe('lookout eval', function () {
  this.timeout(120000);
  const tmp = useTmpDir('lookout-eval-');

  describe('a detector on a COCO set rendered from the synthetic scene', () => {
    // 7 frames of the red square (40×40 px) in 320×240 PNGs; the model's input is the image size, so the square
    // detector's box is exactly the square and every IoU below is a ratio of whole pixels.
    const IMAGES = 7;
    const scene = DEFAULT_SCENE;
    let model: string;
    let labels: string;
    let exact: string;
    let jittered: string;
    let circles: string;
    let imagesDir: string;

    /** image n (id n + 1) with its square moved `shift(n)` px to the right */
    const annotations = (shift: (n: number) => number, category = 'square') => ({
      images: Array.from({ length: IMAGES }, (_, n) => ({ id: n + 1, file_name: `frame-${String(n + 1).padStart(3, '0')}.png`, width: scene.width, height: scene.height })),
      annotations: Array.from({ length: IMAGES }, (_, n) => {
        const { x, y } = squarePosition(scene, frameTime(scene, n));
        return { id: n + 1, image_id: n + 1, category_id: 1, bbox: [x + shift(n), y, scene.size, scene.size], area: scene.size * scene.size, iscrowd: 0 };
      }),
      categories: [{ id: 1, name: category }],
    });

    before(async () => {
      imagesDir = join(tmp(), 'images');
      await mkdir(imagesDir);
      // PNG keeps the rgb overlay exact: pure red on pure black, no chroma subsampling
      await ffmpeg(['-f', 'lavfi', '-i', lavfiSpec(scene), '-frames:v', String(IMAGES), '-pix_fmt', 'rgb24', join(imagesDir, 'frame-%03d.png')]);
      assert.equal((await readdir(imagesDir)).length, IMAGES);
      model = await writeSquareDetector(tmp(), { width: scene.width, height: scene.height, dynamicBatch: true });
      labels = join(tmp(), 'labels.txt');
      await writeFile(labels, 'square\n');
      exact = join(tmp(), 'exact.json');
      await writeFile(exact, JSON.stringify(annotations(() => 0)));
      // images 1-4 exact; image 5 moved by 10 % of the side (IoU 36/44 = 0.818: a match up to the 0.80 threshold);
      // images 6-7 by 40 % (IoU 24/56 = 0.43: never a match, so a false positive and a miss each)
      jittered = join(tmp(), 'jittered.json');
      await writeFile(jittered, JSON.stringify(annotations((n) => (n < 4 ? 0 : n === 4 ? 4 : 16))));
      circles = join(tmp(), 'circles.json');
      await writeFile(circles, JSON.stringify(annotations(() => 0, 'circle')));
    });

    const run = (annotationsFile: string, extra: string[] = []) =>
      lookout(['eval', '--model', model, '--adapter', 'ultralytics', '--labels', labels, '--dataset', `coco:${annotationsFile}:${imagesDir}`, ...extra]);

    it('gives mAP = 1 when the boxes are exactly the squares', async () => {
      const r = await run(exact, ['--json', '--batch', '4']);
      assert.equal(r.code, 0, r.stderr);
      const json = JSON.parse(r.stdout) as DetectionJson;
      assert.equal(json.task, 'detection');
      assert.equal(json.items, IMAGES);
      close(json.map50, 1, 'mAP@.5');
      close(json.map, 1, 'mAP@.5:.95');
      close(json.mapMedium, 1, 'mAP medium (40² px squares)');
      assert.equal(json.mapSmall, null, 'no small gts');
      assert.deepEqual(
        { tp: json.atThreshold.truePositives, fp: json.atThreshold.falsePositives, gt: json.atThreshold.groundTruths, threshold: json.atThreshold.scoreThreshold },
        { tp: IMAGES, fp: 0, gt: IMAGES, threshold: 0.3 },
      );
      assert.deepEqual(json.classes.map((c) => [c.name, c.groundTruths, c.detections]), [['square', IMAGES, IMAGES]]);
      assert.ok(json.itemsPerSecond !== null && json.itemsPerSecond > 0);
      assert.match(r.stderr, /7 images through .*ultralytics on cpu, batches of up to 4/);
    });

    it('gives the hand-computed lower figures once the boxes are jittered', async () => {
      const r = await run(jittered, ['--json', '--batch', '3']);
      assert.equal(r.code, 0, r.stderr);
      const json = JSON.parse(r.stdout) as DetectionJson;
      // All scores are 1, so detections rank by image id and the 5 (or 4) matches come before the misses: precision is
      // 1 up to recall 5/7 (4/7) and 0 after, i.e. 72 (58) of the 101 recall points 0, 0.01 … 1.
      close(json.map50, 72 / 101, 'mAP@.5');
      close(json.map75, 72 / 101, 'mAP@.75');
      // IoU 0.818 matches at 0.50 … 0.80 (7 thresholds) but not at 0.85, 0.90, 0.95
      close(json.map, (7 * 72 + 3 * 58) / 1010, 'mAP@.5:.95');
      close(json.mar100, (7 * 5 + 3 * 4) / 70, 'mAR@100');
      assert.equal(json.atThreshold.truePositives, 5);
      assert.equal(json.atThreshold.falsePositives, 2);
      close(json.atThreshold.precision, 5 / 7, 'precision at 0.3');
      close(json.atThreshold.recall, 5 / 7, 'recall at 0.3');
    });

    it('prints a table with images per second without --json', async () => {
      const r = await run(jittered);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^7 items in \d+\.\d s \([\d.]+ items\/s\)$/m);
      assert.match(r.stdout, /^mAP@\.50\s+0\.713$/m);
      assert.match(r.stdout, /^mAP@\[\.50:\.95\]\s+0\.671$/m);
      assert.match(r.stdout, /^square\s+7\s+7\s+0\.713\s+0\.671\s+0\.714\s+0\.714$/m);
    });

    it('draws a progress bar on a TTY and not otherwise', async () => {
      const run = async (isTTY: boolean) => {
        const drawn: string[] = [];
        let out = '';
        await evalCommand({
          model,
          adapter: 'ultralytics',
          labels,
          dataset: `coco:${exact}:${imagesDir}`,
          threshold: 0.3,
          iou: 0.45,
          providers: ['cpu'],
          batch: 2,
          json: true,
          logger: new Logger({ level: 'warn', json: false, write: () => undefined }),
          write: (text) => (out += text),
          progress: { isTTY, write: (text: string) => drawn.push(text) },
        });
        return { drawn, report: JSON.parse(out) as DetectionJson };
      };
      const tty = await run(true);
      close(tty.report.map50, 1, 'mAP@.5');
      assert.ok(tty.drawn.length >= 2, tty.drawn.join(''));
      assert.match(tty.drawn.at(-2)!, /^\r100% \[█+\] 7\/7 .* done\x1b\[K$/);
      assert.equal(tty.drawn.at(-1), '\n');
      const pipe = await run(false);
      assert.deepEqual(pipe.drawn, []);
      assert.deepEqual(await waitForNoChildren({ filter: (p) => p.comm === 'ffmpeg' || p.comm === 'ffprobe' }), []);
    });

    it('names an image it cannot decode in one error line, evaluates the rest and counts it; stops a model that fails mid-run with no ffmpeg left', async () => {
      const broken = join(tmp(), 'broken');
      await mkdir(broken);
      for (const name of await readdir(imagesDir)) await ffmpeg(['-i', join(imagesDir, name), join(broken, name)]);
      await writeFile(join(broken, 'frame-004.png'), 'not a png');
      const r = await lookout(['eval', '--model', model, '--adapter', 'ultralytics', '--labels', labels, '--dataset', `coco:${exact}:${broken}`, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const errors = r.stderr.split('\n').filter((l) => /error/i.test(l));
      assert.equal(errors.length, 1, r.stderr);
      assert.match(errors[0]!, /frame-004\.png/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      const json = JSON.parse(r.stdout) as DetectionJson;
      assert.equal(json.items, IMAGES - 1);
      assert.equal(json.unreadable, 1);
      // the six readable images are all found exactly; the unreadable one's square is not counted as missed
      assert.equal(json.map, 1);
      assert.equal(json.atThreshold.groundTruths, IMAGES - 1);

      const faulty = await writeSquareDetector(tmp(), { width: scene.width, height: scene.height, dynamicBatch: true, fault: 'on-square' });
      const failed = await evalCommand({
        model: faulty,
        adapter: 'ultralytics',
        labels,
        dataset: `coco:${exact}:${imagesDir}`,
        threshold: 0.3,
        iou: 0.45,
        providers: ['cpu'],
        batch: 2,
        json: true,
        logger: new Logger({ level: 'warn', json: false, write: () => undefined }),
        write: () => assert.fail('no report after a failure'),
        progress: { isTTY: false, write: () => undefined },
      }).then(
        () => assert.fail('expected a failure'),
        (err: unknown) => err,
      );
      assert.ok(isLookoutError(failed) && failed.code === 'LOOKOUT_ERR_INFERENCE', String(failed));
      assert.deepEqual(await waitForNoChildren({ filter: (p) => p.comm === 'ffmpeg' || p.comm === 'ffprobe' }), []);
    });

    it('exits 1 naming the dataset categories the model has no label for', async () => {
      const r = await run(circles);
      assert.equal(r.code, 1, r.stderr);
      assert.match(errorLine(r), /the model has no class for dataset category "circle" \(model labels: "square"\)/);
      assert.equal(r.stdout, '');
    });

    it('exits 1 when a detector is given a classification dataset', async () => {
      const classes = join(tmp(), 'classes');
      await mkdir(join(classes, 'square'), { recursive: true });
      await ffmpeg(['-i', join(imagesDir, 'frame-001.png'), join(classes, 'square', 'a.png')]);
      const r = await lookout(['eval', '--model', model, '--adapter', 'ultralytics', '--labels', labels, '--dataset', classes]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(errorLine(r), /adapter ultralytics is a detector: evaluate it on a COCO dataset/);
    });
  });

  describe('the loop (a fake detector, to see batches and failures)', () => {
    /** A detector that answers after `delayMs`, recording each batch's size and the most calls outstanding at once. */
    function fakeDetector(maxBatch: number, delayMs: number, failOn?: number) {
      const sizes: number[] = [];
      let outstanding = 0;
      let most = 0;
      const detector: Detector = {
        info: { adapter: 'fake', maxBatch, dynamicBatch: maxBatch > 1 } as DetectorInfo,
        async detect(frames: readonly DetectInput[]): Promise<BatchOutput> {
          sizes.push(frames.length);
          most = Math.max(most, ++outstanding);
          await new Promise((r) => setTimeout(r, delayMs));
          outstanding--;
          if (failOn !== undefined && frames.some((f) => f.data[0] === failOn)) throw new Error(`model failed on item ${failOn}`);
          return { inferenceMs: delayMs, results: frames.map((f) => ({ detections: [{ label: 'x', classId: f.data[0]!, score: 1, box: [0, 0, 1, 1] }], postprocessMs: 0 })) };
        },
        close: async () => undefined,
      };
      return { detector, sizes, most: () => most };
    }
    /** Item i is one byte holding i; counts frames handed out and released. */
    function countingLoader(failOn?: number) {
      const counts = { loaded: 0, released: 0 };
      const load = async (index: number): Promise<LoadedFrame> => {
        await new Promise((r) => setTimeout(r, 1));
        if (index === failOn) throw new Error(`cannot decode item ${index}`);
        counts.loaded++;
        return { data: Uint8Array.of(index), transform: { srcWidth: 1, srcHeight: 1, scaleX: 1, scaleY: 1, padX: 0, padY: 0 }, release: () => void counts.released++ };
      };
      return { load, counts };
    }

    it('fills batches while the detector is busy, with at most two calls in flight, and reports every item once', async () => {
      const fake = fakeDetector(4, 20);
      const loader = countingLoader();
      const seen: number[] = [];
      const progress: number[] = [];
      await inferAll(fake.detector, 30, loader, (index, detections) => seen.push(index, detections[0]!.classId), { batch: 8, decoders: 4, onProgress: (done) => progress.push(done) });
      assert.equal(fake.sizes.reduce((a, b) => a + b, 0), 30);
      assert.ok(Math.max(...fake.sizes) <= 4, `capped by the detector's maxBatch: ${fake.sizes}`);
      assert.ok(fake.sizes.filter((n) => n === 4).length >= 5, `mostly full batches: ${fake.sizes}`);
      assert.equal(fake.most(), 2);
      const pairs = Array.from({ length: 30 }, (_, i) => [seen[2 * i]!, seen[2 * i + 1]!]);
      assert.deepEqual(pairs.map(([i]) => i).sort((a, b) => a! - b!), Array.from({ length: 30 }, (_, i) => i));
      assert.ok(pairs.every(([i, c]) => i === c), 'each result goes to its own item');
      assert.equal(progress.at(-1), 30);
      assert.deepEqual(loader.counts, { loaded: 30, released: 30 });
    });

    it('stops at the first failed load or batch, and rejects only once every frame is released', async () => {
      for (const [failLoad, failBatch, message] of [
        [7, undefined, /cannot decode item 7/],
        [undefined, 9, /model failed on item 9/],
      ] as const) {
        const fake = fakeDetector(3, 5, failBatch);
        const loader = countingLoader(failLoad);
        await assert.rejects(inferAll(fake.detector, 40, loader, () => undefined, { batch: 3, decoders: 3 }), message);
        assert.ok(loader.counts.loaded < 40, 'nothing new starts after the failure');
        assert.equal(loader.counts.released, loader.counts.loaded);
      }
    });

    it('with onUnreadable, skips an item that cannot be decoded (LOOKOUT_ERR_MEDIA), reports it once and goes on; other failures still stop', async () => {
      const fake = fakeDetector(3, 2);
      const counts = { loaded: 0, released: 0 };
      const load = async (index: number): Promise<LoadedFrame> => {
        await new Promise((r) => setImmediate(r));
        if (index === 7 || index === 12) throw new LookoutError('LOOKOUT_ERR_MEDIA', `cannot decode item-${index}.png: corrupt`);
        counts.loaded++;
        return { data: Uint8Array.of(index), transform: { srcWidth: 1, srcHeight: 1, scaleX: 1, scaleY: 1, padX: 0, padY: 0 }, release: () => void counts.released++ };
      };
      const seen: number[] = [];
      const unreadable: string[] = [];
      const progress: number[] = [];
      await inferAll(fake.detector, 20, { load }, (index) => seen.push(index), { batch: 3, decoders: 4, onUnreadable: (index, err) => unreadable.push(`${index}: ${err.message}`), onProgress: (done) => progress.push(done) });
      assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 7 && i !== 12));
      assert.deepEqual(unreadable.sort(), ['12: cannot decode item-12.png: corrupt', '7: cannot decode item-7.png: corrupt']);
      assert.equal(progress.at(-1), 20);
      assert.deepEqual(counts, { loaded: 18, released: 18 });
      // an error that is not about the image is still a failure
      const plain = countingLoader(5);
      await assert.rejects(inferAll(fakeDetector(3, 2).detector, 20, plain, () => undefined, { batch: 3, decoders: 2, onUnreadable: () => assert.fail('not a media error') }), /cannot decode item 5/);
    });

    it('resolves at once for no items', async () => {
      const fake = fakeDetector(4, 1);
      await inferAll(fake.detector, 0, countingLoader(), () => assert.fail('no items'), { batch: 4 });
      assert.deepEqual(fake.sizes, []);
    });
  });

  describe('usage and dataset errors', () => {
    it('exits 2 without --dataset, or with a bad --limit', async () => {
      for (const [args, message] of [
        [['eval', '--model', 'mnist-8'], /eval: --dataset SPEC is required/],
        [['eval', '--dataset', 'mnist:x'], /eval: --model PATH\|NAME is required/],
        [['eval', '--model', 'mnist-8', '--dataset', 'mnist:x', '--limit', '0'], /--limit: must be a positive integer, got "0"/],
        [['eval', 'mnist:x', '--model', 'mnist-8'], /eval: unexpected argument "mnist:x"/],
      ] as const) {
        const r = await lookout([...args]);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(errorLine(r), message);
      }
    });

    it('exits 1 for a dataset spec that names nothing it can read', async () => {
      const missing = join(tmp(), 'nowhere');
      for (const [spec, message] of [
        [`voc:${missing}`, /voc:.*nowhere: cannot be read .*a dataset is mnist:DIR, coco:ANNOTATIONS\.json\[:IMAGES_DIR\] or a directory/],
        [`mnist:${missing}`, /mnist: neither .*nowhere\/t10k-images-idx3-ubyte nor .*\.gz exists/],
        [`coco:${missing}.json`, /nowhere\.json: cannot be read/],
      ] as const) {
        // the dataset is read before the model, so even a model that does not exist gets the dataset's error
        const r = await lookout(['eval', '--model', join(tmp(), 'none.onnx'), '--adapter', 'classifier', '--dataset', spec]);
        assert.equal(r.code, 1, `${spec}: ${r.stderr}`);
        assert.match(errorLine(r), message);
      }
    });
  });

  describe('mnist-8 on the MNIST test set (real model and data)', () => {
    const env = () => ({ LOOKOUT_ASSETS: assetsDir });
    const mnistDir = () => join(assetsDir, 'media');

    it('gives 98.90 % accuracy: 9890 of 10000', async function () {
      requireAsset(this, 'models/mnist-8.onnx');
      requireAsset(this, 'media/t10k-images-idx3-ubyte.gz');
      const r = await lookout(['eval', '--model', 'mnist-8', '--dataset', `mnist:${mnistDir()}`, '--json'], env());
      assert.equal(r.code, 0, r.stderr);
      const json = JSON.parse(r.stdout) as ClassificationJson;
      assert.equal(json.task, 'classification');
      assert.equal(json.items, 10000);
      assert.equal(json.correct, 9890);
      close(json.accuracy, 0.989, 'accuracy');
      assert.deepEqual(json.classes.map((c) => c.label), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      // the test set's class sizes, and every digit counted once in the confusion matrix
      assert.deepEqual(json.classes.map((c) => c.support), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
      assert.equal(json.confusion.flat().reduce((a, b) => a + b, 0), 10000);
      assert.equal(json.confusion.reduce((sum, row, i) => sum + row[i]!, 0), 9890);
      assert.match(r.stderr, /fixed batch 1: one frame a run, input 28x28 gray/);
    });

    it('gives the same answers on the digits as PNG class folders', async function () {
      requireAsset(this, 'models/mnist-8.onnx');
      requireAsset(this, 'media/t10k-images-idx3-ubyte.gz');
      const COUNT = 60;
      const dataset = await readMnist(mnistDir());
      const raw = join(tmp(), 'digits.raw');
      await writeFile(raw, Buffer.concat(dataset.items.slice(0, COUNT).map((i) => i.pixels)));
      const flat = join(tmp(), 'digits-flat');
      await mkdir(flat);
      await ffmpeg(['-f', 'rawvideo', '-pix_fmt', 'gray', '-s', '28x28', '-i', raw, '-start_number', '0', join(flat, '%05d.png')]);
      const folders = join(tmp(), 'digits');
      for (const item of dataset.items.slice(0, COUNT)) {
        const name = `${String(item.index).padStart(5, '0')}.png`;
        await mkdir(join(folders, String(item.label)), { recursive: true });
        await rename(join(flat, name), join(folders, String(item.label), name));
      }
      const [fromFolders, fromIdx] = await Promise.all([
        lookout(['eval', '--model', 'mnist-8', '--dataset', folders, '--json'], env()),
        lookout(['eval', '--model', 'mnist-8', '--dataset', `mnist:${mnistDir()}`, '--limit', String(COUNT), '--json'], env()),
      ]);
      assert.equal(fromFolders.code, 0, fromFolders.stderr);
      assert.equal(fromIdx.code, 0, fromIdx.stderr);
      const a = JSON.parse(fromFolders.stdout) as ClassificationJson;
      const b = JSON.parse(fromIdx.stdout) as ClassificationJson;
      assert.equal(a.items, COUNT);
      assert.equal(b.items, COUNT);
      assert.ok(a.correct >= COUNT - 2, `mnist-8 gets nearly all of the first ${COUNT} right, got ${a.correct}`);
      assert.deepEqual({ correct: a.correct, classes: a.classes, confusion: a.confusion }, { correct: b.correct, classes: b.classes, confusion: b.confusion });
    });

    it('evaluates a model without labels on class folders named 0 … 9 (the folder name is the class id), with 28×28 PNGs decoded in-process', async function () {
      requireAsset(this, 'models/mnist-8.onnx');
      requireAsset(this, 'media/t10k-images-idx3-ubyte.gz');
      const COUNT = 300;
      const dataset = await readMnist(mnistDir());
      const folders = join(tmp(), 'numbered');
      for (const item of dataset.items.slice(0, COUNT)) {
        await mkdir(join(folders, String(item.label)), { recursive: true });
        await sharp(item.pixels, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(join(folders, String(item.label), `${item.index}.png`));
      }
      const model = join(tmp(), 'mnist-unlabelled.onnx');
      await copyFile(join(assetsDir, 'models', 'mnist-8.onnx'), model); // a file path: no registry entry, so no labels
      const [fromFolders, fromIdx] = await Promise.all([
        lookout(['eval', '--model', model, '--adapter', 'classifier', '--dataset', folders, '--json']),
        lookout(['eval', '--model', model, '--adapter', 'classifier', '--dataset', `mnist:${mnistDir()}`, '--limit', String(COUNT), '--json']),
      ]);
      assert.equal(fromFolders.code, 0, fromFolders.stderr);
      assert.equal(fromIdx.code, 0, fromIdx.stderr);
      const a = JSON.parse(fromFolders.stdout) as ClassificationJson;
      const b = JSON.parse(fromIdx.stdout) as ClassificationJson;
      assert.equal(a.items, COUNT);
      assert.deepEqual(a.classes.map((c) => c.label), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      assert.deepEqual({ correct: a.correct, classes: a.classes, confusion: a.confusion }, { correct: b.correct, classes: b.classes, confusion: b.confusion });
      assert.ok(a.correct >= COUNT - 6, `mnist-8 gets nearly all right, got ${a.correct}`);

      // other folder names still need --labels
      await rename(join(folders, '7'), join(folders, 'seven'));
      const refused = await lookout(['eval', '--model', model, '--adapter', 'classifier', '--dataset', folders]);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(errorLine(refused), /the model has no labels to match the class folders against \("seven" is not a class id\); give them with --labels FILE/);
    });

    it('feeds 28×28 grey digits as they are, and converts them in-process for any other input format', async function () {
      requireAsset(this, 'media/t10k-images-idx3-ubyte.gz');
      const dataset = await readMnist(mnistDir());
      const format = (layout: FrameFormat['layout']): FrameFormat => ({ width: 28, height: 28, layout, resize: 'stretch', padValue: 0 });
      const direct = mnistLoader(dataset, format('gray'));
      const converted = mnistLoader(dataset, format('gbrp'));
      try {
        for (const index of [0, 1, 9999]) {
          const pixels = dataset.items[index]!.pixels;
          const d = await direct.load(index);
          assert.ok(d.data.buffer instanceof SharedArrayBuffer, 'shared, so the worker gets it without a copy');
          assert.deepEqual([...d.data], [...pixels]);
          assert.deepEqual(d.transform, { srcWidth: 28, srcHeight: 28, scaleX: 1, scaleY: 1, padX: 0, padY: 0 });
          const f = await converted.load(index);
          // grey to planar G, B, R: three copies of the grey plane
          assert.equal(f.data.length, 3 * 784);
          for (let plane = 0; plane < 3; plane++) assert.deepEqual([...f.data.subarray(plane * 784, (plane + 1) * 784)], [...pixels], `plane ${plane} of digit ${index}`);
          f.release();
        }
      } finally {
        await direct.close();
        await converted.close();
      }
      assert.deepEqual(await waitForNoChildren({ filter: (p) => p.comm === 'ffmpeg' || p.comm === 'ffprobe' }), []);
    });
  });
});
