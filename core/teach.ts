// Training from the Teach page: what the HTTP sink may ask of the pipeline (sinks import no pipeline code, so the
// function is handed to them). The dataset is a collect folder: one sub-folder per class, plus `unlabelled/`.

export type TeachTrainProgress =
  | { phase: 'prepare'; message: string }
  | { phase: 'load'; done: number; total: number }
  | { phase: 'check' };

/** The evaluation of the trained model on its held-back test split (what `lookout eval` prints). */
export interface TeachMetrics {
  accuracy: number;
  correct: number;
  macro: { precision: number; recall: number; f1: number };
  classes: { label: string; precision: number; recall: number; f1: number; support: number }[];
  /** rows = true class, columns = predicted, over `classes` in their order */
  confusion: number[][];
}

export interface TeachTrainResult {
  name: string;
  /** the written files: the ONNX model, its labels and model card */
  files: { model: string; labels: string; card: string };
  wallSeconds: number;
  /** per class: examples used for training and for the test */
  classes: { name: string; train: number; test: number }[];
  metrics: TeachMetrics;
}

export interface TeachTrainRequest {
  /** the collect folder */
  dataset: string;
  /** the model's name ([a-z0-9_-]+) */
  name: string;
  onProgress(p: TeachTrainProgress): void;
  signal: AbortSignal;
}

/** Trains a classifier (`train --arch head`) on a collect folder's class folders; rejects with a LookoutError saying why. */
export type TeachTrain = (req: TeachTrainRequest) => Promise<TeachTrainResult>;
