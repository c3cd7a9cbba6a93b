// `lookout eval`: how good a model is on labelled images, measured with the runtime, adapter and pre-processing that
// run on the cameras. The report goes to stdout (a table, or JSON with --json); a progress bar goes to stderr on a TTY.
import type { ExecutionProviderName } from '../config/defaults.js';
import { openDataset, parseDatasetSpec } from '../pipeline/eval/datasets.js';
import { formatReport, reportToJson } from '../pipeline/eval/report.js';
import { ProgressLine, renderProgress } from './progress.js';
import { checkTask, detectorSettings, runEval, taskOf } from '../pipeline/eval/run-eval.js';
import { resolveModel } from '../models/model-spec.js';
import type { PreprocessSettings } from '../config/preprocess.js';
import { OnnxDetector } from '../models/onnx-detector.js';
import type { ResolveOptions } from '../models/registry.js';
import type { Logger } from '../core/logger.js';

export interface EvalOptions {
  model: string;
  adapter?: string;
  labels?: string;
  /** classifiers: preset and overrides from the command line */
  preprocess?: PreprocessSettings;
  /** `mnist:DIR`, `coco:ANNOTATIONS.json[:IMAGES_DIR]`, `folder:DIR` or `DIR` */
  dataset: string;
  /** detectors: the score at which precision, recall and F1 are reported (mAP uses every box down to 0.001) */
  threshold: number;
  iou: number;
  providers: ExecutionProviderName[];
  batch: number;
  limit?: number;
  json: boolean;
  registry?: ResolveOptions;
  logger: Logger;
  write?: (text: string) => void;
  /** where the progress bar goes; default process.stderr, and only when it is a TTY */
  progress?: { isTTY?: boolean; write(text: string): unknown };
}

/** Redraw the progress bar at most this often: a 10 000-digit run finishes thousands of batches a second. */
const PROGRESS_INTERVAL_MS = 100;

export async function evalCommand(opts: EvalOptions): Promise<void> {
  const write = opts.write ?? ((text: string) => void process.stdout.write(text));
  // the dataset first: a wrong path or a broken JSON should fail before the model loads
  const dataset = await openDataset(parseDatasetSpec(opts.dataset));
  const model = await resolveModel({ path: opts.model, adapter: opts.adapter, labels: opts.labels, preprocess: opts.preprocess }, opts.registry);
  checkTask(model.adapter, dataset);
  const task = taskOf(dataset);
  const detector = await OnnxDetector.create({
    modelPath: model.modelPath,
    adapter: model.adapter,
    labels: model.labels,
    preprocess: model.preprocess,
    iou: opts.iou,
    providers: opts.providers,
    maxBatch: opts.batch,
    ...detectorSettings(task, opts.threshold),
  });
  try {
    const log = opts.logger.child({ component: 'eval' });
    for (const w of detector.info.warnings) log.warn(w);
    const { info } = detector;
    const total = Math.min(dataset.items.length, opts.limit ?? Infinity);
    log.info(
      `${total} ${task === 'detection' ? 'images' : 'items'} through ${model.modelPath} (${info.adapter} on ${info.provider}, ` +
        `${info.dynamicBatch ? `batches of up to ${info.maxBatch}` : 'fixed batch 1: one frame a run'}, ` +
        `input ${info.format.width}x${info.format.height} ${info.format.layout})`,
    );

    const progress = new ProgressLine(opts.progress ?? process.stderr, PROGRESS_INTERVAL_MS);
    const started = Date.now();
    const report = await runEval(detector, dataset, {
      datasetName: opts.dataset,
      modelName: opts.model,
      scoreThreshold: opts.threshold,
      limit: opts.limit,
      batch: opts.batch,
      // one line per unreadable image (it names the file); the run goes on and the report counts them
      onUnreadable: (_index, err) => {
        progress.end('keep');
        log.error(err.message, { code: err.code });
      },
      onProgress: progress.tty ? (done) => progress.draw(renderProgress(done, total, started, Date.now()), done >= total) : undefined,
    }).finally(() => progress.end('keep'));
    write(opts.json ? `${JSON.stringify(reportToJson(report), null, 2)}\n` : formatReport(report));
  } finally {
    await detector.close();
  }
}
