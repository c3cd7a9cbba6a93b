// One still image through the running detector (POST /api/detect): the composition root hands sinks this function,
// so an upload shares the batcher, and its in-flight limit, with the cameras' frames.
import type { Detection } from './types.js';

export interface ImageDetections {
  /** the image's size in pixels (after EXIF rotation) */
  width: number;
  height: number;
  /** boxes in the image's pixels */
  detections: Detection[];
  inferenceMs: number;
}

/**
 * Detects on an encoded image (JPEG, PNG). Rejects with LOOKOUT_ERR_MEDIA when the bytes are not an image (`what`
 * names it in the message), LOOKOUT_ERR_BATCH_LOST or LOOKOUT_ERR_DETECTOR_CLOSED when the detector cannot take it now.
 */
export type DetectImage = (bytes: Uint8Array, what: string) => Promise<ImageDetections>;
