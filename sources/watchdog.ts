// The stall watchdog: a live stream that stops sending frames without closing the connection is the failure users
// of camera software report most. Anyone who sees data calls `kick()`; silence for `timeoutMs` calls `onStall` once.
import type { SchedulerLike, Subscription } from 'rxjs';

export class StallWatchdog {
  private lastKick = 0;
  private timer: Subscription | undefined;
  private timeoutMs: number;

  /** @param scheduler time source and timer (RxJS TestScheduler in tests) */
  constructor(
    timeoutMs: number,
    private readonly scheduler: SchedulerLike,
    private readonly onStall: (silentMs: number) => void,
  ) {
    this.timeoutMs = checkTimeout(timeoutMs);
  }

  /** Arms the watchdog from now, optionally with a different timeout (a first frame may take longer than the next). */
  start(timeoutMs = this.timeoutMs): void {
    this.timeoutMs = checkTimeout(timeoutMs);
    this.stop();
    this.lastKick = this.scheduler.now();
    this.arm(this.timeoutMs);
  }

  /** Data arrived. Cheap enough for every pipe chunk: the timer is only looked at when it fires. */
  kick(): void {
    this.lastKick = this.scheduler.now();
  }

  /** Changes the timeout, counted from the last kick (e.g. to the stall timeout once the first frame is in). */
  setTimeout(timeoutMs: number): void {
    this.timeoutMs = checkTimeout(timeoutMs);
    if (this.timer === undefined) return;
    this.timer.unsubscribe();
    this.arm(Math.max(0, this.lastKick + this.timeoutMs - this.scheduler.now()));
  }

  stop(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  private arm(delay: number): void {
    this.timer = this.scheduler.schedule(() => this.check(), delay);
  }

  private check(): void {
    this.timer = undefined;
    const silent = this.scheduler.now() - this.lastKick;
    if (silent >= this.timeoutMs) this.onStall(silent);
    else this.arm(this.timeoutMs - silent);
  }
}

function checkTimeout(ms: number): number {
  if (!(ms > 0)) throw new RangeError(`timeoutMs must be positive, got ${ms}`);
  return ms;
}
