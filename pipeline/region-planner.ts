// Where the model looks in each frame of a camera in `regions` mode (issue 12), as Frigate does it: around motion and
// around objects already found, a whole-frame scan at start and every `fullScanSeconds`, nothing when nothing moves
// and nothing is known. Objects no motion touches (stationary) are looked at again only every
// `stationaryRecheckFrames` frames; the tracker does not age them in between (FrameResult.regions says where it
// looked). The plan rides the frame (`Frame.regions`, picture pixels); inference crops and batches the regions.
import type { CameraConfig } from '../config/types.js';
import { centreIn, iou, overlaps } from '../core/geometry.js';
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
  /** looked for and not found: looked at in every frame until found or ended, so it ends as it would in `full` */
  missing: boolean;
  /** seconds since `lastSeen` spent not looked at (the tracker does not count them either); pts of the last result */
  heldSeconds: number;
  lastPts: number;
}

interface CameraState {
  /** the order the planner first saw the camera in: its phase of the full-scan period */
  index: number;
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

/** A frame where nothing moves and nothing is known: no region, no inference (shared: nothing writes to it) */
const NO_REGIONS: readonly Box[] = Object.freeze([]);

/** (√5 − 1) / 2: multiples of it, modulo 1, fall evenly apart however many there are */
const GOLDEN = 0.6180339887498949;

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
    // full-mode cameras are looked at whole and keep no region state: nothing to count per frame
    if (settings?.detectMode !== 'regions') return frame;
    const s = this.stateOf(frame.camera);
    s.frames++;
    const picture = frame.picture;
    if (this.modelSize <= 0 || !picture || !motion) return this.whole(s, frame);
    const pts = frame.pts;
    // at start, every fullScanSeconds, after a loop (pts back) and when motion started again on a new background
    const every = settings.regions.fullScanSeconds;
    if (s.lastFullScan === undefined || pts - s.lastFullScan >= every || pts < s.lastFullScan || motion.recalibrated) {
      // Cameras started together would scan together every time, a burst of whole frames that live cameras' queues
      // drop frames under: after the first scan each camera keeps its own phase of the period (the golden ratio
      // spreads any number of cameras over it)
      s.lastFullScan = s.lastFullScan === undefined ? pts - every * ((s.index * GOLDEN) % 1) : pts;
      return this.whole(s, frame);
    }
    const boxes: Box[] = [...motion.boxes];
    for (const k of s.known) {
      const touched = motion.boxes.some((m) => overlaps(m, k.box));
      if (touched || k.missing || k.sinceChecked + 1 >= settings.regions.stationaryRecheckFrames) {
        boxes.push(k.box);
        k.sinceChecked = 0;
      } else k.sinceChecked++;
    }
    if (boxes.length === 0) {
      s.skipped++;
      return Object.assign(frame, { regions: NO_REGIONS });
    }
    const plan = planRegions(
      boxes.map((b) => sourceToPicture(b, picture, frame.transform)),
      { modelSize: this.modelSize, srcWidth: picture.width, srcHeight: picture.height },
    );
    if (plan.full) {
      s.lastFullScan = pts;
      return this.whole(s, frame);
    }
    s.regionFrames++;
    s.regions += plan.regions.length;
    const now = this.now();
    for (let i = 0; i < plan.regions.length; i++) s.inputs.push(now);
    return Object.assign(frame, { regions: plan.regions });
  }

  /** The frame is looked at whole: counted as one model input. */
  private whole(s: CameraState, frame: Frame): Frame {
    s.fullFrames++;
    s.inputs.push(this.now());
    return frame;
  }

  /** A frame's result: what it found is looked for in the frames that follow. */
  observe(result: FrameResult): void {
    const settings = this.settingsOf(result.frame.camera);
    if (settings?.detectMode !== 'regions') return;
    const s = this.stateOf(result.frame.camera);
    const pts = result.frame.pts;
    const found = new Set<Known>();
    for (const d of result.detections) {
      if (!settings.objects.track.includes(d.label)) continue;
      // the same object: the best overlap of its label; others it overlaps are where it was a moment ago (an object
      // faster than SAME_OBJECT_IOU per frame), dropped, so they are not looked for as missing
      const same = s.known.filter((o) => o.label === d.label && !found.has(o) && (iou(o.box, d.box) > SAME_OBJECT_IOU || overlaps(o.box, d.box)));
      const k = same.sort((a, b) => iou(b.box, d.box) - iou(a.box, d.box))[0];
      if (same.length > 1) s.known = s.known.filter((o) => o === k || !same.includes(o));
      if (k) {
        k.box = [...d.box];
        k.lastSeen = Math.max(k.lastSeen, pts);
        k.heldSeconds = 0;
        k.lastPts = pts;
        found.add(k);
      } else {
        const known: Known = { label: d.label, box: [...d.box], lastSeen: pts, sinceChecked: 0, missing: false, heldSeconds: 0, lastPts: pts };
        s.known.push(known);
        found.add(known);
      }
    }
    for (const k of s.known) {
      if (found.has(k)) {
        k.missing = false;
        continue;
      }
      // the tracker's rule (FrameResult.regions): an object whose box centre is in no region was not looked for
      const looked = result.regions === undefined || result.regions.some((r) => centreIn(k.box, r));
      if (looked) k.missing = true;
      else k.heldSeconds += Math.max(0, pts - k.lastPts);
      k.lastPts = Math.max(k.lastPts, pts);
    }
    // kept as long as the tracker keeps an object it does not see (its looked-for time, as the tracker counts it, and
    // a second more so the tracker always ends it first), so it is looked for until it ends
    const keep = settings.tracker.maxDisappearedSeconds + 1;
    s.known = s.known.filter((k) => pts - k.lastSeen - k.heldSeconds <= keep && pts >= k.lastSeen - keep);
  }

  /** Per camera in regions mode (full-mode cameras keep the plain stats): regions per frame, inputs per second, frames skipped. */
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
      s = { index: this.cameras.size, lastFullScan: undefined, known: [], frames: 0, skipped: 0, fullFrames: 0, regionFrames: 0, regions: 0, inputs: new SampleRing(1024) };
      this.cameras.set(camera, s);
    }
    return s;
  }
}
