// Line counts per line, label and direction: since start, and since each line's daily reset (`resetAt`, local time).
// Wall-clock time is handed in by the caller (the frame's capture time), so tests drive days with a virtual clock.
import type { CrossingDirection, LineCount } from '../core/types.js';
import { resetMinutes } from '../config/lines.js';

export interface CountedLine {
  name: string;
  labels: readonly string[];
  directions: readonly CrossingDirection[];
  resetAt: string;
}

/** The first local `HH:MM` (minutes after midnight) strictly after `now` (epoch ms); DST-safe through Date's fields. */
export function nextResetAfter(now: number, minutes: number): number {
  const d = new Date(now);
  d.setHours(Math.floor(minutes / 60), minutes % 60, 0, 0);
  if (d.getTime() <= now) {
    d.setDate(d.getDate() + 1);
    d.setHours(Math.floor(minutes / 60), minutes % 60, 0, 0);
  }
  return d.getTime();
}

interface LineTally {
  readonly minutes: number;
  nextReset: number | null;
  readonly entries: LineCount[];
}

export class LineCounts {
  private readonly lines = new Map<string, LineTally>();

  constructor(lines: readonly CountedLine[]) {
    for (const l of lines) {
      const entries: LineCount[] = [];
      for (const label of l.labels) for (const direction of l.directions) entries.push({ line: l.name, label, direction, total: 0, today: 0 });
      this.lines.set(l.name, { minutes: resetMinutes(l.resetAt), nextReset: null, entries });
    }
  }

  get size(): number {
    return this.lines.size;
  }

  /** Advances the wall clock to `now` (epoch ms); true when a daily reset zeroed a count that was not 0. */
  tick(now: number): boolean {
    let changed = false;
    for (const t of this.lines.values()) {
      if (t.nextReset === null) {
        t.nextReset = nextResetAfter(now, t.minutes);
        continue;
      }
      if (now < t.nextReset) continue;
      for (const e of t.entries) {
        if (e.today !== 0) changed = true;
        e.today = 0;
      }
      t.nextReset = nextResetAfter(now, t.minutes);
    }
    return changed;
  }

  /** Counts one crossing; false when the line does not count that label and direction. */
  add(line: string, label: string, direction: CrossingDirection): boolean {
    const e = this.lines.get(line)?.entries.find((x) => x.label === label && x.direction === direction);
    if (e === undefined) return false;
    e.total++;
    e.today++;
    return true;
  }

  /** Every count, copied, in config order. */
  snapshot(): LineCount[] {
    const out: LineCount[] = [];
    for (const t of this.lines.values()) for (const e of t.entries) out.push({ ...e });
    return out;
  }
}
