// What `lookout train --arch cnn` builds: the shape of the classic Keras MNIST example (conv → conv → max-pool →
// dropout → dense → dropout → softmax), with widths a user picks by name or by number. Pure data: the tfjs model
// (cnn-model.ts) and the ONNX export (onnx/cnn-onnx.ts) both read it, so the two cannot drift apart.

export interface ImageInput {
  width: number;
  height: number;
  /** 1: grey (the classifier adapter's `gray` layout); 3: RGB */
  channels: 1 | 3;
}

export interface CnnArchitecture {
  kind: 'cnn';
  input: ImageInput;
  /** filters of the two 3×3 convolutions (valid padding, stride 1, ReLU) */
  conv: readonly [number, number];
  /** units of the hidden dense layer (ReLU) */
  dense: number;
  /** dropout rates after the pooling and after the hidden dense layer (training only) */
  dropout: readonly [number, number];
  classes: number;
}

export const CONV_KERNEL = 3;
export const POOL = 2;

/**
 * Named widths. `keras` is the Keras example (32, 64, 128); `small` is the default, chosen for training speed on a
 * 2-core CPU: it reaches the same ~98-99 % on MNIST-sized data in a fraction of the time (see docs/architecture.md).
 */
export const CNN_SIZES = {
  small: { conv: [16, 32], dense: 64 },
  keras: { conv: [32, 64], dense: 128 },
} as const satisfies Record<string, { conv: readonly [number, number]; dense: number }>;

export type CnnSize = keyof typeof CNN_SIZES;

export const DEFAULT_DROPOUT: readonly [number, number] = [0.25, 0.5];

/** Widths from `small`, `keras` or `C1,C2,D` (three positive integers); a RangeError names what is wrong. */
export function parseCnnSize(text: string): { conv: readonly [number, number]; dense: number } {
  if (text in CNN_SIZES) return CNN_SIZES[text as CnnSize];
  const parts = text.split(',').map((p) => p.trim());
  const numbers = parts.map(Number);
  if (parts.length !== 3 || numbers.some((n) => !Number.isInteger(n) || n < 1 || n > 1024)) {
    throw new RangeError(`expected ${Object.keys(CNN_SIZES).join(' or ')}, or three widths C1,C2,DENSE (integers 1..1024), got ${JSON.stringify(text)}`);
  }
  return { conv: [numbers[0]!, numbers[1]!], dense: numbers[2]! };
}

export interface CnnShapes {
  conv1: { height: number; width: number };
  conv2: { height: number; width: number };
  pool: { height: number; width: number };
  /** inputs of the hidden dense layer: pool height × width × conv[1] */
  flat: number;
  parameters: number;
}

/** Feature-map sizes and the parameter count; a RangeError when the input is too small for two convs and a pool. */
export function cnnShapes(arch: CnnArchitecture): CnnShapes {
  const { width, height, channels } = arch.input;
  const shrink = CONV_KERNEL - 1;
  const conv1 = { height: height - shrink, width: width - shrink };
  const conv2 = { height: conv1.height - shrink, width: conv1.width - shrink };
  const pool = { height: Math.floor(conv2.height / POOL), width: Math.floor(conv2.width / POOL) };
  if (pool.height < 1 || pool.width < 1) {
    throw new RangeError(`input ${width}x${height} is too small: two 3x3 convolutions and a 2x2 pool need at least 6x6`);
  }
  const [c1, c2] = arch.conv;
  const flat = pool.height * pool.width * c2;
  const k = CONV_KERNEL * CONV_KERNEL;
  const parameters = k * channels * c1 + c1 + k * c1 * c2 + c2 + flat * arch.dense + arch.dense + arch.dense * arch.classes + arch.classes;
  return { conv1, conv2, pool, flat, parameters };
}

/** One line for reports and the model card. */
export function describeCnn(arch: CnnArchitecture): string {
  const [c1, c2] = arch.conv;
  const [d1, d2] = arch.dropout;
  const { width, height, channels } = arch.input;
  return (
    `input ${width}x${height}x${channels} → conv3x3 ${c1} relu → conv3x3 ${c2} relu → maxpool 2x2 → dropout ${d1} → ` +
    `dense ${arch.dense} relu → dropout ${d2} → dense ${arch.classes} softmax (${cnnShapes(arch).parameters} parameters)`
  );
}
