// The Detector contract: frames in, detections out. The ONNX implementation lives in onnx-detector.ts; tests and other
// backends (a remote KServe v2 server, say) implement the same interface.
import type { Detection, FrameFormat, ImageTransform } from '../pipeline/types.js';
import type { ModelIO } from './adapter.js';

export interface DetectorInfo {
  modelPath: string;
  adapter: string;
  labels: readonly string[];
  /** what every frame must look like */
  format: FrameFormat;
  /** true when the model takes N frames in one tensor; false means frames run one by one */
  dynamicBatch: boolean;
  /** the most frames one `detect()` call should carry */
  maxBatch: number;
  /** the execution provider in use */
  provider: string;
  /** providers that were asked for but could not be used, with why */
  warnings: readonly string[];
  io: ModelIO;
}

export interface DetectInput {
  /** pixels in `info.format` (planar), ideally backed by a SharedArrayBuffer so the worker reads it without a copy */
  data: Uint8Array;
  transform: ImageTransform;
}

export interface DetectOutput {
  detections: Detection[];
  postprocessMs: number;
}

export interface BatchOutput {
  results: DetectOutput[];
  /** tensor preparation and model run for the whole batch */
  inferenceMs: number;
}

export interface Detector {
  readonly info: DetectorInfo;
  detect(frames: readonly DetectInput[]): Promise<BatchOutput>;
  close(): Promise<void>;
}
