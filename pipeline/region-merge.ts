// A frame seen through several regions (regions mode): the regions' detections are already in source pixels (the
// detector maps each crop back); where regions overlap, one object may come back twice, or cut by one region's edge
// and whole in the other. Merging keeps, per label, the best box of each object.
import { iou } from '../core/geometry.js';
import type { Box, Detection, ImageTransform, Picture } from '../core/types.js';

/** IoU above which two boxes of one label from different regions are one object (the models' usual NMS IoU). */
const SAME_OBJECT_IOU = 0.45;
/** a box mostly inside a better one of its label is that object cut by a region's edge */
const INSIDE_FRACTION = 0.8;

/** The union of the regions' detections, best first per label, without the duplicates overlapping regions make. */
export function mergeRegionDetections(lists: readonly (readonly Detection[])[]): Detection[] {
  const all = lists.flat().slice().sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of all) {
    const same = kept.some((k) => k.label === d.label && (iou(k.box, d.box) > SAME_OBJECT_IOU || insideFraction(d.box, k.box) > INSIDE_FRACTION));
    if (!same) kept.push(d);
  }
  return kept;
}

/** How much of `a`'s area lies inside `b`. */
function insideFraction(a: Readonly<Box>, b: Readonly<Box>): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  const area = (a[2] - a[0]) * (a[3] - a[1]);
  return w > 0 && h > 0 && area > 0 ? (w * h) / area : 0;
}

/** A region of the picture (picture pixels) in source pixels. */
export function regionToSource(region: Readonly<Box>, picture: Pick<Picture, 'width' | 'height'>, t: Pick<ImageTransform, 'srcWidth' | 'srcHeight'>): Box {
  const sx = t.srcWidth / picture.width;
  const sy = t.srcHeight / picture.height;
  return [region[0] * sx, region[1] * sy, region[2] * sx, region[3] * sy];
}

/** A box in source pixels in picture pixels (the inverse of `regionToSource`). */
export function sourceToPicture(box: Readonly<Box>, picture: Pick<Picture, 'width' | 'height'>, t: Pick<ImageTransform, 'srcWidth' | 'srcHeight'>): Box {
  const sx = picture.width / t.srcWidth;
  const sy = picture.height / t.srcHeight;
  return [box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy];
}
