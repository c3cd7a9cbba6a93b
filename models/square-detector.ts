// A tiny ONNX "detector" whose answer is known exactly: it finds the bounding box of the red pixels in the image and
// reports it in the Ultralytics YOLOv8 export layout, so the real adapter, detector and pipeline can be tested against
// real onnxruntime without a real model. It is built from plain ops (Gather, Sub, Greater, Cast, ReduceMax, Mul,
// Concat, Unsqueeze) that every execution provider implements.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildModel, floatTensor, int64Tensor, type NodeSpec, type TensorSpec } from './onnx-graph-builder.js';

export const SQUARE_INPUT = 'images';
export const SQUARE_OUTPUT = 'output0';
/** R − G must exceed this (in 0..1 units) for a pixel to count as red */
export const RED_THRESHOLD = 0.5;

/**
 * `always`: every run rejects. `on-square`: a run rejects only when some frame of the batch contains red pixels, so
 * a clip can fail on chosen frames while the rest succeed.
 */
export type SquareDetectorFault = 'always' | 'on-square';

export interface SquareDetectorOptions {
  /** model input width and height in pixels */
  width: number;
  height: number;
  /** true: batch dim is the symbolic `'batch'`; false: fixed 1 (the detector must then run frames one by one) */
  dynamicBatch: boolean;
  /**
   * anchors in the output (default 1). The box is always in anchor 0; the others are all-zero. More than 5 makes the
   * `[N, 4+C, A]` layout unambiguous for adapters that tell it from `[N, A, 4+C]` by which dim is larger.
   */
  anchors?: number;
  /** make `session.run()` reject at run time (the model still loads) */
  fault?: SquareDetectorFault;
}

/**
 * Output `output0` is `[N, 5, A]`: per frame `[cx, cy, w, h, score]` in model-input pixels for anchor 0. A red region
 * spanning columns x1..x2 and rows y1..y2 (inclusive) gives `cx = (x1 + x2 + 1) / 2`, `w = x2 + 1 − x1` (same for y)
 * and score 1; a frame without red pixels gives all zeros.
 */
export function buildSquareDetector(opts: SquareDetectorOptions): Uint8Array {
  const { width: W, height: H } = opts;
  const anchors = opts.anchors ?? 1;
  if (!(Number.isInteger(W) && W > 0 && Number.isInteger(H) && H > 0)) throw new RangeError(`width/height must be positive integers, got ${W}x${H}`);
  if (!(Number.isInteger(anchors) && anchors >= 1)) throw new RangeError(`anchors must be a positive integer, got ${anchors}`);
  const batch = opts.dynamicBatch ? 'batch' : 1;

  const range = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
  const initializers: TensorSpec[] = [
    int64Tensor('idx_r', [], [0]),
    int64Tensor('idx_g', [], [1]),
    floatTensor('half', [], [0.5]),
    floatTensor('red_threshold', [], [RED_THRESHOLD]),
    // index + 1, so that a column that is absent (0) never wins the max against column 0
    floatTensor('x_plus1', [W], range(W, (i) => i + 1)),
    floatTensor('y_plus1', [H], range(H, (i) => i + 1)),
    // W − index: its max over present columns is W − x1, which avoids a ReduceMin with a BIG sentinel
    floatTensor('w_minus_x', [W], range(W, (i) => W - i)),
    floatTensor('h_minus_y', [H], range(H, (i) => H - i)),
    floatTensor('w_const', [], [W]),
    floatTensor('h_const', [], [H]),
    int64Tensor('axes_2', [1], [2]),
  ];

  const reduceMax = (input: string, output: string, axes: number[], keepdims: 0 | 1): NodeSpec => ({
    op: 'ReduceMax',
    inputs: [input],
    outputs: [output],
    attrs: { axes, keepdims },
  });
  const bin = (op: string, a: string, b: string, out: string): NodeSpec => ({ op, inputs: [a, b], outputs: [out] });

  const nodes: NodeSpec[] = [
    { op: 'Gather', inputs: [SQUARE_INPUT, 'idx_r'], outputs: ['r'], attrs: { axis: 1 } },
    { op: 'Gather', inputs: [SQUARE_INPUT, 'idx_g'], outputs: ['g'], attrs: { axis: 1 } },
    bin('Sub', 'r', 'g', 'r_minus_g'),
    bin('Greater', 'r_minus_g', 'red_threshold', 'is_red'),
    { op: 'Cast', inputs: ['is_red'], outputs: ['mask'], attrs: { to: 1 } }, // [N,H,W] of 0/1
    reduceMax('mask', 'cols', [1], 0), // [N,W]: 1 where a column holds a red pixel
    reduceMax('mask', 'rows', [2], 0), // [N,H]
    reduceMax('cols', 'score', [1], 1), // [N,1]: 1 when any pixel is red
    bin('Mul', 'cols', 'x_plus1', 'cols_x_plus1'),
    reduceMax('cols_x_plus1', 'x2_plus1', [1], 1), // [N,1]
    bin('Mul', 'cols', 'w_minus_x', 'cols_w_minus_x'),
    reduceMax('cols_w_minus_x', 'w_minus_x1', [1], 1),
    // an empty frame would give x1 = W and x2 + 1 = 0; zeroing x1 (and y1) makes "nothing" all zeros, and +0 rather
    // than the −0 that zeroing the finished box (w = −W) would give
    bin('Sub', 'w_const', 'w_minus_x1', 'x1_raw'),
    bin('Mul', 'x1_raw', 'score', 'x1'),
    bin('Mul', 'rows', 'y_plus1', 'rows_y_plus1'),
    reduceMax('rows_y_plus1', 'y2_plus1', [1], 1),
    bin('Mul', 'rows', 'h_minus_y', 'rows_h_minus_y'),
    reduceMax('rows_h_minus_y', 'h_minus_y1', [1], 1),
    bin('Sub', 'h_const', 'h_minus_y1', 'y1_raw'),
    bin('Mul', 'y1_raw', 'score', 'y1'),
    bin('Add', 'x1', 'x2_plus1', 'x_sum'),
    bin('Mul', 'x_sum', 'half', 'cx'),
    bin('Sub', 'x2_plus1', 'x1', 'bw'),
    bin('Add', 'y1', 'y2_plus1', 'y_sum'),
    bin('Mul', 'y_sum', 'half', 'cy'),
    bin('Sub', 'y2_plus1', 'y1', 'bh'),
    { op: 'Concat', inputs: ['cx', 'cy', 'bw', 'bh', 'score'], outputs: ['row5'], attrs: { axis: 1 } },
    { op: 'Unsqueeze', inputs: ['row5', 'axes_2'], outputs: ['anchor0'] }, // [N,5,1]
  ];

  let last = 'anchor0';
  if (anchors > 1) {
    // anchor0 × 0 broadcast to [N,5,A−1] gives zeros that follow the dynamic batch without a Shape/Expand chain
    initializers.push(floatTensor('zero_anchors', [1, 1, anchors - 1], new Array<number>(anchors - 1).fill(0)));
    nodes.push(bin('Mul', 'anchor0', 'zero_anchors', 'other_anchors'));
    nodes.push({ op: 'Concat', inputs: ['anchor0', 'other_anchors'], outputs: ['all_anchors'], attrs: { axis: 2 } });
    last = 'all_anchors';
  }
  if (opts.fault !== undefined) {
    // Reshape [2] zeros to [n] with n computed from the input: n = 2 succeeds, anything else fails inside run().
    // Input-driven, so neither shape inference nor constant folding can reject the model at load time; and Reshape
    // validates its shape on the host for every execution provider (an out-of-range Gather is not checked on CUDA).
    initializers.push(floatTensor('fault_zeros', [2], [0, 0]));
    initializers.push(floatTensor('fault_base', [], [opts.fault === 'always' ? 3 : 2]));
    nodes.push(
      reduceMax('score', 'any_red', [0], 0), // [1]
      bin('Add', 'any_red', 'fault_base', 'fault_len_f'),
      { op: 'Cast', inputs: ['fault_len_f'], outputs: ['fault_shape'], attrs: { to: 7 } },
      bin('Reshape', 'fault_zeros', 'fault_shape', 'fault_reshaped'),
      reduceMax('fault_reshaped', 'fault_zero', [0], 0),
      bin('Add', last, 'fault_zero', 'faulted'),
    );
    last = 'faulted';
  }
  nodes.push({ op: 'Identity', inputs: [last], outputs: [SQUARE_OUTPUT] });

  return buildModel({
    opset: 13,
    graphName: 'square_detector',
    inputs: [{ name: SQUARE_INPUT, elemType: 'float', dims: [batch, 3, H, W] }],
    outputs: [{ name: SQUARE_OUTPUT, elemType: 'float', dims: [batch, 5, anchors] }],
    initializers,
    nodes,
  });
}

/** Writes the model into `dir` (created if missing) and returns the file's path. */
export async function writeSquareDetector(dir: string, opts: SquareDetectorOptions & { fileName?: string }): Promise<string> {
  const name =
    opts.fileName ??
    `square-${opts.width}x${opts.height}-${opts.dynamicBatch ? 'dyn' : 'b1'}-a${opts.anchors ?? 1}${opts.fault ? `-fault-${opts.fault}` : ''}.onnx`;
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, buildSquareDetector(opts));
  return path;
}

/** A square in model-input pixels: columns x..x+size−1, rows y..y+size−1. */
export interface SquareAt {
  x: number;
  y: number;
  size: number;
}

/**
 * An NCHW float tensor (RGB, 0..1, black background) with one pure-red square per frame, or none for `null`; squares
 * are clipped to the image. Frames are in batch order.
 */
export function squareTensor(width: number, height: number, squares: readonly (SquareAt | null)[]): Float32Array {
  const plane = width * height;
  const out = new Float32Array(squares.length * 3 * plane);
  squares.forEach((sq, n) => {
    if (sq === null) return;
    const red = n * 3 * plane; // channel 0 of frame n
    for (let y = Math.max(0, sq.y); y < Math.min(height, sq.y + sq.size); y++) {
      for (let x = Math.max(0, sq.x); x < Math.min(width, sq.x + sq.size); x++) out[red + y * width + x] = 1;
    }
  });
  return out;
}

/** What the model outputs for a square fully inside the image: `[cx, cy, w, h, score]`. */
export function expectedSquareOutput(sq: SquareAt | null): [number, number, number, number, number] {
  if (sq === null) return [0, 0, 0, 0, 0];
  return [sq.x + sq.size / 2, sq.y + sq.size / 2, sq.size, sq.size, 1];
}

/** The square detector most integration tests use (160×160, dynamic batch) and its one-line labels file, in `dir`. */
export async function writeSquareModel(dir: string): Promise<{ model: string; labels: string }> {
  const model = await writeSquareDetector(dir, { width: 160, height: 160, dynamicBatch: true });
  const labels = join(dir, 'labels.txt');
  await writeFile(labels, 'square\n');
  return { model, labels };
}
