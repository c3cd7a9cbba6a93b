// The contract between the detector and a model family: pixels in, Detections (in source pixels) out.
import type { ModelIO } from '../core/detector.js';

export type { ModelIO, TensorInfo } from '../core/detector.js';
import type { Detection, FrameFormat, ImageTransform } from '../core/types.js';

/** A raw model output for a whole batch. */
export interface OutputTensor {
  data: Float32Array;
  dims: readonly number[];
}

export interface AdapterOptions {
  /** class names, index = class id; may be empty (labels become `class<N>`) */
  labels: readonly string[];
  /** minimum score a detection must reach to be reported */
  threshold: number;
  /** IoU above which NMS suppresses the weaker box */
  iou: number;
  /** classifier: how many classes to report */
  topK: number;
  /** input size for models whose spatial dims are dynamic */
  inputWidth?: number;
  inputHeight?: number;
}

export interface ModelAdapter {
  readonly name: string;
  /** what each frame must look like (sources ask ffmpeg for exactly this) */
  readonly format: FrameFormat;
  /** the model input this adapter feeds */
  readonly inputName: string;
  /** elements of one frame's tensor (C·H·W) */
  readonly frameElements: number;
  /** writes one frame's tensor into `out` starting at element `offset` */
  prepare(pixels: Uint8Array, out: Float32Array, offset: number): void;
  /** decodes batch item `index` of the raw outputs into detections in source pixels, sorted by score (best first) */
  decode(outputs: Readonly<Record<string, OutputTensor>>, index: number, transform: ImageTransform): Detection[];
}

export type AdapterFactory = (io: ModelIO, options: AdapterOptions) => ModelAdapter;
