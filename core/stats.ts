// What the stats snapshot looks like to its readers (sinks, the CLI): plain data, so sinks read it without importing
// the collector in pipeline/.

export interface CameraStats {
  /** frames ffmpeg delivered into a buffer */
  framesIn: number;
  framesDetected: number;
  /** frames skipped because inference was busy: no free buffer at the source, or replaced by a newer one in the queue */
  dropped: number;
  /** detected frames per second over the last few seconds */
  detectFps: number;
  /** ms since the newest detected frame was captured; null before the first */
  lastFrameAgeMs: number | null;
  /** live cameras: restarts after the first start */
  reconnects: number;
  /** starting | online | reconnecting | offline | disabled | ended */
  status: string;
  /** the last error's code and text (kept after the camera recovers, so the cause of a flap stays visible) and when */
  code: string | null;
  error: string | null;
  errorAt: number | null;
}

export interface DetectorStats {
  provider: string;
  dynamicBatch: boolean;
  batches: number;
  frames: number;
  avgBatchSize: number;
  inferenceMsP50: number;
  inferenceMsP95: number;
  /** planned regions (regions mode; not whole frames cut from a picture) per batch, over all batches: above 1, regions share batches */
  regionsPerBatch: number;
  /** frames waiting for inference when the last batch was taken */
  queueDepth: number;
  /** capture (frame bytes complete) to result, over recent frames of every camera */
  latencyMsP50: number;
  latencyMsP95: number;
  /** running, or restarting after a failure (a supervised detector); the run goes on meanwhile */
  status: 'running' | 'restarting';
  restarts: number;
  /** the last failure, kept after recovery */
  error: string | null;
}

export interface StatsSnapshot {
  at: number;
  uptimeSeconds: number;
  cameras: Record<string, CameraStats>;
  detector: DetectorStats;
  /** per camera with motion on (pipeline/camera-motion.ts) */
  motion?: Record<string, MotionStats>;
  /** only with `classify` or `states` models (pipeline/classify.ts) */
  classify?: ClassifyStats;
  /** per camera in `detectMode: regions`: where the model looked (pipeline/region-planner.ts) */
  regions?: Record<string, CameraRegionStats>;
}

export interface ClassifyStats {
  /** per classifier model (as config names it): crops classified, model runs, ms of those runs */
  models: Record<string, { crops: number; batches: number; inferenceMs: number; msPerCrop: number }>;
  /** per camera and state crop: the published state (null before K identical results), its score, every class its model knows */
  states: Record<string, Record<string, { state: string | null; score: number | null; classes: string[] }>>;
}

export interface CameraRegionStats {
  frames: number;
  /** frames with no motion and no known object: no inference at all */
  framesSkipped: number;
  /** frames looked at whole (full mode, the scan at start and every `fullScanSeconds`, regions covering most of it) */
  fullFrames: number;
  /** frames looked at through regions */
  regionFrames: number;
  /** mean regions of the frames looked at through regions */
  regionsPerFrame: number;
  /** model inputs (whole frames and regions) per second over the last 5 s */
  inferencesPerSecond: number;
}

export interface MotionStats {
  /** ON now (motion in the last `offFrames` frames) */
  motion: boolean;
  /** mean fraction of the picture in motion over the last 50 frames */
  fraction: number;
  framesWithMotion: number;
  framesWithoutMotion: number;
  /** background resets on a global change (lights, IR switch) */
  recalibrations: number;
}

/** A cumulative histogram of inference seconds, as the metrics endpoint reads it. */
export interface HistogramView {
  readonly sum: number;
  readonly count: number;
  buckets(): { le: number; count: number }[];
}
