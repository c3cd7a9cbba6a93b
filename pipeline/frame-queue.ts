// Frames waiting for inference, one queue per camera. Live cameras keep only their newest frames (older ones are
// released and counted); files keep everything (their sources pause instead). Batches are taken round-robin so that
// no camera starves another.
import type { BackpressurePolicy } from '../core/frame-source.js';
import type { Frame } from '../core/types.js';

interface CameraQueue {
  frames: Frame[];
  policy: BackpressurePolicy;
  dropped: number;
}

export class FrameQueue {
  private readonly queues = new Map<string, CameraQueue>();
  private readonly order: string[] = [];
  private cursor = 0;
  private total = 0;

  /**
   * @param latestDepth frames a live ('latest') camera may have waiting
   * @param onDrop told of every frame replaced by a newer one (for stats)
   */
  constructor(
    private readonly latestDepth = 1,
    private readonly onDrop?: (camera: string) => void,
  ) {}

  register(camera: string, policy: BackpressurePolicy): void {
    if (this.queues.has(camera)) return;
    this.queues.set(camera, { frames: [], policy, dropped: 0 });
    this.order.push(camera);
  }

  push(frame: Frame, policy: BackpressurePolicy = 'wait'): void {
    this.register(frame.camera, policy);
    const q = this.queues.get(frame.camera)!;
    q.frames.push(frame);
    this.total++;
    if (q.policy === 'latest') {
      while (q.frames.length > this.latestDepth) {
        q.frames.shift()!.release();
        q.dropped++;
        this.total--;
        this.onDrop?.(frame.camera);
      }
    }
  }

  /** Up to `max` frames, one per camera per round, continuing from where the last batch stopped. */
  take(max: number): Frame[] {
    const out: Frame[] = [];
    let idle = 0;
    while (out.length < max && this.total > 0 && idle < this.order.length) {
      const camera = this.order[this.cursor % this.order.length];
      this.cursor = (this.cursor + 1) % this.order.length;
      const frame = this.queues.get(camera)!.frames.shift();
      if (frame) {
        out.push(frame);
        this.total--;
        idle = 0;
      } else idle++;
    }
    return out;
  }

  get size(): number {
    return this.total;
  }

  /** Cameras with at least one frame waiting. */
  get camerasWaiting(): number {
    let n = 0;
    for (const q of this.queues.values()) if (q.frames.length > 0) n++;
    return n;
  }

  get cameras(): number {
    return this.order.length;
  }

  dropped(camera: string): number {
    return this.queues.get(camera)?.dropped ?? 0;
  }

  /** Releases every waiting frame (on stop). */
  clear(): void {
    for (const q of this.queues.values()) for (const f of q.frames.splice(0)) f.release();
    this.total = 0;
  }
}
