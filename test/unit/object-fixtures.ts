// Hand-made FrameResults for the object-pipeline tests (track, events, operator).
import type { Box, Detection, FrameResult } from '../../core/types.js';

export const T0 = 1718000000;
export const SRC_W = 1280;
export const SRC_H = 720;

export const det = (box: Box, score = 0.9, label = 'person'): Detection => ({ label, classId: label === 'person' ? 0 : 2, score, box });
export const square = (x: number, y: number, size = 50): Box => [x, y, x + size, y + size];

export function frameResult(seq: number, pts: number, detections: Detection[], camera = 'cam'): FrameResult {
  return {
    frame: {
      camera,
      seq,
      pts,
      // a stream whose clock is the wall clock (epochOffset 0); tests of the anchor set their own
      capturedAt: pts * 1000,
      format: { width: 640, height: 640, layout: 'gbrp', resize: 'letterbox', padValue: 114 },
      transform: { srcWidth: SRC_W, srcHeight: SRC_H, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 0 },
    },
    detections,
    timings: { queuedMs: 1, inferenceMs: 5, postprocessMs: 1, batchSize: 1 },
  };
}

/** `count` frames at `fps` from T0, detections by frame index. */
export function clip(count: number, detectionsAt: (i: number) => Detection[], fps = 5, camera = 'cam'): FrameResult[] {
  return Array.from({ length: count }, (_, i) => frameResult(i, T0 + i / fps, detectionsAt(i), camera));
}
