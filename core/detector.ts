// The Detector contract: frames in, detections out. The ONNX implementation lives in onnx-detector.ts; tests and other
// backends (a remote KServe v2 server, say) implement the same interface.
import type { Observable } from 'rxjs';
import type { Box, Detection, FrameFormat, ImageTransform, Picture } from './types.js';

/** A model input or output as the session reports it; a dynamic dimension is -1. */
export interface TensorInfo {
  name: string;
  dims: readonly number[];
}

export interface ModelIO {
  inputs: readonly TensorInfo[];
  outputs: readonly TensorInfo[];
}

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
  /** detect in this part of the picture instead (regions mode): `data` is then not read */
  crop?: PictureCrop;
}

/**
 * A part of the detect-resolution picture the detector crops and resizes into its (square) input, mapping boxes back
 * through the input's `transform` source size: a region, or the whole frame cut from the picture (regions mode, where
 * ffmpeg sends the picture alone).
 */
export interface PictureCrop {
  picture: Picture;
  /** picture pixels; without `pad` clipped to the picture and stretched to the input (a planned region lies inside) */
  region: Box;
  /** the region keeps its scale and what lies outside the picture is this value: the model's letterbox */
  pad?: number;
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

/** A supervised detector's state changed (models/detector-supervisor.ts): it failed and restarts, or runs again. */
export interface DetectorStateChange {
  status: 'running' | 'restarting';
  severity: 'info' | 'error';
  /** LOOKOUT_ERR_… when it failed, DETECTOR_RESTARTED when it runs again */
  code: string;
  message: string;
  /** successful restarts so far */
  restarts: number;
  /** the last failure, kept after recovery */
  error: string | null;
}

export interface Detector {
  readonly info: DetectorInfo;
  detect(frames: readonly DetectInput[]): Promise<BatchOutput>;
  close(): Promise<void>;
  /** detectors that restart themselves report it here, only on change; without it a failure ends the run */
  readonly states$?: Observable<DetectorStateChange>;
}
