// Reconnect delays: exponential growth from `initialMs`, capped at `maxMs`, with full jitter (a uniform draw below
// the cap, as in AWS's "Exponential Backoff and Jitter"), so that cameras that fail together do not retry together.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** uniform in [0, 1); injected so tests can pin the draw */
  random?: () => number;
}

/** The cap for retry number `attempt` (0 for the first retry): `min(maxMs, initialMs · 2^attempt)`. */
export function backoffCap(attempt: number, opts: Pick<BackoffOptions, 'initialMs' | 'maxMs'>): number {
  // 2^attempt overflows to Infinity long after it passed any sane maxMs; min() handles that
  return Math.min(opts.maxMs, opts.initialMs * 2 ** attempt);
}

/** The delay before retry number `attempt`: uniform in [0, cap). */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  return Math.floor((opts.random ?? Math.random)() * backoffCap(attempt, opts));
}

/** The retry counter of one camera: `next()` after each failure, `reset()` once frames flow again. */
export class Backoff {
  private attempt = 0;

  constructor(private readonly opts: BackoffOptions) {
    if (!(opts.initialMs > 0)) throw new RangeError(`initialMs must be positive, got ${opts.initialMs}`);
    if (!(opts.maxMs >= opts.initialMs)) throw new RangeError(`maxMs must be >= initialMs, got ${opts.maxMs} < ${opts.initialMs}`);
  }

  /** The delay before the next retry; each call moves one step up. */
  next(): number {
    return backoffDelay(this.attempt++, this.opts);
  }

  reset(): void {
    this.attempt = 0;
  }

  /** Failures since the last reset. */
  get failures(): number {
    return this.attempt;
  }
}
