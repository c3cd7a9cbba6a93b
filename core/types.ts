// The data that crosses a stage boundary. Every stage imports its contracts from here and nowhere else.
import type { Picture } from './picture.js';

export type { Picture };

/** Pixel layouts ffmpeg writes for us. Planar layouts make tensor preparation one pass of multiply-adds. */
export type PixelLayout = 'gbrp' | 'gray';

/** How a source image is fitted into the model's input. */
export type ResizeMode =
  /** keep aspect ratio, image in the top-left corner, padding right and bottom (YOLOX) */
  | 'letterbox'
  /** keep aspect ratio, image centred (Ultralytics) */
  | 'letterbox-center'
  /** ignore aspect ratio (FastestDet, UltraFace, classifiers) */
  | 'stretch'
  /** keep aspect ratio, fill the input and cut the overflow off both sides evenly (ImageNet classifiers); pads are negative */
  | 'center-crop';

/** What a detector wants each frame to look like; sources ask ffmpeg for exactly this. */
export interface FrameFormat {
  width: number;
  height: number;
  layout: PixelLayout;
  resize: ResizeMode;
  /** grey level 0..255 of letterbox padding */
  padValue: number;
}

/**
 * Maps model-input pixels back to source pixels: `xSrc = (x - padX) / scaleX`, `ySrc = (y - padY) / scaleY`.
 * Stretch has `pad = 0` and two scales; letterbox has one scale for both axes.
 */
export interface ImageTransform {
  srcWidth: number;
  srcHeight: number;
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
}

/** Frame metadata: everything about a frame except its pixels, safe to log, send and keep. */
export interface FrameMeta {
  camera: string;
  /** per-camera sequence number, from 0, never reused within a run (also across reconnects and loops) */
  seq: number;
  /** stream time in seconds (the clip's own clock; monotonic across loops) */
  pts: number;
  /** wall-clock time (epoch ms) at which the frame's bytes were complete */
  capturedAt: number;
  format: FrameFormat;
  transform: ImageTransform;
}

/** A frame on its way to inference. `data` belongs to a pool: call `release()` exactly once when done with it. */
export interface Frame extends FrameMeta {
  /**
   * planar pixels in `format.layout`, `format.width * format.height * planes` bytes; backed by a SharedArrayBuffer.
   * Empty when the source sends the picture alone (`detectMode: regions`): the whole frame is then cut from `picture`
   */
  data: Uint8Array;
  /** the same moment at detect resolution (yuv420p from a video source, packed RGB from a photo: core/picture.ts; `transform` source pixels × picture/source size); pooled too */
  picture?: Picture;
  /**
   * where to look (`detectMode: regions`): squares of `picture` in picture pixels, each cropped and resized into the
   * model's input; empty: nothing to look at (no motion, no tracked object), the frame skips inference; absent: the
   * whole frame (`data`, or the picture letterboxed when `data` is empty)
   */
  regions?: readonly Box[];
  /** returns `data` and `picture` to their pools (once every holder that `retain`ed it has released it too) */
  release(): void;
  /** one more holder: the buffers stay out of their pools until `release` has been called once more (pooled frames) */
  retain?(): void;
}

export type Box = [x1: number, y1: number, x2: number, y2: number];

/** One thing found in a frame. The box is in source pixels. */
export interface Detection {
  label: string;
  classId: number;
  score: number;
  box: Box;
}

export interface FrameTimings {
  /** from capture to the start of the inference call */
  queuedMs: number;
  /** the model run for this frame's batch (tensor preparation included) */
  inferenceMs: number;
  /** output decoding and NMS for this frame */
  postprocessMs: number;
  /** inputs (frames or regions) that went through the model together with this frame's last one; 0: skipped */
  batchSize: number;
}

export interface FrameResult {
  frame: FrameMeta;
  detections: Detection[];
  timings: FrameTimings;
  /**
   * where the model looked, in source pixels (regions mode); absent: the whole frame. A tracked object outside every
   * region was not looked for, so not finding it says nothing (the tracker does not age it)
   */
  regions?: Box[];
}

/** An object followed across frames by the tracker (Frigate's field meanings). */
export interface TrackedObject {
  /** `<epoch seconds of its first frame, 6 decimals>-<6 chars>` (Frigate's form): unique across restarts */
  id: string;
  camera: string;
  label: string;
  score: number;
  topScore: number;
  box: Box;
  area: number;
  ratio: number;
  currentZones: string[];
  enteredZones: string[];
  stationary: boolean;
  /** frame time (s) of the first and latest sighting */
  startTime: number;
  lastSeen: number;
  endTime: number | null;
  /** frame time of the detection with the best score so far (for snapshots) */
  bestFrameTime: number;
  falsePositive: boolean;
  /** in a zone with `loiterSeconds` for longer than that (stream time) */
  loitering: boolean;
  /** km/h on the ground of a zone with `distances` while in it (0 elsewhere), smoothed; Frigate's estimated speed */
  currentSpeed: number;
  /** mean of the speeds measured in such zones so far (0 if none) */
  averageSpeed: number;
  /** what a camera's `classify.<label>` classifier agreed on (pipeline/classify.ts); absent until then */
  subLabel?: SubLabel;
}

/** A second-stage classifier's agreed answer about a tracked object: the class and the mean score of the votes for it. */
export interface SubLabel {
  label: string;
  score: number;
}

/** A sub-label agreed for one object of a camera; the tracker turns it into an `update` event. */
export interface SubLabelDecision {
  camera: string;
  id: string;
  subLabel: SubLabel;
}

/** A camera's fixed crop (`states.<name>`) changed state after `consecutive` identical results. */
export interface StateChange {
  camera: string;
  /** the state's name in config */
  name: string;
  /** the class the state's model agreed on */
  state: string;
  /** the mean score of the identical results that decided it */
  score: number;
  /** stream time of the frame that decided it */
  pts: number;
}

export interface ObjectEvent {
  type: 'new' | 'update' | 'end';
  before: TrackedObject;
  after: TrackedObject;
}

/** per zone (and `all`), per label: how many objects are in it */
export type ObjectCounts = Record<string, Record<string, number>>;

export interface CameraUpdate {
  camera: string;
  /** stream time of the frame (or of the flush) this update is for */
  pts: number;
  /**
   * seconds to add to this camera's stream times (pts, object times) for epoch seconds: the wall clock of its first
   * frame minus that frame's pts, fixed for the run, so differences between times stay exact (`epochSeconds`)
   */
  epochOffset: number;
  events: ObjectEvent[];
  /** only when a count changed since the last update that carried counts (and on the first one) */
  counts?: ObjectCounts;
  /** the open objects that are events (true positives), as of this frame: what an overlay draws */
  objects: TrackedObject[];
  /** objects that crossed a counting line in this frame (only when there are any) */
  crossings?: LineCrossing[];
  /** every line count of the camera, only when one changed (a crossing, a daily reset) and on the first update */
  lineCounts?: LineCount[];
}

/** `in` is side a → side b of a line (a: left of the directed segment p1→p2 as drawn on the picture). */
export type CrossingDirection = 'in' | 'out';

/** One object crossing one counting line. */
export interface LineCrossing {
  camera: string;
  line: string;
  /** the object's id, which is also its event id and its snapshot id */
  id: string;
  label: string;
  direction: CrossingDirection;
  /** stream time (s) of the frame that confirmed the crossing */
  time: number;
  /** wall-clock time (epoch ms) of that frame */
  wallTime: number;
  /** frame time of the object's best sighting so far (its snapshot) */
  snapshotTime: number;
}

/** How many objects of a label crossed a line in one direction: since start, and since the line's daily reset. */
export interface LineCount {
  line: string;
  label: string;
  direction: CrossingDirection;
  total: number;
  today: number;
}

/** A camera's motion turned ON or OFF (OFF after `motion.offFrames` frames in a row without motion). */
export interface MotionChange {
  camera: string;
  /** stream time of the frame that changed it */
  pts: number;
  motion: boolean;
}

export type Severity = 'info' | 'warning' | 'error';

/** The one status stream: health, stats, logs and MQTT availability all read it. */
export interface Status {
  at: number;
  severity: Severity;
  code: string;
  camera?: string;
  message: string;
}
