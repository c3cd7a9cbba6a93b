// `lookout train`: trains a classifier on labelled images and writes it as one ONNX file the `classifier` adapter
// serves, with its labels, a model card and the test split. The report goes to stdout (text, or JSON with --json);
// progress (a bar on a TTY, one line per epoch otherwise) goes to stderr.
import { trainedModelsDir } from '../models/trained-models.js';
import { LOOKOUT_VERSION } from '../core/version.js';
import type { Logger } from '../core/logger.js';
import { formatReport } from '../pipeline/eval/report.js';
import { renderProgress } from './progress.js';
import { trainHeadModel } from '../pipeline/train-head.js';
import type { ResolveOptions } from '../models/registry.js';
import { train, type TrainArchitecture, type TrainPipelineProgress, type TrainResult } from '../pipeline/train.js';
import type { ImageInput } from '../models/train/architecture.js';
import type { TrainSettings } from '../models/train/trainer.js';

export interface TrainCommandOptions {
  arch: TrainArchitecture;
  dataset: string;
  name: string;
  /** default: `<cache>/models` */
  outDir?: string;
  input: ImageInput;
  conv: readonly [number, number];
  dense: number;
  settings: TrainSettings;
  testSplit: number;
  validationSplit: number;
  json: boolean;
  logger: Logger;
  write?: (text: string) => void;
  progress?: { isTTY?: boolean; write(text: string): unknown };
  signal?: AbortSignal;
  /** where `--arch head` finds its backbone */
  registry?: ResolveOptions;
}

const PROGRESS_INTERVAL_MS = 100;

export async function trainCommand(opts: TrainCommandOptions): Promise<TrainResult> {
  const write = opts.write ?? ((text: string) => void process.stdout.write(text));
  const progress = opts.progress ?? process.stderr;
  const tty = progress.isTTY === true;
  let phaseStart = Date.now();
  let drawn = 0;
  let onLine = false;
  const draw = (line: string, force = false) => {
    if (!tty || (!force && Date.now() - drawn < PROGRESS_INTERVAL_MS)) return;
    drawn = Date.now();
    onLine = true;
    progress.write(`\r${line}\x1b[K`);
  };
  const permanent = (line: string) => {
    progress.write(`${tty && onLine ? '\r' : ''}${line}${tty ? '\x1b[K' : ''}\n`);
    onLine = false;
  };
  const onProgress = (p: TrainPipelineProgress) => {
    switch (p.kind) {
      case 'load':
        if (p.done === 1) phaseStart = Date.now();
        draw(`images ${renderProgress(p.done, p.total, phaseStart, Date.now())}`, p.done === p.total);
        break;
      case 'batch':
        if (p.batch === 1) phaseStart = Date.now();
        draw(`epoch ${p.epoch}/${p.epochs} ${renderProgress(p.batch, p.batches, phaseStart, Date.now())}  loss ${p.loss.toFixed(4)} acc ${(p.accuracy * 100).toFixed(1)}%`);
        break;
      case 'epoch':
        permanent(
          `epoch ${p.epoch}/${p.epochs}  loss ${p.loss.toFixed(4)} acc ${(p.accuracy * 100).toFixed(2)}%` +
            (p.valLoss === null ? '' : `  val loss ${p.valLoss.toFixed(4)} val acc ${(p.valAccuracy! * 100).toFixed(2)}%`) +
            `  ${p.seconds.toFixed(1)} s${p.best ? '  (best so far)' : ''}`,
        );
        break;
      case 'check':
        draw('checking the ONNX export and evaluating it on the test split…', true);
        break;
    }
  };
  let result: TrainResult;
  try {
    // what both architectures take alike
    const common = {
      dataset: opts.dataset,
      name: opts.name,
      outDir: opts.outDir ?? trainedModelsDir(),
      testSplit: opts.testSplit,
      validationSplit: opts.validationSplit,
      lookoutVersion: LOOKOUT_VERSION,
      logger: opts.logger,
      onProgress,
      signal: opts.signal,
    };
    result = opts.arch === 'head'
      ? await trainHeadModel({ ...common, seed: opts.settings.seed, registry: opts.registry })
      : await train({ ...common, arch: opts.arch, input: opts.input, conv: opts.conv, dense: opts.dense, settings: opts.settings });
  } finally {
    if (tty && onLine) progress.write('\r\x1b[K');
  }
  write(opts.json ? `${JSON.stringify({ files: result.files, wallSeconds: result.wallSeconds, card: result.card }, null, 2)}\n` : formatTrainReport(result));
  return result;
}

export function formatTrainReport(r: TrainResult): string {
  const { card, files } = r;
  const t = card.training;
  const lines = [
    `trained  ${card.name} (${card.architecture.kind}): ${card.architecture.description}`,
    `dataset  ${card.dataset.spec}: ${card.dataset.items} items; ${card.dataset.split}`,
    `training ${t.epochsRun} of at most ${t.maxEpochs} epochs${t.stoppedEarly ? ' (stopped early)' : ''}, kept epoch ${t.bestEpoch}; ` +
      `${t.seconds.toFixed(1)} s (${t.cpuSeconds.toFixed(1)} s CPU) on ${t.backend} (${Math.round(t.imagesPerSecond)} images/s); seed ${t.seed}; wall time ${r.wallSeconds.toFixed(1)} s`,
    `export   ONNX (onnxruntime) vs the trained model on ${card.exportCheck.samples} test images: max probability difference ` +
      `${card.exportCheck.maxAbsDiff.toExponential(2)} (allowed ${card.exportCheck.tolerance}); trained model's test accuracy ${card.tfjsAccuracy.toFixed(4)}`,
    '',
    'test split, exported model (as lookout eval measures it):',
    formatReport(r.evaluation).trimEnd(),
    '',
    `model    ${files.model}`,
    `labels   ${files.labels}`,
    `card     ${files.card} (and ${files.cardMarkdown})`,
    `test set ${files.testSet}`,
    `check    ${card.evalCommand}`,
  ];
  return `${lines.join('\n')}\n`;
}
