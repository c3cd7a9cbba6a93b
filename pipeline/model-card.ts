// The model card written next to a trained model: what it is, what it learned from, how good it is on images it never
// saw, and how to check that. JSON for tools, Markdown (rendered from the same object) for people.
import type { ClassificationJson } from './eval/report.js';
import type { EpochStats } from '../models/train/trainer.js';

export const MODEL_CARD_FORMAT = 'lookout-model-card/1';

export interface ModelCardClass {
  id: number;
  name: string;
  train: number;
  validation: number;
  test: number;
}

export interface ModelCard {
  format: typeof MODEL_CARD_FORMAT;
  name: string;
  /** ISO 8601 */
  created: string;
  lookoutVersion: string;
  model: {
    file: string;
    labels: string;
    adapter: 'classifier';
    input: { name: string; width: number; height: number; channels: number; layout: string; scaling: string };
    output: { name: string; what: string };
  };
  /** `cnn` now; other kinds (a head on embeddings) later */
  architecture: { kind: string; description: string; parameters: number; details: Record<string, unknown> };
  training: {
    seed: number;
    maxEpochs: number;
    epochsRun: number;
    bestEpoch: number;
    stoppedEarly: boolean;
    batchSize: number;
    learningRate: number;
    optimizer: string;
    patience: number;
    augmentation: string | null;
    backend: string;
    seconds: number;
    /** process CPU time during training; compare runs with this on a shared machine */
    cpuSeconds: number;
    imagesPerSecond: number;
    history: EpochStats[];
  };
  dataset: { spec: string; kind: string; items: number; split: string };
  classes: ModelCardClass[];
  /** measured with the exported ONNX file in onnxruntime, on the test split, as `lookout eval` measures */
  metrics: ClassificationJson;
  /** the same test split classified by the trained tfjs model */
  tfjsAccuracy: number;
  exportCheck: { samples: number; maxAbsDiff: number; tolerance: number };
  /** reproduces `metrics` */
  evalCommand: string;
}

const pct = (v: number) => `${(v * 100).toFixed(2)} %`;

export function modelCardMarkdown(card: ModelCard): string {
  const m = card.metrics;
  const lines = [
    `# ${card.name}`,
    '',
    `Image classifier trained by Lookout ${card.lookoutVersion} on ${card.created}.`,
    '',
    `- Model: \`${card.model.file}\` (ONNX, adapter \`${card.model.adapter}\`), labels \`${card.model.labels}\``,
    `- Input: \`${card.model.input.name}\` [N, ${card.model.input.channels}, ${card.model.input.height}, ${card.model.input.width}], ${card.model.input.scaling}`,
    `- Output: \`${card.model.output.name}\`, ${card.model.output.what}`,
    `- Architecture (${card.architecture.kind}): ${card.architecture.description}`,
    `- Dataset: \`${card.dataset.spec}\`, ${card.dataset.items} items; ${card.dataset.split}`,
    `- Training: seed ${card.training.seed}, ${card.training.epochsRun} of at most ${card.training.maxEpochs} epochs` +
      `${card.training.stoppedEarly ? ' (stopped early)' : ''}, best epoch ${card.training.bestEpoch}, batch ${card.training.batchSize}, ` +
      `${card.training.optimizer} lr ${card.training.learningRate}, augmentation: ${card.training.augmentation ?? 'none'}; ` +
      `${card.training.seconds.toFixed(1)} s (${card.training.cpuSeconds.toFixed(1)} s CPU) on ${card.training.backend} (${Math.round(card.training.imagesPerSecond)} images/s)`,
    '',
    `## Test split (${m.items} items, never trained on)`,
    '',
    `Accuracy ${pct(m.accuracy)} (${m.correct} of ${m.items}) with the ONNX file in onnxruntime; the trained model before export: ${pct(card.tfjsAccuracy)}.`,
    `ONNX against the trained model on ${card.exportCheck.samples} test images: largest probability difference ${card.exportCheck.maxAbsDiff.toExponential(2)} (allowed ${card.exportCheck.tolerance}).`,
    '',
    '| class | train | validation | test | precision | recall | F1 |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...card.classes.map((c) => {
      const r = m.classes.find((x) => x.id === c.id);
      return `| ${c.name} | ${c.train} | ${c.validation} | ${c.test} | ${r ? r.precision.toFixed(4) : '-'} | ${r ? r.recall.toFixed(4) : '-'} | ${r ? r.f1.toFixed(4) : '-'} |`;
    }),
    '',
    'Reproduce:',
    '',
    '```',
    card.evalCommand,
    '```',
    '',
  ];
  return lines.join('\n');
}
