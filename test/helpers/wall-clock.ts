// A wall clock the test drives: Date.now, `new Date()` and performance.now read it while `fn` runs. Code that must
// run on stream time (pts) is fed frames hours apart under a clock that does not move, and frames a fraction of a
// second apart under a clock that jumps hours; any wall-clock dependence changes its output.
import { performance } from 'node:perf_hooks';

export interface WallClock {
  /** epoch ms the stubbed clock reads now */
  now: number;
}

/** Runs `fn` with the wall clock replaced by `clock` (which `fn` may move), and restores the real one afterwards. */
export function withWallClock<T>(clock: WallClock, fn: () => T): T {
  const RealDate = Date;
  const realPerfNow = performance.now;
  const startedAt = clock.now;
  class StubDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(clock.now);
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return clock.now;
    }
  }
  globalThis.Date = StubDate as DateConstructor;
  performance.now = () => clock.now - startedAt;
  try {
    return fn();
  } finally {
    globalThis.Date = RealDate;
    performance.now = realPerfNow;
  }
}
