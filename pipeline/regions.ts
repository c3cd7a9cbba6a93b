// Where to look in a frame (issue 12 step 3, planning only: nothing runs inference on regions yet): motion boxes and
// tracked objects grouped into square regions sized for the model, never smaller than the model's input at source
// scale (so small things are seen at full resolution), unless the picture itself is smaller. Regions that overlap are
// merged into one square around all they hold; when regions would cover most of the frame, one full-frame
// inference is cheaper and sees as much.
import { overlaps } from '../core/geometry.js';
import type { Box } from '../core/types.js';

export interface RegionOptions {
  /** the model's input side in pixels (416 for yolox-nano): a region's smallest side, in source pixels */
  modelSize: number;
  srcWidth: number;
  srcHeight: number;
  /** room around what a region holds, as a fraction of its larger side (default 0.2) */
  margin?: number;
  /** regions covering more than this fraction of the frame become one full-frame inference (default 0.6) */
  fullFraction?: number;
}

export type RegionPlan = { full: true } | { full: false; regions: Box[] };

interface Group {
  /** the union of the boxes the region holds */
  content: Box;
  region: Box;
}

export function planRegions(boxes: readonly Box[], opts: RegionOptions): RegionPlan {
  const { srcWidth: W, srcHeight: H } = opts;
  if (!(W > 0 && H > 0 && opts.modelSize > 0)) throw new RangeError(`planRegions: sizes must be positive (source ${W}x${H}, model ${opts.modelSize})`);
  const limit = Math.min(W, H);
  const square = (content: Box): Box | undefined => {
    const side = Math.max(Math.min(opts.modelSize, limit), Math.ceil(Math.max(content[2] - content[0], content[3] - content[1]) * (1 + (opts.margin ?? 0.2))));
    if (side > limit) return undefined; // no square fits what it must hold: only the full frame does
    const cx = (content[0] + content[2]) / 2;
    const cy = (content[1] + content[3]) / 2;
    const x1 = Math.round(Math.min(Math.max(0, cx - side / 2), W - side));
    const y1 = Math.round(Math.min(Math.max(0, cy - side / 2), H - side));
    return [x1, y1, x1 + side, y1 + side];
  };
  let groups: Group[] = [];
  for (const b of boxes) {
    const content: Box = [Math.max(0, b[0]), Math.max(0, b[1]), Math.min(W, b[2]), Math.min(H, b[3])];
    if (content[2] <= content[0] || content[3] <= content[1]) continue;
    const region = square(content);
    if (!region) return { full: true };
    groups.push({ content, region });
  }
  // merge overlapping regions until none overlap: each merge shrinks the list, so this ends
  for (let merged = true; merged; ) {
    merged = false;
    outer: for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        if (!overlaps(groups[i].region, groups[j].region)) continue;
        const a = groups[i].content;
        const b = groups[j].content;
        const content: Box = [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
        const region = square(content);
        if (!region) return { full: true };
        groups = [...groups.slice(0, i), { content, region }, ...groups.slice(i + 1, j), ...groups.slice(j + 1)];
        merged = true;
        break outer;
      }
    }
  }
  const area = groups.reduce((sum, g) => sum + (g.region[2] - g.region[0]) * (g.region[3] - g.region[1]), 0);
  if (area > (opts.fullFraction ?? 0.6) * W * H) return { full: true };
  return { full: false, regions: groups.map((g) => g.region) };
}
