// Where the model looks in each frame of a camera in `regions` mode (issue 12), as Frigate does it: around motion and
// around objects already found, a whole-frame scan at start and every `fullScanSeconds`, nothing when nothing moves
// and nothing is known. Objects no motion touches (stationary) are looked at again only every
// `stationaryRecheckFrames` frames; the tracker does not age them in between (FrameResult.regions says where it
// looked). The plan rides the frame (`Frame.regions`, picture pixels); inference crops and batches the regions.
import type { CameraConfig } from '../config/types.js';
import { iou } from '../core/geometry.js';
import type { CameraRegionStats } from '../core/stats.js';
import type { Box, Frame, FrameResult } from '../core/types.js';
import type { MotionResult } from '../sources/motion-detector.js';
import { sourceToPicture } from './region-merge.js';
import { SampleRing } from './stats.js';
import { planRegions } from './regions.js';

export type RegionSettings = Pick<CameraConfig, 'detectMode' | 'regions'> & {
  tracker: Pick<CameraConfig['tracker'], 'maxDisappearedSeconds'>;
  /** only labels the camera tracks become known objects (a chair the model sees must not keep a region open) */
  objects: { track: readonly string[] };
};

interface Known {
  label: string;
  /** source pixels */
  box: Box;
  lastSeen: number;
  /** frames planned since it last had a region */
  sinceChecked: number;
}

interface CameraState {
  lastFullScan: number | undefined;
  known: Known[];
  frames: number;
  skipped: number;
  fullFrames: number;
  regionFrames: number;
  regions: number;
  /** wall times of recent model inputs, for inferences per second */
  inputs: SampleRing;
}

/** IoU above which a new detection is the same known object */
const SAME_OBJECT_IOU = 0.3;

export class RegionPlanner {
  private readonly cameras = new Map<string, CameraState>();

  /**
   * @param modelSize the model's (square) input side; 0 when it is not square: every frame is then looked at whole
   */
  constructor(
    private readonly settingsOf: (camera: string) => RegionSettings | undefined,
    private readonly modelSize: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Decides where to look in the frame (sets `frame.regions` in regions mode) and counts it. */
  plan(frame: Frame, motion: MotionResult | undefined): Frame {
    const settings = this.settingsOf(frame.camera);
    const s = this.stateOf(frame.camera);
    s.frames++;
    const whole = (): Frame => {
      s.fullFrames++;
      s.inputs.push(this.now());
      return frame;
    };
    const picture = frame.picture;
    if (settings?.detectMode !== 'regions' || this.modelSize <= 0 || !picture || !motion) return whole();
    const pts = frame.pts;
    // at start, every fullScanSeconds, after a loop (pts back) and when motion started again on a new background
    if (s.lastFullScan === undefined || pts - s.lastFullScan >= settings.regions.fullScanSeconds || pts < s.lastFullScan || motion.recalibrated) {
      s.lastFullScan = pts;
      return whole();
    }
    const boxes: Box[] = [...motion.boxes];
    for (const k of s.known) {
      const touched = motion.boxes.some((m) => overlaps(m, k.box));
      if (touched || k.sinceChecked + 1 >= settings.regions.stationaryRecheckFrames) {
        boxes.push(k.box);
        k.sinceChecked = 0;
      } else k.sinceChecked++;
    }
    if (boxes.length === 0) {
      s.skipped++;
      return Object.assign(frame, { regions: [] as Box[] });
    }
    const plan = planRegions(
      boxes.map((b) => sourceToPicture(b, picture, frame.transform)),
      { modelSize: this.modelSize, srcWidth: picture.width, srcHeight: picture.height },
    );
    if (plan.full) {
      s.lastFullScan = pts;
      return whole();
    }
    s.regionFrames++;
    s.regions += plan.regions.length;
    for (let i = 0; i < plan.regions.length; i++) s.inputs.push(this.now());
    return Object.assign(frame, { regions: plan.regions });
  }

  /** A frame's result: what it found is looked for in the frames that follow. */
  observe(result: FrameResult): void {
    const settings = this.settingsOf(result.frame.camera);
    if (settings?.detectMode !== 'regions') return;
    const s = this.stateOf(result.frame.camera);
    const pts = result.frame.pts;
    for (const d of result.detections) {
      if (!settings.objects.track.includes(d.label)) continue;
      const k = s.known.find((o) => o.label === d.label && iou(o.box, d.box) > SAME_OBJECT_IOU);
      if (k) {
        k.box = [...d.box];
        k.lastSeen = Math.max(k.lastSeen, pts);
      } else s.known.push({ label: d.label, box: [...d.box], lastSeen: pts, sinceChecked: 0 });
    }
    // kept as long as the tracker keeps an object it does not see, so it is looked for until it ends
    const keep = settings.tracker.maxDisappearedSeconds;
    s.known = s.known.filter((k) => pts - k.lastSeen <= keep && pts >= k.lastSeen - keep);
  }

  /** Per camera in regions mode (full-mode cameras keep today's stats): regions per frame, inputs per second, frames skipped. */
  stats(): Record<string, CameraRegionStats> {
    const out: Record<string, CameraRegionStats> = {};
    const now = this.now();
    for (const [camera, s] of this.cameras) {
      if (this.settingsOf(camera)?.detectMode !== 'regions') continue;
      const recent = s.inputs.values().filter((t) => now - t <= 5000);
      out[camera] = {
        frames: s.frames,
        framesSkipped: s.skipped,
        fullFrames: s.fullFrames,
        regionFrames: s.regionFrames,
        regionsPerFrame: s.regionFrames > 0 ? s.regions / s.regionFrames : 0,
        inferencesPerSecond: recent.length / 5,
      };
    }
    return out;
  }

  private stateOf(camera: string): CameraState {
    let s = this.cameras.get(camera);
    if (!s) {
      s = { lastFullScan: undefined, known: [], frames: 0, skipped: 0, fullFrames: 0, regionFrames: 0, regions: 0, inputs: new SampleRing(1024) };
      this.cameras.set(camera, s);
    }
    return s;
  }
}

function overlaps(a: Readonly<Box>, b: Readonly<Box>): boolean {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}
