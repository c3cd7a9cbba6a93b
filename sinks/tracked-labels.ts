// What a person sees of a frame's detections: only the labels its camera tracks. The model reports every class it
// knows (80 for COCO); a camera that tracks `person` should not show or log the chair and the potted plant, unless its
// `objects.showAll` asks for every label (to see what the model sees while choosing what to track).
import type { Detection } from '../core/types.js';

/**
 * `(camera, detections) → the tracked ones`, from each camera's `objects.track`. A camera not listed (an upload to
 * POST /api/detect) or one with `objects.showAll` keeps all of its detections.
 */
export function trackedDetections(cameras: readonly { name: string; objects: { track: readonly string[]; showAll?: boolean } }[]): (camera: string, detections: readonly Detection[]) => Detection[] {
  const tracked = new Map(cameras.filter((c) => c.objects.showAll !== true).map((c) => [c.name, new Set(c.objects.track)]));
  return (camera, detections) => {
    const labels = tracked.get(camera);
    return labels === undefined ? [...detections] : detections.filter((d) => labels.has(d.label));
  };
}
