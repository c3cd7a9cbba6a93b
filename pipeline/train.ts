// `lookout train`: dataset → decoded images (as the classifier adapter will see them) → seeded per-class split →
// training on a worker thread (tfjs, wasm backend) → one ONNX file → checks → files in place.
// The checks run on the exported file before anything is moved into place: onnxruntime and the trained tfjs model must
// agree on the test images (probabilities within 1e-4), and the test split is evaluated with the same runner as
// `lookout eval`, so the accuracy reported is what `lookout eval` on the written test split gives.
import { describeError, LookoutError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ClassificationJson } from './eval/report.js';
import { cnnToOnnx, CNN_INPUT, CNN_OUTPUT } from '../models/onnx/cnn-onnx.js';
import { runOnnxOnce } from '../models/onnx/run-onnx.js';
import { cnnShapes, DEFAULT_DROPOUT, describeCnn, type CnnArchitecture, type ImageInput } from '../models/train/architecture.js';
import { DEFAULT_AUGMENT } from '../models/train/augment.js';
import { MODEL_CARD_FORMAT, type ModelCard } from './model-card.js';
import { trainInWorker } from '../models/train/train-in-worker.js';
import type { TrainOutcome, TrainProgress, TrainSettings } from '../models/train/trainer.js';
import { writeFileAtomic } from '../models/write-file-atomic.js';
import { loadImages, openTrainDataset, pick, splitIndices, type LoadedImages } from './train-data.js';
import { DatasetWatch } from './train-dataset-watch.js';
import { accuracyOf, cardDataset, EXPORT_CHECK_SAMPLES, EXPORT_TOLERANCE, writeTrainedModel, type ExportCheck, type TrainedOutput, type TrainFiles } from './train-output.js';

/** Architectures `lookout train --arch` knows; each turns the same dataset, split, report and export into a model. */
export const TRAIN_ARCHITECTURES = ['cnn', 'head'] as const;
export type TrainArchitecture = (typeof TRAIN_ARCHITECTURES)[number];


export interface TrainOptions {
  arch: TrainArchitecture;
  /** as for `lookout eval`: `mnist:DIR` or a directory of class folders */
  dataset: string;
  name: string;
  outDir: string;
  input: ImageInput;
  /** cnn widths */
  conv: readonly [number, number];
  dense: number;
  settings: TrainSettings;
  /** share of every class held out for the final test */
  testSplit: number;
  /** share of the rest, per class, watched for early stopping */
  validationSplit: number;
  lookoutVersion: string;
  logger?: Logger;
  onProgress?: (p: TrainPipelineProgress) => void;
  signal?: AbortSignal;
  now?: () => Date;
}

export type TrainPipelineProgress = { kind: 'load'; done: number; total: number } | TrainProgress | { kind: 'check' };

export interface TrainResult extends TrainedOutput {
  /** from reading the dataset to the files in place */
  wallSeconds: number;
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const started = performance.now();
  const log = opts.logger?.child({ component: 'train' });
  const dataset = await openTrainDataset(opts.dataset);
  const arch: CnnArchitecture = { kind: 'cnn', input: opts.input, conv: opts.conv, dense: opts.dense, dropout: DEFAULT_DROPOUT, classes: dataset.categories.length };
  try {
    cnnShapes(arch);
  } catch (err) {
    throw new LookoutError('LOOKOUT_ERR_USAGE', `--input: ${describeError(err)}`);
  }
  const watch = await DatasetWatch.start(opts.dataset, dataset);
  const loaded = await loadImages(dataset, opts.input, (done, total) => opts.onProgress?.({ kind: 'load', done, total })).catch(async (err: unknown) => {
    throw await watch.explain(err);
  });
  opts.signal?.throwIfAborted();
  const split = splitIndices(loaded.labels, opts.testSplit, opts.validationSplit, opts.settings.seed);
  log?.info(`${dataset.items.length} items, ${arch.classes} classes: ${split.train.length} train, ${split.validation.length} validation, ${split.test.length} test; ${describeCnn(arch)}`);

  const test = pick(loaded, split.test);
  const outcome = await trainInWorker(
    { arch, settings: opts.settings, train: pick(loaded, split.train), validation: pick(loaded, split.validation), probe: test.images },
    (p) => opts.onProgress?.(p),
    opts.signal,
  );
  opts.onProgress?.({ kind: 'check' });

  const labels = dataset.categories.map((c) => c.name);
  const created = (opts.now ?? (() => new Date()))().toISOString();
  const output = await writeTrainedModel({
    outDir: opts.outDir,
    name: opts.name,
    dataset,
    labels,
    testIndices: split.test,
    model: cnnToOnnx(arch, outcome.weights, {
      producerVersion: opts.lookoutVersion,
      docString: `${opts.name}: ${describeCnn(arch)}; trained by lookout train on ${opts.dataset}`,
      properties: { labels: JSON.stringify(labels), created, seed: String(opts.settings.seed) },
    }),
    checkExport: (stagedModel) => checkExport(stagedModel, arch, test.images, outcome),
    // a dataset that changed under us (crops moved, added, removed or rewritten) is not what was trained on
    beforeCommit: () => watch.check(),
    card: ({ files, metrics, exportCheck, testSpec }) =>
      modelCard({ opts, arch, loaded, split, outcome, metrics, tfjsAccuracy: accuracyOf(outcome.probeProbabilities, test.labels, arch.classes), exportCheck, files, created, testSpec }),
    log,
  });
  return { ...output, wallSeconds: (performance.now() - started) / 1000 };
}

/** Runs the first test images through the ONNX file in onnxruntime and compares with tfjs's probabilities. */
async function checkExport(modelPath: string, arch: CnnArchitecture, images: Uint8Array, outcome: TrainOutcome): Promise<{ samples: number; maxAbsDiff: number; tolerance: number }> {
  const { width, height, channels } = arch.input;
  const plane = width * height;
  const total = images.length / (plane * channels);
  const n = Math.min(EXPORT_CHECK_SAMPLES, total);
  // channels-last bytes → NCHW floats in 0..1, as the classifier adapter writes them
  const input = new Float32Array(n * channels * plane);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < plane; p++)
      for (let c = 0; c < channels; c++) input[(i * channels + c) * plane + p] = images[(i * plane + p) * channels + c]! / 255;
  const out = await runOnnxOnce(modelPath, input, [n, channels, height, width]);
  let maxAbsDiff = 0;
  for (let i = 0; i < n * arch.classes; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(out.data[i]! - outcome.probeProbabilities[i]!));
  return { samples: n, maxAbsDiff, tolerance: EXPORT_TOLERANCE };
}

function modelCard(p: {
  opts: TrainOptions;
  arch: CnnArchitecture;
  loaded: LoadedImages;
  split: { train: number[]; validation: number[]; test: number[] };
  outcome: TrainOutcome;
  metrics: ClassificationJson;
  tfjsAccuracy: number;
  exportCheck: ExportCheck;
  files: TrainFiles;
  created: string;
  testSpec: string;
}): ModelCard {
  const { opts, arch, loaded, split, outcome, files } = p;
  const s = opts.settings;
  const a = DEFAULT_AUGMENT;
  return {
    format: MODEL_CARD_FORMAT,
    name: opts.name,
    created: p.created,
    lookoutVersion: opts.lookoutVersion,
    model: {
      file: files.model,
      labels: files.labels,
      adapter: 'classifier',
      input: { name: CNN_INPUT, width: arch.input.width, height: arch.input.height, channels: arch.input.channels, layout: 'NCHW', scaling: `pixel / 255 (0..1)${arch.input.channels === 1 ? ', grey' : ', RGB'}` },
      output: { name: CNN_OUTPUT, what: `[N, ${arch.classes}] softmax probabilities` },
    },
    architecture: { kind: arch.kind, description: describeCnn(arch), parameters: cnnShapes(arch).parameters, details: { conv: arch.conv, dense: arch.dense, dropout: arch.dropout, kernel: 3, pool: 2 } },
    training: {
      seed: s.seed,
      maxEpochs: s.epochs,
      epochsRun: outcome.history.length,
      bestEpoch: outcome.bestEpoch,
      stoppedEarly: outcome.stoppedEarly,
      batchSize: s.batchSize,
      learningRate: s.learningRate,
      optimizer: 'adam',
      patience: s.patience,
      augmentation: s.augment ? `rotation ±${a.rotateDegrees}°, shift ±${a.shiftPixels} px, zoom ±${a.scale * 100} %, stroke thicker/thinner ${a.strokeChance * 100} % of images` : null,
      backend: `tfjs ${outcome.backend}`,
      seconds: outcome.seconds,
      cpuSeconds: outcome.cpuSeconds,
      imagesPerSecond: outcome.imagesPerSecond,
      history: outcome.history,
    },
    ...cardDataset(opts.dataset, loaded, split, s.seed, opts.testSplit, opts.validationSplit),
    metrics: p.metrics,
    tfjsAccuracy: p.tfjsAccuracy,
    exportCheck: p.exportCheck,
    evalCommand: `lookout eval --model ${files.model} --adapter classifier --labels ${files.labels} --dataset ${p.testSpec}`,
  };
}
