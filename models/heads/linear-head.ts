// Heads trained on backbone features: multinomial logistic regression (class-balanced, early stopping on a validation
// split), or nearest class mean when a class has too few examples for a regression to mean anything. Both end as one
// linear layer (logits = W·x + b) so one export serves either. Full-batch Adam from zero weights: no randomness at all,
// the run's seed acts through the split alone, and the same data always gives the same head.
import type { LinearHead } from '../onnx/head-onnx.js';

export interface HeadSettings {
  /** most passes over the training features */
  maxEpochs: number;
  /** epochs without a lower validation loss before stopping */
  patience: number;
  learningRate: number;
  /** L2 penalty on the weights (on standardised features) */
  l2: number;
  /** a class with fewer training examples than this makes the head a nearest-class-mean one */
  ncmBelow: number;
}

export const DEFAULT_HEAD_SETTINGS: Readonly<HeadSettings> = Object.freeze({ maxEpochs: 300, patience: 20, learningRate: 0.05, l2: 1e-3, ncmBelow: 5 });

export interface FeatureSet {
  /** count × features, row-major */
  x: Float32Array;
  y: Int32Array;
}

export interface HeadEpoch {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
}

export interface TrainedHead {
  kind: 'logistic' | 'ncm';
  head: LinearHead;
  epochsRun: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  history: HeadEpoch[];
}

export function classCounts(y: Int32Array, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const c of y) counts[c]!++;
  return counts;
}

/** Trains the head; NCM when any class has fewer than `ncmBelow` training examples (or there is no validation split). */
export function trainHead(train: FeatureSet, validation: FeatureSet, classes: number, features: number, settings: HeadSettings = DEFAULT_HEAD_SETTINGS, onEpoch?: (e: HeadEpoch) => void): TrainedHead {
  const counts = classCounts(train.y, classes);
  if (Math.min(...counts) < settings.ncmBelow || validation.y.length === 0) {
    return { kind: 'ncm', head: nearestClassMean(train, classes, features), epochsRun: 0, bestEpoch: 0, stoppedEarly: false, history: [] };
  }
  return logisticRegression(train, validation, classes, features, settings, onEpoch);
}

/**
 * Nearest class mean as a linear layer: −‖x − m_c‖² / 2σ² = (m_c·x − ‖m_c‖²/2) / σ² − ‖x‖²/2σ², and the last term is the
 * same for every class so softmax ignores it. σ² is the mean squared distance of an example to its class mean (or, with
 * one example a class, a quarter of the mean squared distance between means), so the probabilities are calibrated roughly.
 */
export function nearestClassMean(train: FeatureSet, classes: number, features: number): LinearHead {
  const counts = classCounts(train.y, classes);
  const means = new Float64Array(classes * features);
  for (let i = 0; i < train.y.length; i++) {
    const c = train.y[i]!;
    for (let j = 0; j < features; j++) means[c * features + j]! += train.x[i * features + j]!;
  }
  for (let c = 0; c < classes; c++) for (let j = 0; j < features; j++) means[c * features + j] = means[c * features + j]! / Math.max(1, counts[c]!);
  let spread = 0;
  let n = 0;
  for (let i = 0; i < train.y.length; i++) {
    const c = train.y[i]!;
    if (counts[c]! < 2) continue;
    let d = 0;
    for (let j = 0; j < features; j++) d += (train.x[i * features + j]! - means[c * features + j]!) ** 2;
    spread += d;
    n++;
  }
  let sigma2 = n > 0 ? spread / n : 0;
  if (!(sigma2 > 0)) {
    let between = 0;
    let pairs = 0;
    for (let a = 0; a < classes; a++)
      for (let b = a + 1; b < classes; b++) {
        let d = 0;
        for (let j = 0; j < features; j++) d += (means[a * features + j]! - means[b * features + j]!) ** 2;
        between += d;
        pairs++;
      }
    sigma2 = pairs > 0 && between > 0 ? between / pairs / 4 : 1;
  }
  const weights = new Float32Array(classes * features);
  const bias = new Float32Array(classes);
  for (let c = 0; c < classes; c++) {
    let norm = 0;
    for (let j = 0; j < features; j++) {
      const m = means[c * features + j]!;
      weights[c * features + j] = m / sigma2;
      norm += m * m;
    }
    bias[c] = -norm / 2 / sigma2;
  }
  return { classes, features, weights, bias };
}

function logisticRegression(train: FeatureSet, validation: FeatureSet, classes: number, features: number, s: HeadSettings, onEpoch?: (e: HeadEpoch) => void): TrainedHead {
  // standardise on the training part; folded back into W and b at the end, so the export sees raw features
  const mean = new Float64Array(features);
  const std = new Float64Array(features);
  const n = train.y.length;
  for (let i = 0; i < n; i++) for (let j = 0; j < features; j++) mean[j]! += train.x[i * features + j]!;
  for (let j = 0; j < features; j++) mean[j] = mean[j]! / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < features; j++) std[j]! += (train.x[i * features + j]! - mean[j]!) ** 2;
  for (let j = 0; j < features; j++) std[j] = Math.sqrt(std[j]! / n) || 1;
  const standardise = (set: FeatureSet) => {
    const out = new Float32Array(set.x.length);
    for (let i = 0; i < set.y.length; i++) for (let j = 0; j < features; j++) out[i * features + j] = (set.x[i * features + j]! - mean[j]!) / std[j]!;
    return out;
  };
  const xt = standardise(train);
  const xv = standardise(validation);
  // class balancing: every class weighs the same in the loss, however many examples it has
  const counts = classCounts(train.y, classes);
  const classWeight = counts.map((c) => n / (classes * c));

  const size = classes * features + classes;
  const params = new Float64Array(size);
  const m1 = new Float64Array(size);
  const m2 = new Float64Array(size);
  const grad = new Float64Array(size);
  const logits = new Float64Array(classes);
  let best = params.slice();
  let bestLoss = Infinity;
  let bestEpoch = 0;
  const history: HeadEpoch[] = [];
  let stoppedEarly = false;

  const forward = (x: Float32Array, row: number) => {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      let v = params[classes * features + c]!;
      const w = c * features;
      const r = row * features;
      for (let j = 0; j < features; j++) v += params[w + j]! * x[r + j]!;
      logits[c] = v;
      if (v > max) max = v;
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += (logits[c] = Math.exp(logits[c]! - max));
    let arg = 0;
    for (let c = 0; c < classes; c++) {
      logits[c] = logits[c]! / sum;
      if (logits[c]! > logits[arg]!) arg = c;
    }
    return arg;
  };
  const evaluate = (x: Float32Array, y: Int32Array) => {
    let loss = 0;
    let weight = 0;
    let correct = 0;
    for (let i = 0; i < y.length; i++) {
      const arg = forward(x, i);
      const cw = classWeight[y[i]!]!;
      loss -= cw * Math.log(Math.max(logits[y[i]!]!, 1e-12));
      weight += cw;
      if (arg === y[i]) correct++;
    }
    return { loss: loss / weight, accuracy: correct / y.length };
  };

  const beta1 = 0.9;
  const beta2 = 0.999;
  let epoch = 0;
  for (epoch = 1; epoch <= s.maxEpochs; epoch++) {
    grad.fill(0);
    let loss = 0;
    let correct = 0;
    for (let i = 0; i < n; i++) {
      const arg = forward(xt, i);
      const y = train.y[i]!;
      const cw = classWeight[y]! / n;
      loss -= cw * Math.log(Math.max(logits[y]!, 1e-12));
      if (arg === y) correct++;
      for (let c = 0; c < classes; c++) {
        const d = cw * (logits[c]! - (c === y ? 1 : 0));
        if (d === 0) continue;
        const w = c * features;
        const r = i * features;
        for (let j = 0; j < features; j++) grad[w + j]! += d * xt[r + j]!;
        grad[classes * features + c]! += d;
      }
    }
    for (let k = 0; k < classes * features; k++) grad[k]! += s.l2 * params[k]!;
    for (let k = 0; k < size; k++) {
      m1[k] = beta1 * m1[k]! + (1 - beta1) * grad[k]!;
      m2[k] = beta2 * m2[k]! + (1 - beta2) * grad[k]! ** 2;
      const mh = m1[k]! / (1 - beta1 ** epoch);
      const vh = m2[k]! / (1 - beta2 ** epoch);
      params[k]! -= (s.learningRate * mh) / (Math.sqrt(vh) + 1e-8);
    }
    const val = evaluate(xv, validation.y);
    const stats: HeadEpoch = { epoch, loss, accuracy: correct / n, valLoss: val.loss, valAccuracy: val.accuracy };
    history.push(stats);
    onEpoch?.(stats);
    if (val.loss < bestLoss - 1e-6) {
      bestLoss = val.loss;
      bestEpoch = epoch;
      best = params.slice();
    } else if (epoch - bestEpoch >= s.patience) {
      stoppedEarly = true;
      break;
    }
  }
  // fold the standardisation in: W' = W / std, b' = b − Σ W·mean / std
  const weights = new Float32Array(classes * features);
  const bias = new Float32Array(classes);
  for (let c = 0; c < classes; c++) {
    let b = best[classes * features + c]!;
    for (let j = 0; j < features; j++) {
      const w = best[c * features + j]! / std[j]!;
      weights[c * features + j] = w;
      b -= w * mean[j]!;
    }
    bias[c] = b;
  }
  return { kind: 'logistic', head: { classes, features, weights, bias }, epochsRun: history.length, bestEpoch, stoppedEarly, history };
}

/** Softmax probabilities of the head on `x` (count × features), as the exported graph computes them. */
export function headProbabilities(head: LinearHead, x: Float32Array): Float32Array {
  const { classes, features } = head;
  const count = x.length / features;
  const out = new Float32Array(count * classes);
  for (let i = 0; i < count; i++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      let v = head.bias[c]!;
      for (let j = 0; j < features; j++) v += head.weights[c * features + j]! * x[i * features + j]!;
      out[i * classes + c] = v;
      if (v > max) max = v;
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += out[i * classes + c] = Math.exp(out[i * classes + c]! - max);
    for (let c = 0; c < classes; c++) out[i * classes + c] = out[i * classes + c]! / sum;
  }
  return out;
}
