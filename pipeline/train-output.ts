// Where every `lookout train` architecture ends: the exported model and its companions are made in a staging folder
// beside the target, checked there (the export against the trained model, then the test split through the
// `lookout eval` runner), and only then renamed into place, the model last, so a model file in place always has its
// labels, card and test split, and a failure leaves nothing behind.
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LookoutError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { OnnxDetector } from '../models/onnx-detector.js';
import { openDataset } from './eval/datasets.js';
import { reportToJson, type ClassificationJson, type EvalReport } from './eval/report.js';
import { detectorSettings, runEval } from './eval/run-eval.js';
import { modelCardMarkdown, type ModelCard } from './model-card.js';
import type { LoadedImages, SplitIndices, TrainDataset } from './train-data.js';
import { writeHoldout } from './train-holdout.js';

/** Largest difference allowed between onnxruntime's and the trained model's probabilities for one image and class. */
export const EXPORT_TOLERANCE = 1e-4;
/** Test images the export check runs through both. */
export const EXPORT_CHECK_SAMPLES = 100;

export interface TrainFiles {
  model: string;
  labels: string;
  card: string;
  cardMarkdown: string;
  /** the test split as a dataset */
  testSet: string;
}

export interface ExportCheck {
  samples: number;
  maxAbsDiff: number;
  tolerance: number;
}

export interface TrainedOutput {
  files: TrainFiles;
  card: ModelCard;
  /** the evaluation of the exported model on the test split (what `lookout eval` prints) */
  evaluation: EvalReport;
}

export interface WriteTrainedModel {
  outDir: string;
  name: string;
  dataset: TrainDataset;
  labels: string[];
  testIndices: readonly number[];
  /** the exported ONNX file's bytes */
  model: Uint8Array;
  /** the staged model file against the trained model on test images */
  checkExport(stagedModel: string): Promise<ExportCheck>;
  /** a last look before anything is moved into place (e.g. that the dataset did not change meanwhile) */
  beforeCommit?(): Promise<void>;
  card(p: { files: TrainFiles; metrics: ClassificationJson; exportCheck: ExportCheck; testSpec: string }): ModelCard;
  log?: Logger;
}

export async function writeTrainedModel(w: WriteTrainedModel): Promise<TrainedOutput> {
  await mkdir(w.outDir, { recursive: true });
  const staging = await mkdtemp(join(w.outDir, `.${w.name}.staging-`));
  try {
    const files: TrainFiles = {
      model: join(w.outDir, `${w.name}.onnx`),
      labels: join(w.outDir, `${w.name}.labels.txt`),
      card: join(w.outDir, `${w.name}.card.json`),
      cardMarkdown: join(w.outDir, `${w.name}.card.md`),
      testSet: join(w.outDir, `${w.name}.test`),
    };
    const staged = (path: string) => join(staging, path.slice(w.outDir.length + 1));
    await writeFile(staged(files.model), w.model);
    await writeFile(staged(files.labels), w.labels.join('\n') + '\n');
    await mkdir(staged(files.testSet));
    const testSpecPrefix = await writeHoldout(w.dataset, [...w.testIndices], staged(files.testSet));

    const exportCheck = await w.checkExport(staged(files.model));
    if (exportCheck.maxAbsDiff > EXPORT_TOLERANCE) {
      throw new LookoutError('LOOKOUT_ERR_TRAIN', `the exported ONNX model differs from the trained one by up to ${exportCheck.maxAbsDiff} (allowed ${EXPORT_TOLERANCE}); nothing was written`);
    }
    const testSpec = `${testSpecPrefix}${files.testSet}`;
    const evaluation = await evaluateExport(staged(files.model), w.labels, `${testSpecPrefix}${staged(files.testSet)}`, testSpec, files.model);
    await w.beforeCommit?.();
    const card = w.card({ files, metrics: reportToJson(evaluation) as ClassificationJson, exportCheck, testSpec });
    await writeFile(staged(files.card), `${JSON.stringify(card, null, 2)}\n`);
    await writeFile(staged(files.cardMarkdown), modelCardMarkdown(card));

    // the test set, labels and card first, the model last: a model file in place always has its companions
    await rm(files.testSet, { recursive: true, force: true });
    for (const path of [files.testSet, files.labels, files.card, files.cardMarkdown, files.model]) await rename(staged(path), path);
    w.log?.info(`wrote ${files.model}`);
    return { files, card, evaluation };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** The exported model on the test split through OnnxDetector + runEval: exactly what `lookout eval` does. */
export async function evaluateExport(modelPath: string, labels: string[], stagedSpec: string, testSpec: string, finalModel: string): Promise<EvalReport> {
  const dataset = await openDataset(stagedSpec);
  const detector = await OnnxDetector.create({ modelPath, adapter: 'classifier', labels, iou: 0.5, providers: ['cpu'], maxBatch: 64, ...detectorSettings('classification', 0) });
  try {
    return await runEval(detector, dataset, { datasetName: testSpec, modelName: finalModel, scoreThreshold: 0, batch: 64 });
  } finally {
    await detector.close();
  }
}

/** Top-1 accuracy of row-major `[N, classes]` probabilities against labels. */
export function accuracyOf(probabilities: Float32Array, labels: Int32Array, classes: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probabilities[i * classes + c]! > probabilities[i * classes + best]!) best = c;
    if (best === labels[i]) correct++;
  }
  return labels.length === 0 ? 0 : correct / labels.length;
}

/** The model card's `dataset` and `classes`: what was trained on, how it was split, and examples per class. */
export function cardDataset(spec: string, loaded: LoadedImages, split: SplitIndices, seed: number, testSplit: number, validationSplit: number): Pick<ModelCard, 'dataset' | 'classes'> {
  const count = (indices: readonly number[], id: number) => indices.reduce((n, i) => n + (loaded.labels[i] === id ? 1 : 0), 0);
  return {
    dataset: {
      spec,
      kind: loaded.dataset.kind,
      items: loaded.labels.length,
      split:
        `stratified per class with seed ${seed}: ${Math.round(testSplit * 100)} % test (${split.test.length}), ` +
        `then ${Math.round(validationSplit * 100)} % of the rest validation for early stopping (${split.validation.length}), train ${split.train.length}`,
    },
    classes: loaded.categories.map((c) => ({ id: c.id, name: c.name, train: count(split.train, c.id), validation: count(split.validation, c.id), test: count(split.test, c.id) })),
  };
}
