// Plane geometry on source pixels: boxes, their overlap, polygons and where an object stands. Pure functions, used by
// the detector's decoders, the tracker, zones and config validation alike.
import type { Box } from './types.js';

/** Intersection over union of two corner boxes; 0 when either has no area. */
export function iou(a: Readonly<Box>, b: Readonly<Box>): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Whether two corner boxes share some area (touching edges do not count). */
export function overlaps(a: Readonly<Box>, b: Readonly<Box>): boolean {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

/**
 * Whether a box's centre lies in `region` (half-open): the rule for "was this object looked at" that the tracker and
 * the region planner share.
 */
export function centreIn(box: Readonly<Box>, region: Readonly<Box>): boolean {
  const cx = (box[0] + box[2]) / 2;
  const cy = (box[1] + box[3]) / 2;
  return cx >= region[0] && cx < region[2] && cy >= region[1] && cy < region[3];
}

export type Point = readonly [x: number, y: number];
export type Polygon = readonly Point[];

export function bottomCentre(box: Box): Point {
  return [(box[0] + box[2]) / 2, box[3]];
}

/** Fractional polygons are the portable form (they survive a camera resolution change). */
export function isFractional(points: Polygon): boolean {
  return points.every(([x, y]) => x >= 0 && x <= 1 && y >= 0 && y <= 1);
}

export function toPixels(points: Polygon, srcWidth: number, srcHeight: number): Point[] {
  if (!isFractional(points)) return points.map(([x, y]) => [x, y] as const);
  return points.map(([x, y]) => [x * srcWidth, y * srcHeight] as const);
}

/** Even–odd rule; a point on an edge or vertex counts as inside (like OpenCV's pointPolygonTest >= 0 that Frigate uses). */
export function pointInPolygon(point: Point, polygon: Polygon): boolean {
  const [px, py] = point;
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    if (onSegment(px, py, xi, yi, xj, yj)) return true;
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function onSegment(px: number, py: number, ax: number, ay: number, bx: number, by: number): boolean {
  const cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax);
  const scale = Math.max(1, Math.abs(bx - ax) + Math.abs(by - ay));
  if (Math.abs(cross) > 1e-9 * scale * scale) return false;
  return px >= Math.min(ax, bx) && px <= Math.max(ax, bx) && py >= Math.min(ay, by) && py <= Math.max(ay, by);
}

/**
 * Config errors for one polygon, each prefixed with `path` (e.g. `cameras.door.zones.porch.points`); empty when valid.
 * Negative coordinates are rejected because both forms (pixels, fractions) start at the image's top-left corner.
 */
export function validatePolygon(points: unknown, path: string): string[] {
  if (!Array.isArray(points)) return [`${path}: expected a list of [x, y] points`];
  const errors: string[] = [];
  if (points.length < 3) errors.push(`${path}: expected at least 3 points, got ${points.length}`);
  points.forEach((p: unknown, i) => {
    if (!Array.isArray(p) || p.length !== 2 || !p.every((c: unknown) => typeof c === 'number' && Number.isFinite(c))) {
      errors.push(`${path}[${i}]: expected [x, y] with two finite numbers`);
    } else if ((p as number[]).some((c) => c < 0)) {
      errors.push(`${path}[${i}]: coordinates must not be negative`);
    }
  });
  return errors;
}


// --- lines (counting lines / tripwires) ---

/**
 * Signed distance in pixels of `p` from the infinite line through `a`→`b`. Negative is side "a": on the left of the
 * directed segment as drawn on the picture (image y grows downwards), e.g. above a line drawn left to right.
 */
export function signedDistance(p: Point, a: Point, b: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len = Math.hypot(dx, dy);
  return len === 0 ? 0 : (dx * (p[1] - a[1]) - dy * (p[0] - a[0])) / len;
}

/**
 * Where the move `from`→`to` meets the infinite line through `a`→`b`, as a fraction along `a`→`b` (0 at `a`, 1 at
 * `b`); NaN when the move is parallel to the line. A value in 0..1 means the move went through the segment itself.
 */
export function crossingFraction(from: Point, to: Point, a: Point, b: Point): number {
  const rx = to[0] - from[0];
  const ry = to[1] - from[1];
  const sx = b[0] - a[0];
  const sy = b[1] - a[1];
  const denom = rx * sy - ry * sx;
  if (denom === 0) return NaN;
  return (rx * (a[1] - from[1]) - ry * (a[0] - from[0])) / -denom;
}
