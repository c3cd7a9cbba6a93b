// A detector that comes back. It wraps a factory (OnnxDetector.create in the runtime) and, when a run fails, the
// inference worker dies or a run hangs, closes the broken detector and makes a new one after an exponential backoff,
// while the pipeline goes on: cameras keep their tracks, and health reports the outage. The batch that failed is lost
// (`BatchLostError`: its frames count as dropped); batches that arrive while it restarts wait for the new detector.
import { asyncScheduler, Observable, Subject, type SchedulerLike, type Subscription } from 'rxjs';
import { describeError, isLookoutError, LookoutError } from '../core/errors.js';
import type { BatchOutput, DetectInput, Detector, DetectorInfo, DetectorStateChange } from '../core/detector.js';

export interface DetectorRestartOptions {
  /** delay before the first restart; it doubles on every failure that follows within `stableMs` */
  initialMs: number;
  /** the longest delay between restarts */
  maxMs: number;
}

export interface DetectorSupervisorOptions {
  restart?: DetectorRestartOptions;
  /** a detector that has run this long without failing starts the backoff from `initialMs` again */
  stableMs?: number;
  /** a batch that takes longer than this counts as a hung detector (0: never) */
  runTimeoutMs?: number;
  /** timers and the clock (RxJS VirtualTimeScheduler in tests) */
  scheduler?: SchedulerLike;
}

export const DEFAULT_DETECTOR_RESTART: Readonly<DetectorRestartOptions> = Object.freeze({ initialMs: 500, maxMs: 30_000 });
const DEFAULT_STABLE_MS = 60_000;
const DEFAULT_RUN_TIMEOUT_MS = 60_000;

/** A batch the detector failed on: its frames are lost, the stream goes on (the detector restarts by itself). */
export class BatchLostError extends LookoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('LOOKOUT_ERR_BATCH_LOST', message, options);
    this.name = 'BatchLostError';
  }
}

/** By code, so callers above models/ (the batcher, the HTTP API) need not import this module. */
export function isBatchLost(err: unknown): err is LookoutError {
  return isLookoutError(err) && err.code === 'LOOKOUT_ERR_BATCH_LOST';
}

/** The delay before restart number `attempt` (0 first): `min(maxMs, initialMs · 2^attempt)`, no jitter (one detector). */
export function restartDelay(attempt: number, opts: DetectorRestartOptions): number {
  return Math.min(opts.maxMs, opts.initialMs * 2 ** attempt);
}

interface Waiter {
  resolve: (d: Detector) => void;
  reject: (err: unknown) => void;
}

export class DetectorSupervisor implements Detector {
  private readonly statesSubject = new Subject<DetectorStateChange>();
  /** hot: a change of state (running → restarting and back), for stats, health, the status stream and logs */
  readonly states$: Observable<DetectorStateChange> = this.statesSubject.asObservable();
  private current: Detector | undefined;
  private latestInfo: DetectorInfo;
  private state: 'running' | 'restarting' | 'closed' = 'running';
  private waiters: Waiter[] = [];
  private retry: Subscription | undefined;
  /** restarts that may follow one another quickly; reset once a detector has run for `stableMs` */
  private attempt = 0;
  private upSince: number;
  private restartCount = 0;
  private lastError: string | null = null;
  private starting: Promise<void> | undefined;
  private readonly restart: DetectorRestartOptions;
  private readonly scheduler: SchedulerLike;

  private constructor(
    private readonly factory: () => Promise<Detector>,
    first: Detector,
    private readonly opts: DetectorSupervisorOptions,
  ) {
    this.current = first;
    this.latestInfo = first.info;
    this.restart = opts.restart ?? DEFAULT_DETECTOR_RESTART;
    if (!(this.restart.initialMs > 0 && this.restart.maxMs >= this.restart.initialMs)) {
      throw new RangeError(`restart: initialMs must be positive and maxMs >= initialMs, got ${this.restart.initialMs}, ${this.restart.maxMs}`);
    }
    this.scheduler = opts.scheduler ?? asyncScheduler;
    this.upSince = this.scheduler.now();
  }

  /** Makes the first detector (its failure is the caller's: a model that cannot load is no outage) and supervises it. */
  static async create(factory: () => Promise<Detector>, opts: DetectorSupervisorOptions = {}): Promise<DetectorSupervisor> {
    return new DetectorSupervisor(factory, await factory(), opts);
  }

  get info(): DetectorInfo {
    return this.latestInfo;
  }

  /** The detector in use (undefined while restarting); for tests that break it on purpose. */
  get detector(): Detector | undefined {
    return this.current;
  }

  get status(): 'running' | 'restarting' | 'closed' {
    return this.state;
  }

  get restarts(): number {
    return this.restartCount;
  }

  async detect(frames: readonly DetectInput[]): Promise<BatchOutput> {
    const d = this.current ?? (await this.nextDetector());
    try {
      return await this.withTimeout(d.detect(frames));
    } catch (err) {
      if (this.state === 'closed') throw err;
      // only a failure of the detector in use starts a restart; batches in flight on a broken one are just lost
      if (d === this.current) this.failed(err);
      throw new BatchLostError(`${frames.length} frame${frames.length === 1 ? '' : 's'} lost: ${describeError(err)}`, { cause: err });
    }
  }

  /** The batch's answer, or a rejection once it has taken `runTimeoutMs` (the hung detector is then closed by `failed`). */
  private withTimeout(run: Promise<BatchOutput>): Promise<BatchOutput> {
    const limit = this.opts.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
    if (!(limit > 0)) return run;
    return new Promise<BatchOutput>((resolve, reject) => {
      const timer = this.scheduler.schedule(() => reject(new LookoutError('LOOKOUT_ERR_INFERENCE', `the detector did not answer within ${limit} ms (hung)`)), limit);
      run.then(
        (out) => {
          timer.unsubscribe();
          resolve(out);
        },
        (err: unknown) => {
          timer.unsubscribe();
          reject(err);
        },
      );
    });
  }

  private nextDetector(): Promise<Detector> {
    if (this.state === 'closed') return Promise.reject(new LookoutError('LOOKOUT_ERR_DETECTOR_CLOSED', 'the detector is closed'));
    return new Promise<Detector>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private failed(err: unknown): void {
    const broken = this.current;
    this.current = undefined;
    this.state = 'restarting';
    this.lastError = describeError(err);
    if (this.scheduler.now() - this.upSince >= (this.opts.stableMs ?? DEFAULT_STABLE_MS)) this.attempt = 0;
    const delay = restartDelay(this.attempt++, this.restart);
    this.emit({
      status: 'restarting',
      severity: 'error',
      code: isLookoutError(err) ? err.code : 'LOOKOUT_ERR_INFERENCE',
      message: `the detector failed (${this.lastError}); restarting in ${delay} ms`,
    });
    void broken?.close().catch(() => undefined);
    this.schedule(delay);
  }

  private schedule(delay: number): void {
    this.retry = this.scheduler.schedule(() => {
      this.retry = undefined;
      this.starting = this.tryStart();
    }, delay);
  }

  private async tryStart(): Promise<void> {
    let d: Detector;
    try {
      d = await this.factory();
    } catch (err) {
      if (this.state === 'closed') return;
      this.lastError = describeError(err);
      const delay = restartDelay(this.attempt++, this.restart);
      this.emit({ status: 'restarting', severity: 'error', code: isLookoutError(err) ? err.code : 'LOOKOUT_ERR_INFERENCE', message: `the detector could not be restarted (${this.lastError}); retrying in ${delay} ms` });
      this.schedule(delay);
      return;
    }
    if (this.state === 'closed') {
      await d.close();
      return;
    }
    this.current = d;
    this.latestInfo = d.info;
    this.state = 'running';
    this.upSince = this.scheduler.now();
    this.restartCount++;
    this.emit({ status: 'running', severity: 'info', code: 'DETECTOR_RESTARTED', message: `the detector is running again (${this.restartCount} restart${this.restartCount === 1 ? '' : 's'} so far)` });
    for (const w of this.waiters.splice(0)) w.resolve(d);
  }

  private emit(s: Omit<DetectorStateChange, 'restarts' | 'error'>): void {
    this.statesSubject.next({ ...s, restarts: this.restartCount, error: this.lastError });
  }

  /** Idempotent: stops restarting, fails the batches that wait for a restart, and closes the detector in use. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.retry?.unsubscribe();
    const closed = new LookoutError('LOOKOUT_ERR_DETECTOR_CLOSED', 'the detector is closed');
    for (const w of this.waiters.splice(0)) w.reject(closed);
    await this.starting; // a detector being made now is closed by tryStart
    const d = this.current;
    this.current = undefined;
    await d?.close();
    this.statesSubject.complete();
  }
}
