// Counting lines (tripwires) in a camera's config: their shape, defaults and validation. The crossing logic itself is
// pipeline/lines.ts; this file only says what a valid line is, so `lookout validate` catches a bad one at boot.
import type { Point } from '../core/geometry.js';
import { bool, checked, list, num, obj, oneOf, optional, str, withDefault, type Issues, type Path, type Schema } from './schema-kit.js';

/** Which crossings a line counts: `a_to_b` is `in`, `b_to_a` is `out`. */
export const LINE_DIRECTIONS = ['both', 'a_to_b', 'b_to_a'] as const;
export type LineDirection = (typeof LINE_DIRECTIONS)[number];
/** The point of an object's box that crosses: where it stands (bottom centre, as for zones) or its centre. */
export const LINE_ANCHORS = ['bottom_center', 'center'] as const;
export type LineAnchor = (typeof LINE_ANCHORS)[number];

export interface LineOptions {
  /** [p1, p2] in source pixels, or fractions 0..1 of the source width/height when every coordinate is within 0..1 */
  points: readonly [Point, Point];
  /** labels counted; absent = every label the camera tracks */
  labels?: readonly string[];
  direction: LineDirection;
  anchor: LineAnchor;
  /** consecutive track updates on the new side before a crossing counts (damps jitter on the line) */
  minFrames: number;
  /** how far (source pixels) past the line the object must have come before a crossing counts */
  minDistance: number;
  /** local time `HH:MM` at which the daily counts go back to 0 */
  resetAt: string;
  /** `false` hides the line from the dashboard overlay (it still counts) */
  show: boolean;
}

export const DEFAULT_LINE_OPTIONS = Object.freeze({
  direction: 'both' as LineDirection,
  anchor: 'bottom_center' as LineAnchor,
  minFrames: 3,
  minDistance: 0,
  resetAt: '00:00',
  show: true,
});

/** The directions (`in`: a → b, `out`: b → a) a line counts. */
export function countedDirections(direction: LineDirection): ('in' | 'out')[] {
  return direction === 'a_to_b' ? ['in'] : direction === 'b_to_a' ? ['out'] : ['in', 'out'];
}

/** The labels a line counts: its own list, or every label the camera tracks. */
export function countedLabels(line: { labels?: readonly string[] }, tracked: readonly string[]): string[] {
  return line.labels ? tracked.filter((l) => line.labels!.includes(l)) : [...tracked];
}

const RESET_AT = /^([01]\d|2[0-3]):[0-5]\d$/;

/** `HH:MM` → minutes after local midnight. */
export function resetMinutes(resetAt: string): number {
  if (!RESET_AT.test(resetAt)) throw new RangeError(`resetAt: expected HH:MM (00:00 to 23:59), got ${JSON.stringify(resetAt)}`);
  return Number(resetAt.slice(0, 2)) * 60 + Number(resetAt.slice(3, 5));
}

/**
 * Config errors for a line's two endpoints, each prefixed with `path`; empty when valid. Fractions (every coordinate
 * within 0..1) must stay inside the picture; a coordinate above 1 makes the line pixels, so a fraction beside it is a
 * mistake (`[[0.2, 0.5], [1.2, 0.5]]` is a fractional line that leaves the picture, not a 1-pixel line).
 */
export function validateLinePoints(points: unknown, path: string): string[] {
  if (!Array.isArray(points)) return [`${path}: expected two [x, y] points`];
  if (points.length !== 2) return [`${path}: expected exactly 2 points, got ${points.length}`];
  const errors: string[] = [];
  points.forEach((p: unknown, i) => {
    if (!Array.isArray(p) || p.length !== 2 || !p.every((c: unknown) => typeof c === 'number' && Number.isFinite(c))) {
      errors.push(`${path}[${i}]: expected [x, y] with two finite numbers`);
    } else if ((p as number[]).some((c) => c < 0)) {
      errors.push(`${path}[${i}]: coordinates must not be negative`);
    }
  });
  if (errors.length > 0) return errors;
  const [[x1, y1], [x2, y2]] = points as [number, number][];
  const coords = [x1, y1, x2, y2];
  const pixels = coords.some((c) => c > 1);
  if (pixels && coords.some((c) => c > 0 && c < 1)) {
    errors.push(`${path}: mixes fractions (0..1) and pixels; fractional points must lie inside the picture (0..1)`);
  }
  if (x1 === x2 && y1 === y2) errors.push(`${path}: the two points must differ`);
  return errors;
}

const label = () => str({ pattern: /^[A-Za-z0-9_ -]+$/, patternText: 'letters, digits, spaces, _ or -' });

export const lineSchema = obj({
  points: checked<readonly [Point, Point]>(validateLinePoints, 'two [x, y] points (fractions 0..1 or source pixels)'),
  labels: optional(list(label(), { minLength: 1 })),
  direction: withDefault(oneOf(LINE_DIRECTIONS), DEFAULT_LINE_OPTIONS.direction),
  anchor: withDefault(oneOf(LINE_ANCHORS), DEFAULT_LINE_OPTIONS.anchor),
  minFrames: withDefault(num({ min: 1, max: 1000, integer: true, what: 'an integer from 1 to 1000' }), DEFAULT_LINE_OPTIONS.minFrames),
  minDistance: withDefault(num({ min: 0, what: 'a number of pixels >= 0' }), DEFAULT_LINE_OPTIONS.minDistance),
  resetAt: withDefault(str({ pattern: RESET_AT, patternText: 'HH:MM (00:00 to 23:59)' }), DEFAULT_LINE_OPTIONS.resetAt),
  show: withDefault(bool(), DEFAULT_LINE_OPTIONS.show),
});

interface CameraWithLines {
  objects: { track: readonly string[] };
  lines: Readonly<Record<string, { labels?: readonly string[] }>>;
}

/** Problems of lines against the rest of their camera: a line's labels must be among the labels the camera tracks. */
export function lineLabelProblems(camera: CameraWithLines, path: Path, issues: Issues): boolean {
  let ok = true;
  const tracked = camera.objects.track;
  for (const [name, line] of Object.entries(camera.lines)) {
    line.labels?.forEach((l, i) => {
      if (!tracked.includes(l)) {
        issues.add([...path, 'lines', name, 'labels', i], `'${l}' is not tracked by this camera (objects.track: ${tracked.join(', ')})`);
        ok = false;
      }
    });
  }
  return ok;
}

/** A camera schema whose lines are also checked against the camera's tracked labels. */
export function withLineLabels<T extends CameraWithLines>(camera: Schema<T>): Schema<T> {
  return {
    ...camera,
    parse(v, path, issues) {
      const parsed = camera.parse(v, path, issues);
      if (parsed === undefined) return undefined;
      return lineLabelProblems(parsed, path, issues) ? parsed : undefined;
    },
  };
}

/**
 * Lines that count a label the model cannot detect, as `cameras[i].lines.<name>.labels: …` messages (empty when the
 * model's labels are not known). Checked once the model is loaded, since only then are its labels known.
 */
export function lineModelLabelProblems(cameras: readonly (CameraWithLines & { name: string })[], modelLabels: readonly string[]): string[] {
  if (modelLabels.length === 0) return [];
  const known = new Set(modelLabels);
  const problems: string[] = [];
  cameras.forEach((camera, i) => {
    for (const [name, line] of Object.entries(camera.lines)) {
      const missing = countedLabels(line, camera.objects.track).filter((l) => !known.has(l));
      if (missing.length > 0) {
        const shown = modelLabels.length > 12 ? `${modelLabels.slice(0, 12).join(', ')}, …` : modelLabels.join(', ');
        problems.push(`cameras[${i}].lines.${name}.labels: ${missing.map((l) => `'${l}'`).join(', ')} not among the model's labels (${shown})`);
      }
    }
  });
  return problems;
}
