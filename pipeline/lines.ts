// Counting lines: per camera, per track and line, a small state machine that decides when an object has crossed.
//
// - The object is a point of its box (`anchor`), taken from the track: the matched box, or the tracker's prediction
//   while the detector misses it, so a gap of a few frames while on the line loses nothing.
// - Each track has a committed side of each line (a: left of p1→p2 as drawn, b: right). A point exactly on the line
//   says nothing. A point on the other side starts a pending crossing, which is confirmed once the object has stayed
//   there `minFrames` updates in a row, has come at least `minDistance` pixels past the line, and was seen (not only
//   predicted) there at least once. Going back before that cancels it: jitter on the line never counts.
// - The move that started the pending crossing (last point on the old side → first on the new) must pass through the
//   segment itself, not the line's extension; an object passing beyond an end switches sides without counting.
import { crossingFraction, toPixels, type Point } from '../core/geometry.js';
import type { Box, CrossingDirection } from '../core/types.js';
import { countedDirections, DEFAULT_LINE_OPTIONS, validateLinePoints, type LineOptions } from '../config/lines.js';

export type LineInput = Partial<LineOptions> & Pick<LineOptions, 'points'>;

/** A crossing the state machine confirmed; the caller adds times and ids. */
export interface ConfirmedCrossing {
  line: string;
  direction: CrossingDirection;
}

interface ResolvedLine extends Omit<LineOptions, 'labels'> {
  readonly name: string;
  readonly labelSet: ReadonlySet<string> | null;
  p1: Point;
  p2: Point;
  /** p1→p2 as a unit vector: the signed distance is then two multiply-adds (this runs per track, line and frame) */
  ux: number;
  uy: number;
}

interface Pending {
  streak: number;
  farthest: number;
  seen: boolean;
  /** the move onto this side went through the segment */
  inside: boolean;
}

interface SideState {
  /** -1 side a, +1 side b, 0 not known yet */
  side: -1 | 0 | 1;
  /** the latest point on the committed side */
  lastX: number;
  lastY: number;
  pending: Pending | null;
}

const NONE: readonly ConfirmedCrossing[] = Object.freeze([]);

export function resolveLine(input: LineInput): LineOptions {
  return { ...DEFAULT_LINE_OPTIONS, ...input };
}


export class LineCrossings {
  readonly names: readonly string[];
  private readonly lines: ResolvedLine[];
  /** per track id: one state per line, in `lines` order */
  private readonly states = new Map<string, SideState[]>();
  private width = -1;
  private height = -1;

  constructor(lines: Readonly<Record<string, LineInput>> = {}) {
    this.lines = Object.entries(lines).map(([name, input]) => {
      const errors = validateLinePoints(input.points, `lines.${name}.points`);
      if (errors.length > 0) throw new RangeError(errors.join('; '));
      const o = resolveLine(input);
      if (!(Number.isInteger(o.minFrames) && o.minFrames >= 1)) throw new RangeError(`lines.${name}.minFrames: expected an integer >= 1, got ${o.minFrames}`);
      if (!(o.minDistance >= 0)) throw new RangeError(`lines.${name}.minDistance: expected a number >= 0, got ${o.minDistance}`);
      return { ...o, name, labelSet: o.labels ? new Set(o.labels) : null, p1: o.points[0], p2: o.points[1], ux: 0, uy: 0 };
    });
    this.names = this.lines.map((l) => l.name);
  }

  get size(): number {
    return this.lines.length;
  }

  /** The labels a line counts, out of the tracked ones. */
  labelsOf(line: string, tracked: readonly string[]): string[] {
    const l = this.lines.find((candidate) => candidate.name === line);
    if (l === undefined) return [];
    return l.labelSet === null ? [...tracked] : tracked.filter((t) => l.labelSet!.has(t));
  }

  /** The directions a line counts. */
  directionsOf(line: string): CrossingDirection[] {
    const d = this.lines.find((candidate) => candidate.name === line)?.direction;
    return d === undefined ? [] : countedDirections(d);
  }

  /**
   * One track's position after a tracker update: `box` is the matched box, or the prediction when `seen` is false.
   * Returns the crossings this update confirmed (usually none).
   */
  update(id: string, label: string, box: Box, seen: boolean, srcWidth: number, srcHeight: number): readonly ConfirmedCrossing[] {
    if (this.lines.length === 0) return NONE;
    this.resolve(srcWidth, srcHeight);
    let states = this.states.get(id);
    if (states === undefined) {
      states = this.lines.map(() => ({ side: 0, lastX: 0, lastY: 0, pending: null }));
      this.states.set(id, states);
    }
    const x = (box[0] + box[2]) / 2;
    let out: ConfirmedCrossing[] | undefined;
    for (let i = 0; i < this.lines.length; i++) {
      const line = this.lines[i];
      if (line.labelSet !== null && !line.labelSet.has(label)) continue;
      const direction = this.step(line, states[i], x, line.anchor === 'center' ? (box[1] + box[3]) / 2 : box[3], seen);
      if (direction === null) continue;
      if ((direction === 'in' && line.direction === 'b_to_a') || (direction === 'out' && line.direction === 'a_to_b')) continue;
      (out ??= []).push({ line: line.name, direction });
    }
    return out ?? NONE;
  }

  /** The track is gone: its state goes too (memory stays bounded by the live tracks). */
  forget(id: string): void {
    this.states.delete(id);
  }

  /** Tracks with state (for tests of boundedness). */
  get tracked(): number {
    return this.states.size;
  }

  private step(line: ResolvedLine, s: SideState, x: number, y: number, seen: boolean): CrossingDirection | null {
    // signedDistance() of core/geometry, with the line's unit vector precomputed
    const d = line.ux * (y - line.p1[1]) - line.uy * (x - line.p1[0]);
    const side = d < 0 ? -1 : d > 0 ? 1 : 0;
    if (side === 0) return null;
    if (s.side === 0 || side === s.side) {
      s.side = side;
      s.lastX = x;
      s.lastY = y;
      s.pending = null;
      return null;
    }
    if (s.pending === null) {
      const u = crossingFraction([s.lastX, s.lastY], [x, y], line.p1, line.p2);
      s.pending = { streak: 0, farthest: 0, seen: false, inside: u >= 0 && u <= 1 };
    }
    const pending = s.pending;
    pending.streak++;
    pending.farthest = Math.max(pending.farthest, Math.abs(d));
    pending.seen ||= seen;
    if (pending.streak < line.minFrames || pending.farthest < line.minDistance || !pending.seen) return null;
    s.side = side;
    s.lastX = x;
    s.lastY = y;
    s.pending = null;
    if (!pending.inside) return null;
    return side === 1 ? 'in' : 'out';
  }

  private resolve(srcWidth: number, srcHeight: number): void {
    if (srcWidth === this.width && srcHeight === this.height) return;
    for (const l of this.lines) {
      [l.p1, l.p2] = toPixels(l.points, srcWidth, srcHeight);
      const len = Math.hypot(l.p2[0] - l.p1[0], l.p2[1] - l.p1[1]);
      l.ux = (l.p2[0] - l.p1[0]) / len;
      l.uy = (l.p2[1] - l.p1[1]) / len;
    }
    this.width = srcWidth;
    this.height = srcHeight;
  }
}
