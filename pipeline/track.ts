// A per-camera multi-object tracker of the SORT / ByteTrack family, driven by stream time only (pts), so a file run as
// fast as possible gives the same ids as the same file in real time.
//
// - Motion: each track's box centre has a constant-velocity model in pixels per second of stream time. Position is the
//   latest measurement (detector boxes are accurate; the reported box is never a guess); velocity is an exponential
//   average of measured displacement / elapsed time, so frame drops and uneven frame intervals need no special case.
//   Width and height are held (scale velocity in SORT's Kalman state tends to blow up on noisy boxes).
// - Association: per label, maximum-total-IoU assignment (Hungarian) between predicted track boxes and detections;
//   pairs under the IoU gate are never matched.
// - ByteTrack: high-score detections are matched first against every live track; low-score ones then only against
//   tracks that were matched on the previous update, with a stricter gate, and never start a track.
// - A track not matched for `maxDisappearedSeconds` of stream time is removed.
import { DEFAULTS } from '../config/defaults.js';
import { centreIn, iou } from '../core/geometry.js';
import type { RandomSource } from '../core/random.js';
import { assignMaxWeight } from './assignment.js';
import type { Box, Detection } from '../core/types.js';

export interface TrackerOptions {
  /** stream seconds a track survives without a matched detection */
  maxDisappearedSeconds: number;
  /** least IoU between a track's predicted box and a high-score detection for them to match (SORT: 0.3) */
  iou: number;
  /** least IoU in the low-score stage; stricter because weak boxes are noisier (ByteTrack: 0.5) */
  lowScoreIou: number;
  /** matched frames during which the box centre stays put before the object is stationary */
  stationaryFrames: number;
  /** how far the centre may wander, as a fraction of the box width/height, and still count as not moving */
  stationaryTolerance: number;
  /** constant velocity is believed for at most this long; past it the predicted box stops moving */
  maxPredictSeconds: number;
}

const { maxDisappearedSeconds, iou: iouGate, lowScoreIou, stationaryFrames, stationaryTolerance, maxPredictSeconds } = DEFAULTS.tracker;
/** config's defaults (config/defaults.ts), as the tracker's options */
export const DEFAULT_TRACKER_OPTIONS: Readonly<TrackerOptions> = Object.freeze({ maxDisappearedSeconds, iou: iouGate, lowScoreIou, stationaryFrames, stationaryTolerance, maxPredictSeconds });

/** What the tracker knows about one object after an update. Read-only: the tracker owns and mutates it. */
export interface Track {
  /** `<pts with 6 decimals>-<6 chars of [a-z0-9]>` */
  readonly id: string;
  readonly label: string;
  readonly classId: number;
  /** box of the latest matched detection (source pixels) */
  readonly box: Box;
  /** score of the latest matched detection */
  readonly score: number;
  /** stream time of the first and latest match */
  readonly startTime: number;
  readonly lastSeen: number;
  /** whether a detection was matched to it in the latest update */
  readonly matched: boolean;
  readonly stationary: boolean;
  /** matched frames in a row without the centre moving beyond the tolerance */
  readonly motionlessFrames: number;
  /** box expected at the latest update's time (where it was looked for) */
  readonly predicted: Box;
}

export interface TrackerUpdate {
  /** every live track after this frame, oldest first */
  tracks: readonly Track[];
  /** tracks removed by this update (unmatched for maxDisappearedSeconds) */
  removed: readonly Track[];
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Frigate's id shape: frame time with 6 decimals, a dash, 6 random lowercase letters or digits. */
export function makeTrackId(pts: number, random: RandomSource): string {
  let suffix = '';
  for (let i = 0; i < 6; i++) suffix += ID_ALPHABET[Math.min(35, Math.floor(random() * 36))];
  return `${pts.toFixed(6)}-${suffix}`;
}


/** Weight of the newest measured velocity in the running average: reacts within a few frames, smooths jitter. */
const VELOCITY_GAIN = 0.5;

class TrackState implements Track {
  box: Box;
  score: number;
  lastSeen: number;
  matched = true;
  stationary = false;
  motionlessFrames = 0;
  predicted: Box;
  /** `predicted` cut at the frame's edges, as the detector sees an object leaving: what association compares */
  private expected: Box;
  /** seconds since the latest match during which it was not looked for (outside every region): they do not age it */
  heldSeconds = 0;
  /** stream time of the latest update it went through */
  lastUpdate: number;
  private vx = 0;
  private vy = 0;
  private hasVelocity = false;
  private anchorX: number;
  private anchorY: number;

  constructor(
    readonly id: string,
    readonly label: string,
    readonly classId: number,
    detection: Detection,
    readonly startTime: number,
  ) {
    this.box = [...detection.box];
    this.predicted = this.box;
    this.expected = this.box;
    this.score = detection.score;
    this.lastSeen = startTime;
    this.lastUpdate = startTime;
    [this.anchorX, this.anchorY] = centre(this.box);
  }

  predict(pts: number, maxPredictSeconds: number, frame?: FrameSize): Box {
    const dt = Math.min(Math.max(0, pts - this.lastSeen), maxPredictSeconds);
    const dx = this.stationary ? 0 : this.vx * dt;
    const dy = this.stationary ? 0 : this.vy * dt;
    const [x1, y1, x2, y2] = this.box;
    this.predicted = [x1 + dx, y1 + dy, x2 + dx, y2 + dy];
    // an object crossing the edge is detected as the sliver still inside: compared whole, a sliver a few pixels wide
    // falls under the IoU gate and would start a second object (seen with regions, which find smaller slivers)
    this.expected = frame ? clipTo(this.predicted, frame) : this.predicted;
    return this.predicted;
  }

  /** Association weight: lost tracks are also looked for where they were last seen, in case they stopped unseen. */
  weight(detection: Box): number {
    const w = iou(this.expected, detection);
    return this.matched ? w : Math.max(w, iou(this.box, detection));
  }

  correct(detection: Detection, pts: number, options: TrackerOptions): void {
    const [cx, cy] = centre(this.box);
    const [mx, my] = centre(detection.box);
    const dt = pts - this.lastSeen;
    if (dt > 0) {
      const mvx = (mx - cx) / dt;
      const mvy = (my - cy) / dt;
      if (this.hasVelocity) {
        this.vx += VELOCITY_GAIN * (mvx - this.vx);
        this.vy += VELOCITY_GAIN * (mvy - this.vy);
      } else {
        this.vx = mvx;
        this.vy = mvy;
        this.hasVelocity = true;
      }
    }
    const width = detection.box[2] - detection.box[0];
    const height = detection.box[3] - detection.box[1];
    const tol = options.stationaryTolerance;
    if (Math.abs(mx - this.anchorX) <= tol * width && Math.abs(my - this.anchorY) <= tol * height) {
      this.motionlessFrames++;
    } else {
      this.anchorX = mx;
      this.anchorY = my;
      this.motionlessFrames = 0;
    }
    this.stationary = this.motionlessFrames >= options.stationaryFrames;
    this.box = [...detection.box];
    this.score = detection.score;
    this.lastSeen = Math.max(this.lastSeen, pts);
    this.heldSeconds = 0;
  }
}

/** The picture's size in source pixels (the tracker's coordinates). */
export interface FrameSize {
  width: number;
  height: number;
}

/** The part of a box inside the frame; a box wholly outside keeps its own extent (it overlaps nothing there anyway). */
function clipTo(box: Box, frame: FrameSize): Box {
  const clipped: Box = [Math.max(0, box[0]), Math.max(0, box[1]), Math.min(frame.width, box[2]), Math.min(frame.height, box[3])];
  return clipped[2] > clipped[0] && clipped[3] > clipped[1] ? clipped : box;
}

function centre(box: Box): [number, number] {
  return [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2];
}

/** Whether a box's centre lies in one of the regions. */
function lookedAt(box: Box, regions: readonly Box[]): boolean {
  return regions.some((r) => centreIn(box, r));
}

function groupByLabel<T extends { label: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(item.label);
    if (group) group.push(item);
    else groups.set(item.label, [item]);
  }
  return groups;
}

export class Tracker {
  private readonly options: TrackerOptions;
  private tracks: TrackState[] = [];

  constructor(
    options: Partial<TrackerOptions> = {},
    private readonly random: RandomSource = Math.random,
  ) {
    this.options = { ...DEFAULT_TRACKER_OPTIONS, ...options };
    const o = this.options;
    if (!(o.maxDisappearedSeconds >= 0)) throw new RangeError(`maxDisappearedSeconds must be >= 0, got ${o.maxDisappearedSeconds}`);
    if (!(o.iou > 0 && o.iou <= 1)) throw new RangeError(`iou must be in (0, 1], got ${o.iou}`);
    if (!(o.lowScoreIou > 0 && o.lowScoreIou <= 1)) throw new RangeError(`lowScoreIou must be in (0, 1], got ${o.lowScoreIou}`);
    if (!(o.stationaryFrames >= 1)) throw new RangeError(`stationaryFrames must be >= 1, got ${o.stationaryFrames}`);
  }

  get size(): number {
    return this.tracks.length;
  }

  /**
   * Advances to stream time `pts` with this frame's detections: `high` may match any track and starts tracks,
   * `low` only keeps tracks that were matched on the previous update. A pts earlier than a track's last sighting
   * predicts no motion and removes nothing. `regions` (source pixels) says where the frame was looked at (regions
   * mode); a track whose box centre is in none was not looked for: not being found neither ages it nor marks it
   * unmatched (Frigate feeds such objects their own box). `frame`, when given, cuts expected boxes at its edges.
   */
  update(pts: number, high: readonly Detection[], low: readonly Detection[] = [], regions?: readonly Box[], frame?: FrameSize): TrackerUpdate {
    if (!Number.isFinite(pts)) throw new RangeError(`pts must be finite, got ${pts}`);
    const o = this.options;
    // `matched` still says whether each track was matched on the previous update until association is done
    for (const t of this.tracks) t.predict(pts, o.maxPredictSeconds, frame);

    const tracksByLabel = groupByLabel(this.tracks);
    const highByLabel = groupByLabel(high);
    const lowByLabel = groupByLabel(low);
    const updated = new Set<TrackState>();
    const born: TrackState[] = [];

    const labels = new Set([...highByLabel.keys(), ...lowByLabel.keys()]);
    for (const label of labels) {
      const tracks = tracksByLabel.get(label) ?? [];
      const dets = highByLabel.get(label) ?? [];
      // Stage 1: high-score detections against every live track of this label.
      const firstPairs = this.match(tracks, dets, o.iou);
      const unmatchedDets: Detection[] = [];
      dets.forEach((d, j) => {
        const t = firstPairs.get(j);
        if (t) {
          t.correct(d, pts, o);
          updated.add(t);
        } else {
          unmatchedDets.push(d);
        }
      });
      // Stage 2: low-score detections only rescue tracks that were followed until the previous frame.
      const lows = lowByLabel.get(label) ?? [];
      const candidates = tracks.filter((t) => !updated.has(t) && t.matched);
      const secondPairs = this.match(candidates, lows, o.lowScoreIou);
      lows.forEach((d, j) => {
        const t = secondPairs.get(j);
        if (t) {
          t.correct(d, pts, o);
          updated.add(t);
        }
      });
      for (const d of unmatchedDets) born.push(new TrackState(this.newId(pts, born), d.label, d.classId, d, pts));
    }

    const live: TrackState[] = [];
    const removed: TrackState[] = [];
    for (const t of this.tracks) {
      const held = regions !== undefined && !updated.has(t) && !lookedAt(t.box, regions);
      if (held) t.heldSeconds += Math.max(0, pts - t.lastUpdate);
      else t.matched = updated.has(t);
      t.lastUpdate = Math.max(t.lastUpdate, pts);
      // a small epsilon so that 5 frames of 0.2 s (summing to 0.9999999) count as the full second
      if (!held && !t.matched && pts - t.lastSeen - t.heldSeconds >= o.maxDisappearedSeconds - 1e-9) removed.push(t);
      else live.push(t);
    }
    this.tracks = live.concat(born);
    return { tracks: this.tracks, removed };
  }

  /** Drops every track (stream ended or restarted) and returns them. */
  clear(): Track[] {
    const all = this.tracks;
    this.tracks = [];
    return all;
  }

  /** detection index -> track, by maximum total IoU over pairs at or above the gate */
  private match(tracks: readonly TrackState[], dets: readonly Detection[], gate: number): Map<number, TrackState> {
    const pairs = new Map<number, TrackState>();
    if (tracks.length === 0 || dets.length === 0) return pairs;
    const weights = tracks.map((t) => dets.map((d) => {
      const w = t.weight(d.box);
      return w >= gate ? w : 0;
    }));
    assignMaxWeight(weights).forEach((j, i) => {
      if (j >= 0) pairs.set(j, tracks[i]);
    });
    return pairs;
  }

  /**
   * Added to pts in new ids: the owner sets it to the camera's epoch offset, so ids carry wall-clock time and never
   * repeat across restarts (tracking itself stays on stream time).
   */
  idTimeOffset = 0;

  private newId(pts: number, born: readonly TrackState[]): string {
    // Collisions are near impossible with a real random source, but a poor injected one must not produce duplicates.
    for (;;) {
      const id = makeTrackId(pts + this.idTimeOffset, this.random);
      if (!this.tracks.some((t) => t.id === id) && !born.some((t) => t.id === id)) return id;
    }
  }
}
