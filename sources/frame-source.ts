// The contract every camera input implements: a cold stream of frames in the format the detector asked for.
import type { Observable } from 'rxjs';
import type { Frame, FrameFormat } from '../pipeline/types.js';

/** What to do when frames arrive faster than they are consumed. */
export type BackpressurePolicy =
  /** files: ffmpeg is paused until a buffer is free, so every frame is processed */
  | 'wait'
  /** live cameras: frames that find no free buffer are dropped (and counted) */
  | 'latest';

export interface SourceCounters {
  framesIn: number;
  dropped: number;
}

export interface FrameSource {
  readonly camera: string;
  readonly policy: BackpressurePolicy;
  readonly counters: SourceCounters;
  /** Subscribing starts ffmpeg; unsubscribing stops it. Completes when a non-looping input ends. */
  frames(format: FrameFormat): Observable<Frame>;
}
