// What a person sees of a frame's detections: only the labels its camera tracks. The model reports every class it
// knows (80 for COCO); a camera that tracks `person` should not show or log the chair and the potted plant, unless its
// `objects.showAll` asks for every label (to see what the model sees while choosing what to track).
import { iou } from '../core/geometry.js';
import type { Detection, TrackedObject } from '../core/types.js';

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

/** A detection whose box is (nearly) a tracked object's box in the same frame counts as that object. */
const SAME_OBJECT_IOU = 0.9;

/**
 * The frame's detections with the sub-label of the tracked object each one is (the live view draws `square · red`):
 * a tracked object with a sub-label seen in that frame (`objects` as the tracker had them after frame `pts`; a seen object's box
 * is its detection's box), else the label alone.
 */
export function withSubLabels(detections: readonly Detection[], objects: readonly TrackedObject[], pts: number): (Detection & { subLabel?: string })[] {
  const labelled = objects.filter((o) => o.subLabel !== undefined && o.lastSeen === pts);
  if (labelled.length === 0) return [...detections];
  return detections.map((d) => {
    let best: TrackedObject | undefined;
    let bestIou = SAME_OBJECT_IOU;
    for (const o of labelled) {
      if (o.label !== d.label) continue;
      const v = iou(o.box, d.box);
      if (v >= bestIou) [best, bestIou] = [o, v];
    }
    return best ? { ...d, subLabel: best.subLabel!.label } : d;
  });
}
