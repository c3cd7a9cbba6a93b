// Counters per camera and for the detector. Cheap to update on the hot path (numbers and one small ring buffer),
// turned into a plain JSON object only when someone asks.

import type { CameraStats, DetectorStats, HistogramView, StatsSnapshot } from '../core/stats.js';

export type { CameraStats, DetectorStats, StatsSnapshot };

/** A fixed-size ring of recent samples, for percentiles without unbounded memory. */
export class SampleRing {
  private readonly data: Float64Array;
  private n = 0;
  private i = 0;
  constructor(size = 512) {
    this.data = new Float64Array(size);
  }
  push(v: number): void {
    this.data[this.i] = v;
    this.i = (this.i + 1) % this.data.length;
    if (this.n < this.data.length) this.n++;
  }
  percentile(p: number): number {
    if (this.n === 0) return 0;
    const sorted = this.values().sort((a, b) => a - b);
    return sorted[Math.min(this.n - 1, Math.max(0, Math.ceil((p / 100) * this.n) - 1))];
  }
  get count(): number {
    return this.n;
  }
  values(): number[] {
    return Array.from(this.data.subarray(0, this.n));
  }
}

/** A cumulative histogram of inference seconds with fixed buckets. */
export class LatencyHistogram implements HistogramView {
  static readonly BOUNDS = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, Infinity];
  private readonly counts = new Array<number>(LatencyHistogram.BOUNDS.length).fill(0);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    for (let i = 0; i < LatencyHistogram.BOUNDS.length; i++) if (seconds <= LatencyHistogram.BOUNDS[i]) this.counts[i]++;
  }

  buckets(): { le: number; count: number }[] {
    return LatencyHistogram.BOUNDS.map((le, i) => ({ le, count: this.counts[i] }));
  }
}

interface CameraCounters {
  framesDetected: number;
  /** dropped in the inference queue (the source counts its own drops) */
  queueDropped: number;
  lastCapturedAt: number | null;
  recent: SampleRing;
  status: string;
  code: string | null;
  error: string | null;
  errorAt: number | null;
}

export interface SourceCountersLike {
  framesIn: number;
  dropped: number;
  reconnects?: number;
}

export class StatsCollector {
  private readonly cameras = new Map<string, CameraCounters>();
  private readonly inference = new SampleRing();
  private readonly latency = new SampleRing(1024);
  /** every batch's inference time, for the Prometheus histogram */
  readonly inferenceHistogram = new LatencyHistogram();
  private batches = 0;
  private batchedFrames = 0;
  private batchedRegions = 0;
  private queueDepth = 0;
  private detectorState: Pick<DetectorStats, 'status' | 'restarts' | 'error'> = { status: 'running', restarts: 0, error: null };
  private readonly startedAt: number;

  constructor(
    private readonly detector: { provider: string; dynamicBatch: boolean },
    private readonly sourceCounters: (camera: string) => SourceCountersLike,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  camera(name: string): CameraCounters {
    let c = this.cameras.get(name);
    if (!c) {
      c = { framesDetected: 0, queueDropped: 0, lastCapturedAt: null, recent: new SampleRing(64), status: 'starting', code: null, error: null, errorAt: null };
      this.cameras.set(name, c);
    }
    return c;
  }

  /** A new status; with an error, it becomes the camera's last error (which a later status without one keeps). */
  setStatus(camera: string, status: string, error: string | null = null, code: string | null = null): void {
    const c = this.camera(camera);
    c.status = status;
    if (error !== null) {
      c.error = error;
      c.code = code;
      c.errorAt = this.now();
    }
  }

  statusOf(camera: string): string {
    return this.camera(camera).status;
  }

  frameDetected(camera: string, capturedAt: number): void {
    const c = this.camera(camera);
    const now = this.now();
    c.framesDetected++;
    c.lastCapturedAt = capturedAt;
    c.recent.push(now);
    this.latency.push(now - capturedAt);
  }

  /** A frame of a live camera was replaced in the inference queue by a newer one. */
  frameDropped(camera: string): void {
    this.camera(camera).queueDropped++;
  }

  /** A batch of `size` inputs, `regions` of them crops (regions mode). */
  batch(size: number, inferenceMs: number, queueDepth: number, regions = 0): void {
    this.batches++;
    this.batchedRegions += regions;
    this.batchedFrames += size;
    this.queueDepth = queueDepth;
    this.inference.push(inferenceMs);
    this.inferenceHistogram.observe(inferenceMs / 1000);
  }

  /** A supervised detector failed and restarts, or runs again. */
  setDetectorState(status: DetectorStats['status'], restarts: number, error: string | null): void {
    this.detectorState = { status, restarts, error };
  }

  snapshot(): StatsSnapshot {
    const now = this.now();
    const cameras: Record<string, CameraStats> = {};
    for (const [name, c] of this.cameras) {
      const src = this.sourceCounters(name);
      cameras[name] = {
        framesIn: src.framesIn,
        framesDetected: c.framesDetected,
        dropped: src.dropped + c.queueDropped,
        detectFps: fpsOf(c.recent, now),
        lastFrameAgeMs: c.lastCapturedAt === null ? null : now - c.lastCapturedAt,
        reconnects: src.reconnects ?? 0,
        status: c.status,
        code: c.code,
        error: c.error,
        errorAt: c.errorAt,
      };
    }
    return {
      at: now,
      uptimeSeconds: (now - this.startedAt) / 1000,
      cameras,
      detector: {
        provider: this.detector.provider,
        dynamicBatch: this.detector.dynamicBatch,
        batches: this.batches,
        frames: this.batchedFrames,
        avgBatchSize: this.batches ? this.batchedFrames / this.batches : 0,
        regionsPerBatch: this.batches ? this.batchedRegions / this.batches : 0,
        inferenceMsP50: this.inference.percentile(50),
        inferenceMsP95: this.inference.percentile(95),
        queueDepth: this.queueDepth,
        latencyMsP50: this.latency.percentile(50),
        latencyMsP95: this.latency.percentile(95),
        ...this.detectorState,
      },
    };
  }
}

/** Frames per second over the detections of the last 5 s (the ring holds their wall times). */
function fpsOf(ring: SampleRing, now: number): number {
  const windowMs = 5000;
  const inside = ring.values().filter((t) => now - t <= windowMs);
  if (inside.length < 2) return 0;
  const span = (Math.max(...inside) - Math.min(...inside)) / 1000;
  return span > 0 ? (inside.length - 1) / span : 0;
}
