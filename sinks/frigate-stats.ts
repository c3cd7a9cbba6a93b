// Frigate's stats shape (`GET /api/stats` and the `frigate/stats` topic of a Frigate), made from Lookout's: what the
// Home Assistant Frigate integration reads to make its diagnostic sensors. It makes an fps sensor of every top-level
// key ending in `_fps`, one per `cameras.<name>.<x>_fps`, an inference-speed sensor per `detectors.<name>`, and an
// uptime sensor from `service.uptime`; the keys it would read as temperatures, GPUs or CPU per process are left out, so
// it makes no sensor that would always be unknown.
import { LOOKOUT_VERSION } from '../core/version.js';
import type { StatsSnapshot } from '../core/stats.js';

/** The Frigate release whose API shapes these are (the integration checks `/api/version` against its cut-off). */
export const FRIGATE_API_VERSION = '0.14.1';
/** What `/api/version` and `service.version` say: the emulated release (the integration compares the part before `-`), then ours. */
export const FRIGATE_VERSION_TEXT = `${FRIGATE_API_VERSION}-lookout-${LOOKOUT_VERSION}`;

export interface FrigateCameraStats {
  /** frames a second coming from the camera (ffmpeg's output, before any drop) */
  camera_fps: number;
  /** frames a second the camera's stage handled: those detected */
  process_fps: number;
  /** frames a second dropped because inference was busy */
  skipped_fps: number;
  /** frames a second sent through the detector */
  detection_fps: number;
  detection_enabled: boolean;
  /** Frigate's process ids; Lookout runs every camera in one process */
  pid: number;
  capture_pid: number;
  ffmpeg_pid: number | null;
}

export interface FrigateDetectorStats {
  /** ms per inference (median) */
  inference_speed: number;
  detection_start: number;
  pid: number;
}

export interface FrigateServiceStats {
  /** seconds since start */
  uptime: number;
  version: string;
  latest_version: string;
  /** epoch seconds of these stats */
  last_updated: number;
  storage: Record<string, never>;
  temperatures: Record<string, never>;
}

export interface FrigateStats {
  cameras: Record<string, FrigateCameraStats>;
  detectors: Record<string, FrigateDetectorStats>;
  /** the sum over cameras */
  detection_fps: number;
  service: FrigateServiceStats;
}

interface Sample {
  at: number;
  framesIn: number;
  dropped: number;
  cameraFps: number;
  skippedFps: number;
}

/**
 * Turns stats snapshots into Frigate's shape. Frame rates in and dropped are measured between calls (the integration
 * polls every 5 s), at least a second apart; the first call, with nothing to compare, uses the detect rate and 0.
 */
export class FrigateStatsView {
  private readonly samples = new Map<string, Sample>();

  constructor(
    private readonly detectEnabled: (camera: string) => boolean,
    private readonly version = FRIGATE_VERSION_TEXT,
  ) {}

  stats(s: StatsSnapshot): FrigateStats {
    const cameras: Record<string, FrigateCameraStats> = {};
    let detectionFps = 0;
    for (const [name, c] of Object.entries(s.cameras)) {
      const rates = this.rates(name, s.at, c.framesIn, c.dropped, c.detectFps);
      detectionFps += c.detectFps;
      cameras[name] = {
        camera_fps: rates.cameraFps,
        process_fps: round1(c.detectFps),
        skipped_fps: rates.skippedFps,
        detection_fps: round1(c.detectFps),
        detection_enabled: this.detectEnabled(name),
        pid: process.pid,
        capture_pid: process.pid,
        ffmpeg_pid: null,
      };
    }
    return {
      cameras,
      detectors: { [s.detector.provider]: { inference_speed: round1(s.detector.inferenceMsP50), detection_start: 0, pid: process.pid } },
      detection_fps: round1(detectionFps),
      service: { uptime: Math.floor(s.uptimeSeconds), version: this.version, latest_version: this.version, last_updated: Math.floor(s.at / 1000), storage: {}, temperatures: {} },
    };
  }

  private rates(camera: string, at: number, framesIn: number, dropped: number, detectFps: number): { cameraFps: number; skippedFps: number } {
    const last = this.samples.get(camera);
    if (last && at - last.at < 1000) return { cameraFps: last.cameraFps, skippedFps: last.skippedFps };
    const seconds = last ? (at - last.at) / 1000 : 0;
    // a restarted counter (never, today) or the first call: no rate to measure yet
    const cameraFps = last && framesIn >= last.framesIn ? round1((framesIn - last.framesIn) / seconds) : round1(detectFps);
    const skippedFps = last && dropped >= last.dropped ? round1((dropped - last.dropped) / seconds) : 0;
    this.samples.set(camera, { at, framesIn, dropped, cameraFps, skippedFps });
    return { cameraFps, skippedFps };
  }
}

const round1 = (v: number) => Math.round(v * 10) / 10;
