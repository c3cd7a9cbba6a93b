// The training loop: seeded shuffling, augmentation and dropout; Adam on softmax cross-entropy; a validation pass
// after every epoch; early stopping that keeps the best epoch's weights. Runs wherever tfjs runs (the CLI runs it in
// a worker thread on the wasm backend, see train-worker.ts); everything it returns is plain data.
import * as tf from '@tensorflow/tfjs';
import { cnnShapes, type CnnArchitecture } from './architecture.js';
import { assignWeights, createVariables, disposeVariables, forward, readWeights, type CnnVariables } from './cnn-model.js';
import { initCnnWeights, type CnnWeights } from './cnn-weights.js';
import { augmentImage, DEFAULT_AUGMENT } from './augment.js';
import { deriveSeed, shuffle } from './random.js';
import { seededRandom } from '../../core/random.js';
import type { TrainSettings } from './train-settings.js';

export type { TrainSettings } from './train-settings.js';

/** Images as bytes, channels last (`count × height × width × channels`), and their class ids. */
export interface LabelledImages {
  images: Uint8Array;
  labels: Int32Array;
}

export interface TrainJob {
  arch: CnnArchitecture;
  settings: TrainSettings;
  train: LabelledImages;
  /** watched for early stopping; may be empty (then the training loss is watched) */
  validation: LabelledImages;
  /** images the finished model classifies, probabilities returned (the held-out test images) */
  probe: Uint8Array;
}

export interface EpochStats {
  epoch: number;
  loss: number;
  accuracy: number;
  /** null when there is no validation data */
  valLoss: number | null;
  valAccuracy: number | null;
  seconds: number;
}

export type TrainProgress =
  | { kind: 'batch'; epoch: number; epochs: number; batch: number; batches: number; loss: number; accuracy: number }
  | ({ kind: 'epoch'; epochs: number; best: boolean } & EpochStats);

export interface TrainOutcome {
  weights: CnnWeights;
  history: EpochStats[];
  /** 1-based epoch whose weights were kept */
  bestEpoch: number;
  stoppedEarly: boolean;
  /** softmax output for each probe image, `count × classes` */
  probeProbabilities: Float32Array;
  seconds: number;
  /**
   * CPU time the process used meanwhile (all threads): unlike `seconds`, it does not grow when other programs share
   * the cores, so runs on a busy machine can still be compared
   */
  cpuSeconds: number;
  /** training images (with augmentation, forward and backward) per second, validation excluded */
  imagesPerSecond: number;
  backend: string;
}

const EVAL_BATCH = 256;

export async function trainCnn(job: TrainJob, onProgress: (p: TrainProgress) => void = () => undefined): Promise<TrainOutcome> {
  const { arch, settings } = job;
  cnnShapes(arch);
  const pixels = arch.input.width * arch.input.height * arch.input.channels;
  const trainCount = job.train.labels.length;
  if (trainCount === 0) throw new RangeError('no training images');
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const vars = createVariables(arch, initCnnWeights(arch, settings.seed));
  const optimizer = tf.train.adam(settings.learningRate);
  const history: EpochStats[] = [];
  let best: { loss: number; epoch: number; weights: CnnWeights } | undefined;
  let stoppedEarly = false;
  let trainingSeconds = 0;
  let trainedImages = 0;
  try {
    const batches = Math.ceil(trainCount / settings.batchSize);
    const batchBytes = new Uint8Array(settings.batchSize * pixels);
    const scratch = new Uint8Array(pixels);
    for (let epoch = 1; epoch <= settings.epochs; epoch++) {
      const epochStart = performance.now();
      const random = seededRandom(deriveSeed(settings.seed, 'epoch', epoch));
      const order = shuffle(Array.from({ length: trainCount }, (_, i) => i), random);
      let lossSum = 0;
      let correct = 0;
      for (let b = 0; b < batches; b++) {
        const indices = order.slice(b * settings.batchSize, (b + 1) * settings.batchSize);
        for (const [row, index] of indices.entries()) {
          const src = job.train.images.subarray(index * pixels, (index + 1) * pixels);
          const dst = batchBytes.subarray(row * pixels, (row + 1) * pixels);
          if (settings.augment) augmentImage(src, dst, scratch, arch.input.width, arch.input.height, arch.input.channels, random, DEFAULT_AUGMENT);
          else dst.set(src);
        }
        const labels = Int32Array.from(indices, (i) => job.train.labels[i]!);
        const dropoutSeed = deriveSeed(settings.seed, 'dropout', epoch, b);
        const { loss, hits } = tf.tidy(() => {
          const x = toTensor(batchBytes.subarray(0, indices.length * pixels), indices.length, arch);
          const y = tf.oneHot(tf.tensor1d(labels, 'int32'), arch.classes);
          let hitsTensor: tf.Tensor | undefined;
          const lossTensor = optimizer.minimize(() => {
            const logits = forward(vars, x, dropoutSeed);
            hitsTensor = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(labels, 'int32')), 'int32')));
            return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
          }, true)!;
          return { loss: tf.keep(lossTensor), hits: hitsTensor! };
        });
        const batchLoss = loss.dataSync()[0]!;
        const batchHits = hits.dataSync()[0]!;
        loss.dispose();
        hits.dispose();
        if (!Number.isFinite(batchLoss)) throw new Error(`the loss became ${batchLoss} in epoch ${epoch}, batch ${b + 1}: lower the learning rate`);
        lossSum += batchLoss * indices.length;
        correct += batchHits;
        const seen = Math.min(trainCount, (b + 1) * settings.batchSize);
        onProgress({ kind: 'batch', epoch, epochs: settings.epochs, batch: b + 1, batches, loss: lossSum / seen, accuracy: correct / seen });
      }
      trainingSeconds += (performance.now() - epochStart) / 1000;
      trainedImages += trainCount;
      const val = job.validation.labels.length > 0 ? evaluate(vars, job.validation) : null;
      const stats: EpochStats = {
        epoch,
        loss: lossSum / trainCount,
        accuracy: correct / trainCount,
        valLoss: val?.loss ?? null,
        valAccuracy: val?.accuracy ?? null,
        seconds: (performance.now() - epochStart) / 1000,
      };
      history.push(stats);
      const watched = stats.valLoss ?? stats.loss;
      const improved = best === undefined || watched < best.loss;
      if (improved) best = { loss: watched, epoch, weights: readWeights(vars) };
      onProgress({ kind: 'epoch', epochs: settings.epochs, best: improved, ...stats });
      if (epoch - best!.epoch >= settings.patience && epoch < settings.epochs) {
        stoppedEarly = true;
        break;
      }
    }
    assignWeights(vars, best!.weights);
    const probeProbabilities = probabilities(vars, job.probe);
    return {
      weights: best!.weights,
      history,
      bestEpoch: best!.epoch,
      stoppedEarly,
      probeProbabilities,
      seconds: (performance.now() - started) / 1000,
      cpuSeconds: cpuSecondsSince(cpuStarted),
      imagesPerSecond: trainedImages / trainingSeconds,
      backend: tf.getBackend(),
    };
  } finally {
    disposeVariables(vars);
    optimizer.dispose();
  }
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** Bytes → a float batch [n, H, W, C] in 0..1, the scaling the classifier adapter applies (mean 0, std 255). */
function toTensor(bytes: Uint8Array, n: number, arch: CnnArchitecture): tf.Tensor4D {
  const values = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) values[i] = bytes[i]! / 255;
  return tf.tensor4d(values, [n, arch.input.height, arch.input.width, arch.input.channels]);
}

function evaluate(vars: CnnVariables, data: LabelledImages): { loss: number; accuracy: number } {
  const { arch } = vars;
  const pixels = arch.input.width * arch.input.height * arch.input.channels;
  const count = data.labels.length;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < count; start += EVAL_BATCH) {
    const n = Math.min(EVAL_BATCH, count - start);
    const labels = data.labels.subarray(start, start + n);
    const [loss, hits] = tf.tidy(() => {
      const logits = forward(vars, toTensor(data.images.subarray(start * pixels, (start + n) * pixels), n, arch));
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), arch.classes);
      const l = tf.losses.softmaxCrossEntropy(y, logits, undefined, undefined, tf.Reduction.SUM);
      const h = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(labels, 'int32')), 'int32'));
      return [l.dataSync()[0]!, h.dataSync()[0]!];
    });
    lossSum += loss;
    correct += hits;
  }
  return { loss: lossSum / count, accuracy: correct / count };
}

function probabilities(vars: CnnVariables, images: Uint8Array): Float32Array {
  const { arch } = vars;
  const pixels = arch.input.width * arch.input.height * arch.input.channels;
  const count = images.length / pixels;
  const out = new Float32Array(count * arch.classes);
  for (let start = 0; start < count; start += EVAL_BATCH) {
    const n = Math.min(EVAL_BATCH, count - start);
    const p = tf.tidy(() => tf.softmax(forward(vars, toTensor(images.subarray(start * pixels, (start + n) * pixels), n, arch))).dataSync());
    out.set(p, start * arch.classes);
  }
  return out;
}
