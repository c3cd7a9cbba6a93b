// Motion per camera, run on each frame's detect-resolution picture as it enters the pipeline: the detector's
// boxes and fraction for later stages (regions), an ON/OFF state with an off delay (Frigate's motion topic), and
// the figures stats show. Frames without a picture (uploads) and cameras with motion disabled are passed over.
import { Subject, type Observable } from 'rxjs';
import type { CameraConfig } from '../config/types.js';
import type { Frame, MotionChange } from '../core/types.js';
import type { MotionStats as CameraMotionStats } from '../core/stats.js';
import { MotionDetector, type MotionResult } from '../sources/motion-detector.js';
import { greyFromPicture, greySize } from '../sources/grey-picture.js';

export type MotionConfig = CameraConfig['motion'];

export type { MotionChange, CameraMotionStats };

interface State {
  detector: MotionDetector;
  grey: Uint8Array;
  on: boolean;
  still: number;
  latest: MotionResult;
  fractions: Float64Array;
  next: number;
  stats: CameraMotionStats;
}

const RECENT = 50;

export class CameraMotion {
  private readonly cameras = new Map<string, State>();
  private readonly changes = new Subject<MotionChange>();
  /** only changes, in frame order per camera */
  readonly changes$: Observable<MotionChange> = this.changes.asObservable();

  constructor(private readonly configOf: (camera: string) => MotionConfig | undefined) {}

  /** Motion in the frame's picture (undefined: no picture, or motion off for the camera). */
  observe(frame: Frame): MotionResult | undefined {
    const cfg = this.configOf(frame.camera);
    const pic = frame.picture;
    if (!cfg?.enabled || !pic) return undefined;
    const state = this.stateFor(frame, cfg);
    const size = state.detector;
    greyFromPicture(pic, size.width, size.height, state.grey);
    const r = state.detector.detect(state.grey);
    state.latest = r;
    state.fractions[state.next++ % RECENT] = r.fraction;
    const moving = r.boxes.length > 0;
    if (moving) state.stats.framesWithMotion++;
    else state.stats.framesWithoutMotion++;
    if (r.recalibrated && state.stats.framesWithMotion + state.stats.framesWithoutMotion > 1) state.stats.recalibrations++;
    state.still = moving ? 0 : state.still + 1;
    const on = moving || (state.on && state.still < cfg.offFrames);
    if (on !== state.on) {
      state.on = on;
      state.stats.motion = on;
      this.changes.next({ camera: frame.camera, pts: frame.pts, motion: on });
    }
    return r;
  }

  private stateFor(frame: Frame, cfg: MotionConfig): State {
    const pic = frame.picture!;
    const { width, height } = greySize(pic, cfg.frameHeight);
    let s = this.cameras.get(frame.camera);
    // a reconnect may bring another size: start again on it
    if (!s || s.detector.width !== width || s.detector.height !== height) {
      const detector = new MotionDetector(width, height, frame.transform.srcWidth, frame.transform.srcHeight, { ...cfg, mask: cfg.mask });
      s = {
        detector,
        grey: new Uint8Array(width * height),
        on: s?.on ?? false,
        still: 0,
        latest: { boxes: [], fraction: 0, recalibrated: true },
        fractions: new Float64Array(RECENT),
        next: 0,
        stats: s?.stats ?? { motion: false, fraction: 0, framesWithMotion: 0, framesWithoutMotion: 0, recalibrations: 0 },
      };
      this.cameras.set(frame.camera, s);
    }
    return s;
  }

  /** The camera's latest motion result. */
  latest(camera: string): MotionResult | undefined {
    return this.cameras.get(camera)?.latest;
  }

  stats(): Record<string, CameraMotionStats> {
    const out: Record<string, CameraMotionStats> = {};
    for (const [camera, s] of this.cameras) {
      const n = Math.min(s.next, RECENT);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += s.fractions[i];
      out[camera] = { ...s.stats, fraction: n > 0 ? sum / n : 0 };
    }
    return out;
  }

  complete(): void {
    this.changes.complete();
  }
}
