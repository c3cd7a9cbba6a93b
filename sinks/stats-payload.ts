// Lookout's stats as the outside reads them (`GET /api/stats` or `/api/lookout/stats`, the `<prefix>/stats` topic of
// the Lookout dialect, the WebSocket): snake_case, as MQTT and Frigate name things. The runtime's StatsSnapshot keeps
// TypeScript's camelCase inside; this is the one place the two meet, spelled out so a renamed field fails to compile.
import type { CameraRegionStats, CameraStats, ClassifyStats, DetectorStats, MotionStats, StatsSnapshot } from '../core/stats.js';

export interface CameraStatsPayload {
  frames_in: number;
  frames_detected: number;
  dropped: number;
  detect_fps: number;
  last_frame_age_ms: number | null;
  reconnects: number;
  status: string;
  code: string | null;
  error: string | null;
  error_at: number | null;
}

export interface DetectorStatsPayload {
  provider: string;
  dynamic_batch: boolean;
  batches: number;
  frames: number;
  avg_batch_size: number;
  regions_per_batch: number;
  inference_ms_p50: number;
  inference_ms_p95: number;
  queue_depth: number;
  latency_ms_p50: number;
  latency_ms_p95: number;
  status: DetectorStats['status'];
  restarts: number;
  error: string | null;
}

export interface MotionStatsPayload {
  motion: boolean;
  fraction: number;
  frames_with_motion: number;
  frames_without_motion: number;
  recalibrations: number;
}

export interface ClassifyStatsPayload {
  /** per classifier model: crops classified, model runs, ms of those runs */
  models: Record<string, { crops: number; batches: number; inference_ms: number; ms_per_crop: number }>;
  /** per camera and state crop: the published state (null before K identical results) and its score */
  states: Record<string, Record<string, { state: string | null; score: number | null }>>;
}

export interface RegionStatsPayload {
  frames: number;
  frames_skipped: number;
  full_frames: number;
  region_frames: number;
  regions_per_frame: number;
  inferences_per_second: number;
}

export interface StatsPayload {
  at: number;
  uptime_seconds: number;
  /** keyed by camera name */
  cameras: Record<string, CameraStatsPayload>;
  detector: DetectorStatsPayload;
  motion?: Record<string, MotionStatsPayload>;
  classify?: ClassifyStatsPayload;
  /** cameras in `detectMode: regions` */
  regions?: Record<string, RegionStatsPayload>;
}

function cameraPayload(c: CameraStats): CameraStatsPayload {
  return {
    frames_in: c.framesIn,
    frames_detected: c.framesDetected,
    dropped: c.dropped,
    detect_fps: c.detectFps,
    last_frame_age_ms: c.lastFrameAgeMs,
    reconnects: c.reconnects,
    status: c.status,
    code: c.code,
    error: c.error,
    error_at: c.errorAt,
  };
}

function detectorPayload(d: DetectorStats): DetectorStatsPayload {
  return {
    provider: d.provider,
    dynamic_batch: d.dynamicBatch,
    batches: d.batches,
    frames: d.frames,
    avg_batch_size: d.avgBatchSize,
    regions_per_batch: d.regionsPerBatch,
    inference_ms_p50: d.inferenceMsP50,
    inference_ms_p95: d.inferenceMsP95,
    queue_depth: d.queueDepth,
    latency_ms_p50: d.latencyMsP50,
    latency_ms_p95: d.latencyMsP95,
    status: d.status,
    restarts: d.restarts,
    error: d.error,
  };
}

function classifyPayload(c: ClassifyStats): ClassifyStatsPayload {
  return {
    models: mapValues(c.models, (m) => ({ crops: m.crops, batches: m.batches, inference_ms: m.inferenceMs, ms_per_crop: m.msPerCrop })),
    states: c.states,
  };
}

function motionPayload(m: MotionStats): MotionStatsPayload {
  return { motion: m.motion, fraction: m.fraction, frames_with_motion: m.framesWithMotion, frames_without_motion: m.framesWithoutMotion, recalibrations: m.recalibrations };
}

function regionPayload(r: CameraRegionStats): RegionStatsPayload {
  return { frames: r.frames, frames_skipped: r.framesSkipped, full_frames: r.fullFrames, region_frames: r.regionFrames, regions_per_frame: r.regionsPerFrame, inferences_per_second: r.inferencesPerSecond };
}

const mapValues = <A, B>(record: Record<string, A>, f: (a: A) => B): Record<string, B> => Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));

export function statsPayload(s: StatsSnapshot): StatsPayload {
  return {
    at: s.at,
    uptime_seconds: s.uptimeSeconds,
    cameras: mapValues(s.cameras, cameraPayload),
    detector: detectorPayload(s.detector),
    ...(s.motion ? { motion: mapValues(s.motion, motionPayload) } : {}),
    ...(s.classify ? { classify: classifyPayload(s.classify) } : {}),
    ...(s.regions ? { regions: mapValues(s.regions, regionPayload) } : {}),
  };
}
