// How a model is trained, apart from what it is: plain data and defaults, free of tfjs so the CLI can read them cheaply.

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** epochs without a better validation loss before stopping */
  patience: number;
  seed: number;
  augment: boolean;
}

export const DEFAULT_TRAIN_SETTINGS: Omit<TrainSettings, 'seed'> = { epochs: 10, batchSize: 64, learningRate: 0.001, patience: 3, augment: true };
