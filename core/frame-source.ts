// The contract every camera input implements: a cold stream of frames in the format the detector asked for.
import type { Observable } from 'rxjs';
import type { Frame, FrameFormat } from './types.js';

/** What to do when frames arrive faster than they are consumed. */
export type BackpressurePolicy =
  /** files: ffmpeg is paused until a buffer is free, so every frame is processed */
  | 'wait'
  /** live cameras: frames that find no free buffer are dropped (and counted) */
  | 'latest';

export interface SourceCounters {
  framesIn: number;
  dropped: number;
  /** live cameras: restarts after the first start (reconnects after a failure, watchdog restarts) */
  reconnects?: number;
}

/** Per-subscription callbacks for whoever wraps a source. */
export interface SourceHooks {
  /** ffmpeg wrote output (a frame, or part of one; also frames then dropped for want of a buffer): the stall watchdog's heartbeat */
  onData?: () => void;
}

/** The states a camera goes through (stats and the status stream report them). */
export type CameraStatus =
  | 'starting'
  | 'online'
  /** lost or failing in a way that may pass (unreachable, stalled, stream ended): retrying with backoff */
  | 'reconnecting'
  /** failing in a way a person must fix (wrong credentials, wrong path) or, for files, failed for good; live cameras keep retrying */
  | 'offline'
  /** `enabled: false` in the config */
  | 'disabled'
  /** a file that has been read to its end */
  | 'ended';

/** A change of a camera's state, with the last error's code and text (redacted) when there is one. */
export interface CameraStateChange {
  status: CameraStatus;
  severity: 'info' | 'warning' | 'error';
  /** LOOKOUT_ERR_… for failures and warnings, CAMERA_<STATUS> otherwise */
  code: string;
  message: string;
}

export interface FrameSource {
  readonly camera: string;
  readonly policy: BackpressurePolicy;
  readonly counters: SourceCounters;
  /**
   * Sources that manage their own state (live cameras: reconnects, watchdog) report it here, only on change; their
   * `frames()` then never errors. Sources without it end or error, and their owner derives the state.
   */
  readonly states$?: Observable<CameraStateChange>;
  /** Subscribing starts ffmpeg; unsubscribing stops it. Completes when a non-looping input ends. */
  frames(format: FrameFormat, hooks?: SourceHooks): Observable<Frame>;
}
