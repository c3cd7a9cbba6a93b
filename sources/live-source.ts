// A live camera: one inner source (ffprobe + ffmpeg on the stream) restarted for as long as someone is subscribed.
// It reconnects with exponential backoff and full jitter when the connection fails or ends, restarts a stream whose
// frames stop (stall watchdog), and reports its state on `states$` only when the state changes, so a camera that
// fails every 30 s for a week writes one log line, not twenty thousand.
import { asyncScheduler, Observable, Subject, type SchedulerLike, type Subscription } from 'rxjs';
import { redactSecrets } from '../config/redact.js';
import { describeError, isLookoutError } from '../core/errors.js';
import type { Frame, FrameFormat } from '../core/types.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { classifyFailure, type CameraFailure } from './camera-failure.js';
import type { BackpressurePolicy, CameraStateChange, FrameSource, SourceCounters } from '../core/frame-source.js';
import { StallWatchdog } from './watchdog.js';
import type { PortState } from './port-check.js';

/** How often a camera whose port refused connections is checked during a backoff delay (the return-time bound). */
export const PORT_POLL_MS = 250;

/** How long a (re)connection may take to its first frame, at least: probing and stream analysis take a few seconds. */
export const MIN_START_TIMEOUT_MS = 15_000;

export interface LiveSourceOptions {
  /** runs one connection (a VideoSource with `stream: true` and the 'latest' policy); restarted after every failure */
  inner: FrameSource;
  reconnect: BackoffOptions;
  /** a connected camera that sends no frame for this long is restarted */
  stallTimeoutMs: number;
  /** the longest a (re)connection may take to its first frame; default max(stallTimeoutMs, MIN_START_TIMEOUT_MS) */
  startTimeoutMs?: number;
  /** how status messages name the input (a redacted URL) */
  label?: string;
  /** removed from every message */
  secrets?: readonly string[];
  /**
   * Checks the camera's port (sources/port-check.ts). While a retry waits, a port seen refusing connections is
   * polled every PORT_POLL_MS, and the retry starts at once when it opens: a restarted server is back within a poll
   * instead of a backoff delay. A port that is open (the server is up, it refused the stream) is left alone.
   */
  portCheck?: () => Promise<PortState>;
  /** time for backoff delays and the watchdog (RxJS TestScheduler in tests) */
  scheduler?: SchedulerLike;
}

export class LiveSource implements FrameSource {
  readonly camera: string;
  readonly policy: BackpressurePolicy;
  private readonly statesSubject = new Subject<CameraStateChange>();
  /** hot: subscribe before `frames()` to see `starting` */
  readonly states$: Observable<CameraStateChange> = this.statesSubject.asObservable();
  private current: CameraStateChange | undefined;
  private reconnects = 0;
  private readonly scheduler: SchedulerLike;
  private readonly startTimeoutMs: number;

  constructor(private readonly opts: LiveSourceOptions) {
    this.camera = opts.inner.camera;
    this.policy = opts.inner.policy;
    this.scheduler = opts.scheduler ?? asyncScheduler;
    this.startTimeoutMs = opts.startTimeoutMs ?? Math.max(opts.stallTimeoutMs, MIN_START_TIMEOUT_MS);
    // fail at construction, not at the first retry
    new Backoff(opts.reconnect);
  }

  get counters(): SourceCounters {
    const { framesIn, dropped } = this.opts.inner.counters;
    return { framesIn, dropped, reconnects: this.reconnects };
  }

  /** The latest state (undefined before the first subscription). */
  get state(): CameraStateChange | undefined {
    return this.current;
  }

  /** Never errors and never completes by itself: failures become states and retries. One subscriber at a time. */
  frames(format: FrameFormat): Observable<Frame> {
    return new Observable<Frame>((subscriber) => {
      const backoff = new Backoff(this.opts.reconnect);
      let attempt: Subscription | undefined;
      let retry: Subscription | undefined;
      /** the port poll of the current retry wait */
      let poll: Subscription | undefined;
      let closed = false;
      let everOnline = false;
      /** whether the current connection has delivered a frame */
      let gotFrame = false;
      const watchdog = new StallWatchdog(this.startTimeoutMs, this.scheduler, (silentMs) => {
        const connected = gotFrame;
        fail(
          { code: 'LOOKOUT_ERR_CAMERA_STALLED', status: 'reconnecting', meaning: connected ? 'the stream stalled' : 'the camera did not start' },
          connected ? `no frame for ${Math.round(silentMs)} ms; restarting` : `no frame within ${Math.round(silentMs)} ms of connecting; restarting`,
        );
      });

      const connect = () => {
        if (closed) return;
        gotFrame = false;
        watchdog.start(this.startTimeoutMs);
        attempt = this.opts.inner.frames(format, { onData: () => watchdog.kick() }).subscribe({
          next: (frame) => {
            if (!gotFrame) {
              gotFrame = true;
              backoff.reset();
              watchdog.setTimeout(this.opts.stallTimeoutMs);
              this.setState({
                status: 'online',
                severity: 'info',
                code: 'CAMERA_ONLINE',
                message: everOnline ? `${this.camera} is online again (${this.reconnects} reconnect${this.reconnects === 1 ? '' : 's'} so far)` : `${this.camera} is online`,
              });
              everOnline = true;
            }
            subscriber.next(frame);
          },
          error: (err: unknown) => {
            const text = this.scrub(describeError(err));
            // a missing ffmpeg is no camera failure, but retrying is still right: it may be installed meanwhile
            const failure: CameraFailure = isLookoutError(err) && err.code === 'LOOKOUT_ERR_FFMPEG' ? { code: 'LOOKOUT_ERR_FFMPEG', status: 'offline', meaning: 'ffmpeg cannot run' } : classifyFailure(text);
            fail(failure, `${text}; retrying`);
          },
          complete: () => fail({ code: 'LOOKOUT_ERR_CAMERA_LOST', status: 'reconnecting', meaning: 'the stream ended' }, 'retrying'),
        });
      };

      const fail = (failure: CameraFailure, detail: string) => {
        watchdog.stop();
        // stops this connection's ffmpeg (or its probe) before anything else starts
        attempt?.unsubscribe();
        attempt = undefined;
        if (closed) return;
        this.setState({ status: failure.status, severity: failure.status === 'offline' ? 'error' : 'warning', code: failure.code, message: `${this.camera}: ${failure.meaning}: ${detail}` });
        const delay = backoff.next();
        const again = () => {
          retry?.unsubscribe();
          retry = undefined;
          poll?.unsubscribe();
          poll = undefined;
          this.reconnects++;
          connect();
        };
        retry = this.scheduler.schedule(again, delay);
        // a camera that must be fixed by a person (credentials, path) is not polled: its port is open anyway
        if (this.opts.portCheck && failure.status !== 'offline') watchPort(this.opts.portCheck, /connection refused/i.test(detail), again);
      };

      /** Polls the port while it refuses connections and retries at once when it opens; stops at any other answer. */
      const watchPort = (check: () => Promise<PortState>, refused: boolean, again: () => void) => {
        const waiting = retry;
        const tick = () => {
          poll = undefined;
          void check().then((state) => {
            if (closed || retry !== waiting || retry === undefined) return;
            if (state === 'open' && refused) again();
            // open all along: the server is up and the backoff is the right wait; 'other': no answer, a name that does
            // not resolve, for which a poll would be traffic with nothing to see
            if (state !== 'refused') return;
            refused = true;
            poll = this.scheduler.schedule(tick, PORT_POLL_MS);
          });
        };
        poll = this.scheduler.schedule(tick, 0);
      };

      this.setState({ status: 'starting', severity: 'info', code: 'CAMERA_STARTING', message: `${this.camera} is connecting${this.opts.label ? ` to ${this.opts.label}` : ''}` });
      connect();

      return () => {
        closed = true;
        watchdog.stop();
        retry?.unsubscribe();
        poll?.unsubscribe();
        attempt?.unsubscribe();
      };
    });
  }

  /** A warning that changes nothing about the state (hardware decoding fell back to software): always reported. */
  warn(code: string, message: string): void {
    const status = this.current?.status ?? 'starting';
    this.current = { status, severity: 'warning', code, message: this.scrub(message) };
    this.statesSubject.next(this.current);
  }

  private scrub(text: string): string {
    return redactSecrets(text, this.opts.secrets ?? []);
  }

  /** Records every change, emits only a change of status or code (retries of the same failure stay quiet). */
  private setState(next: CameraStateChange): void {
    const prev = this.current;
    this.current = next;
    if (prev && prev.status === next.status && prev.code === next.code) return;
    this.statesSubject.next(next);
  }
}
