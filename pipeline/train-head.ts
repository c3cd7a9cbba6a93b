// `lookout train --arch head`: dataset → pixels as the classifier adapter sees them (224×224 RGB) → seeded per-class
// split → backbone features (MobileNetV2 int8, batched in onnxruntime) → a head (logistic regression, or nearest class
// mean for tiny classes) → ONE ONNX file (backbone + head + softmax) → checks → files in place atomically.
// Same output files, model card and report as the CNN path (pipeline/train.ts); the test split is evaluated with the
// `lookout eval` runner on the exported file, so the numbers are the ones `lookout eval` gives.
import { readFile } from 'node:fs/promises';
import { describeError, LookoutError } from '../core/errors.js';
import { decodeImage } from '../sources/image-decoder.js';
import type { ImageFileDecoder } from './eval/run-eval.js';
import { BACKBONE, resolveBackbone } from '../models/backbone.js';
import { Embedder } from '../models/embedder.js';
import { DEFAULT_HEAD_SETTINGS, headProbabilities, trainHead, type HeadSettings, type TrainedHead } from '../models/heads/linear-head.js';
import { headToOnnx, HEAD_INPUT, HEAD_OUTPUT } from '../models/onnx/head-onnx.js';
import { runOnnxOnce } from '../models/onnx/run-onnx.js';
import type { ResolveOptions } from '../models/registry.js';
import { MODEL_CARD_FORMAT, type ModelCard } from './model-card.js';
import { loadImages, openTrainDataset, splitIndices } from './train-data.js';
import { DatasetWatch } from './train-dataset-watch.js';
import type { TrainOptions, TrainResult } from './train.js';
import { accuracyOf, cardDataset, EXPORT_CHECK_SAMPLES, EXPORT_TOLERANCE, writeTrainedModel, type ExportCheck } from './train-output.js';

export interface HeadTrainOptions extends Pick<TrainOptions, 'dataset' | 'name' | 'outDir' | 'testSplit' | 'validationSplit' | 'lookoutVersion' | 'logger' | 'onProgress' | 'signal' | 'now'> {
  seed: number;
  head?: Partial<HeadSettings>;
  /** where the backbone is found (registry options) */
  registry?: ResolveOptions;
}

export async function trainHeadModel(opts: HeadTrainOptions): Promise<TrainResult> {
  const started = performance.now();
  const log = opts.logger?.child({ component: 'train' });
  const settings: HeadSettings = { ...DEFAULT_HEAD_SETTINGS, ...opts.head };
  const dataset = await openTrainDataset(opts.dataset);
  const watch = await DatasetWatch.start(opts.dataset, dataset);
  const backbone = await resolveBackbone(opts.registry);
  const input = { width: BACKBONE.width, height: BACKBONE.height, channels: 3 as const };
  const loadStarted = performance.now();
  const loaded = await loadImages(dataset, input, (done, total) => opts.onProgress?.({ kind: 'load', done, total }), decodeStill).catch(async (err: unknown) => {
    throw await watch.explain(err);
  });
  opts.signal?.throwIfAborted();
  const classes = dataset.categories.length;
  const split = splitIndices(loaded.labels, opts.testSplit, opts.validationSplit, opts.seed);

  const trainStarted = performance.now();
  const cpuStarted = process.cpuUsage();
  const embedder = await Embedder.create(backbone.path);
  let features: Float32Array;
  try {
    features = await embedder.embed(loaded.images, loaded.labels.length);
  } finally {
    await embedder.close();
  }
  const F = BACKBONE.featureSize;
  const take = (indices: readonly number[]) => {
    const x = new Float32Array(indices.length * F);
    indices.forEach((index, row) => x.set(features.subarray(index * F, (index + 1) * F), row * F));
    return { x, y: Int32Array.from(indices, (i) => loaded.labels[i]!) };
  };
  const test = take(split.test);
  // hundreds of full-batch epochs take well under a second: no per-epoch progress, the card keeps the history
  const trained: TrainedHead = trainHead(take(split.train), take(split.validation), classes, F, settings);
  const seconds = (performance.now() - trainStarted) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  log?.info(
    `${dataset.items.length} items, ${classes} classes: ${split.train.length} train, ${split.validation.length} validation, ${split.test.length} test; ` +
      `decoded in ${((trainStarted - loadStarted) / 1000).toFixed(1)} s, features and ${trained.kind} head in ${seconds.toFixed(1)} s`,
  );
  opts.onProgress?.({ kind: 'check' });
  opts.signal?.throwIfAborted();

  const labels = dataset.categories.map((c) => c.name);
  const created = (opts.now ?? (() => new Date()))().toISOString();
  const output = await writeTrainedModel({
    outDir: opts.outDir,
    name: opts.name,
    dataset,
    labels,
    testIndices: split.test,
    model: headToOnnx(await readFile(backbone.original), trained.head, {
      producerVersion: opts.lookoutVersion,
      docString: `${opts.name}: MobileNetV2-1.0 int8 (ImageNet, frozen) + ${describeHead(trained)}; trained by lookout train on ${opts.dataset}`,
      properties: { labels: JSON.stringify(labels), created, seed: String(opts.seed), backboneSha256: backbone.sha256 },
    }),
    // the exported graph on the test pictures against the head applied in JS to the features the embedder gave
    checkExport: (stagedModel) => checkHeadExport(stagedModel, loaded.images, split.test, trained, test.x),
    // a dataset that changed under us (crops moved, added, removed or rewritten) is not what was trained on
    beforeCommit: () => watch.check(),
    card: ({ files, metrics, exportCheck, testSpec }): ModelCard => ({
      format: MODEL_CARD_FORMAT,
      name: opts.name,
      created,
      lookoutVersion: opts.lookoutVersion,
      model: {
        file: files.model,
        labels: files.labels,
        adapter: 'classifier',
        input: { name: HEAD_INPUT, width: BACKBONE.width, height: BACKBONE.height, channels: 3, layout: 'NCHW', scaling: 'pixel / 255 (0..1), RGB; ImageNet mean/std applied inside the graph' },
        output: { name: HEAD_OUTPUT, what: `[N, ${classes}] softmax probabilities` },
      },
      architecture: {
        kind: 'head',
        description: `MobileNetV2-1.0 int8 (frozen, ${BACKBONE.featureSize}-d features) + ${describeHead(trained)}`,
        parameters: trained.head.weights.length + trained.head.bias.length,
        details: { head: trained.kind, backbone: BACKBONE.registryName, backboneSha256: backbone.sha256, l2: settings.l2, ncmBelow: settings.ncmBelow },
      },
      training: {
        seed: opts.seed,
        maxEpochs: trained.kind === 'ncm' ? 0 : settings.maxEpochs,
        epochsRun: trained.epochsRun,
        bestEpoch: trained.bestEpoch,
        stoppedEarly: trained.stoppedEarly,
        batchSize: split.train.length,
        learningRate: trained.kind === 'ncm' ? 0 : settings.learningRate,
        optimizer: trained.kind === 'ncm' ? 'none (class means)' : 'adam, full batch, class-balanced loss',
        patience: settings.patience,
        augmentation: null,
        backend: 'onnxruntime cpu (features) + JS (head)',
        seconds,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        imagesPerSecond: loaded.labels.length / seconds,
        history: trained.history.map((h) => ({ epoch: h.epoch, loss: h.loss, accuracy: h.accuracy, valLoss: h.valLoss, valAccuracy: h.valAccuracy, seconds: 0 })),
      },
      ...cardDataset(opts.dataset, loaded, split, opts.seed, opts.testSplit, opts.validationSplit),
      metrics,
      tfjsAccuracy: accuracyOf(headProbabilities(trained.head, test.x), test.y, classes),
      exportCheck,
      evalCommand: `lookout eval --model ${files.model} --adapter classifier --labels ${files.labels} --dataset ${testSpec}`,
    }),
    log,
  });
  return { ...output, wallSeconds: (performance.now() - started) / 1000 };
}

/**
 * Training pictures are decoded in-process by sharp (libvips): an ffmpeg start per crop would cost most of the time
 * budget on a small box. The test split is still evaluated through `lookout eval`'s own loader (ffmpeg), so the
 * reported numbers are the ones `lookout eval` reproduces.
 */
const decodeStill: ImageFileDecoder = async (path, format) => {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new LookoutError('LOOKOUT_ERR_MEDIA', `${path}: cannot read it: ${describeError(err)}`);
  }
  const image = await decodeImage(bytes, format, path);
  return { data: image.data, transform: image.transform, release: () => undefined };
};

function describeHead(t: TrainedHead): string {
  return t.kind === 'ncm' ? `nearest-class-mean head (${t.head.classes} classes)` : `logistic-regression head (${t.head.classes} classes, class-balanced)`;
}

async function checkHeadExport(modelPath: string, images: Uint8Array, indices: readonly number[], trained: TrainedHead, testFeatures: Float32Array): Promise<ExportCheck> {
  const n = Math.min(EXPORT_CHECK_SAMPLES, indices.length);
  const plane = BACKBONE.width * BACKBONE.height;
  const input = new Float32Array(n * 3 * plane);
  for (let i = 0; i < n; i++) {
    const src = indices[i]! * plane * 3;
    for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) input[(i * 3 + c) * plane + p] = images[src + p * 3 + c]! / 255;
  }
  const out = await runOnnxOnce(modelPath, input, [n, 3, BACKBONE.height, BACKBONE.width]);
  const expected = headProbabilities(trained.head, testFeatures.subarray(0, n * BACKBONE.featureSize));
  let maxAbsDiff = 0;
  for (let i = 0; i < expected.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(out.data[i]! - expected[i]!));
  return { samples: n, maxAbsDiff, tolerance: EXPORT_TOLERANCE };
}
