// Work waiting for inference, one queue per camera. An item is a frame with one input (the whole frame) or several
// (its regions); batches are cut in inputs, so regions of several cameras share a batch, and a frame with more
// regions than a batch holds spans batches. Live cameras keep only their newest frames not yet started (older ones
// are released and counted); files keep everything (their sources pause instead). Inputs are taken round-robin, one
// per camera per round, so that no camera starves another.
import type { BackpressurePolicy } from '../core/frame-source.js';

/** What the queue holds: anything of a camera that can be released when it is dropped or the queue is cleared. */
export interface QueueItem {
  readonly camera: string;
  release(): void;
}

interface Entry<T> {
  item: T;
  /** inputs the item has */
  count: number;
  /** its next input to take; above 0, the item is started (some inputs are in a batch) and no longer dropped */
  next: number;
}

interface CameraQueue<T> {
  entries: Entry<T>[];
  policy: BackpressurePolicy;
  dropped: number;
}

/** One input of an item in a batch; `last` says it was the item's last input, so the item left the queue. */
export interface Taken<T> {
  item: T;
  index: number;
  last: boolean;
}

export class FrameQueue<T extends QueueItem> {
  private readonly queues = new Map<string, CameraQueue<T>>();
  private readonly order: string[] = [];
  private cursor = 0;
  /** inputs waiting */
  private total = 0;

  /**
   * @param latestDepth items not yet started a live ('latest') camera may have waiting
   * @param onDrop told of every item replaced by a newer one (for stats), after it was released
   */
  constructor(
    private readonly latestDepth = 1,
    private readonly onDrop?: (camera: string, item: T) => void,
  ) {}

  register(camera: string, policy: BackpressurePolicy): void {
    if (this.queues.has(camera)) return;
    this.queues.set(camera, { entries: [], policy, dropped: 0 });
    this.order.push(camera);
  }

  /** Queues an item with `count` (≥ 1) inputs. */
  push(item: T, policy: BackpressurePolicy = 'wait', count = 1): void {
    if (!(count >= 1)) throw new RangeError(`an item needs at least one input, got ${count}`);
    this.register(item.camera, policy);
    const q = this.queues.get(item.camera)!;
    q.entries.push({ item, count, next: 0 });
    this.total += count;
    if (q.policy !== 'latest') return;
    const firstUnstarted = () => (q.entries.length > 0 && q.entries[0].next > 0 ? 1 : 0);
    while (q.entries.length - firstUnstarted() > this.latestDepth) {
      const [e] = q.entries.splice(firstUnstarted(), 1);
      this.total -= e.count;
      q.dropped++;
      e.item.release();
      this.onDrop?.(item.camera, e.item);
    }
  }

  /** Up to `max` inputs, one per camera per round, continuing from where the last batch stopped. */
  take(max: number): Taken<T>[] {
    const out: Taken<T>[] = [];
    let idle = 0;
    while (out.length < max && this.total > 0 && idle < this.order.length) {
      const camera = this.order[this.cursor % this.order.length];
      this.cursor = (this.cursor + 1) % this.order.length;
      const q = this.queues.get(camera)!;
      const e = q.entries[0];
      if (e) {
        const last = e.next === e.count - 1;
        out.push({ item: e.item, index: e.next++, last });
        if (last) q.entries.shift();
        this.total--;
        idle = 0;
      } else idle++;
    }
    return out;
  }

  /** Takes an item's inputs still waiting out of the queue (its batch failed); true if it was there. */
  remove(item: T): boolean {
    const q = this.queues.get(item.camera);
    const i = q?.entries.findIndex((e) => e.item === item) ?? -1;
    if (!q || i < 0) return false;
    const [e] = q.entries.splice(i, 1);
    this.total -= e.count - e.next;
    return true;
  }

  /** Inputs waiting. */
  get size(): number {
    return this.total;
  }

  /** Cameras with at least one input waiting. */
  get camerasWaiting(): number {
    let n = 0;
    for (const q of this.queues.values()) if (q.entries.length > 0) n++;
    return n;
  }

  get cameras(): number {
    return this.order.length;
  }

  dropped(camera: string): number {
    return this.queues.get(camera)?.dropped ?? 0;
  }

  /** Releases every waiting item (on stop); a started one is released too: its owner frees it once its batch is back. */
  clear(): void {
    for (const q of this.queues.values()) for (const e of q.entries.splice(0)) e.item.release();
    this.total = 0;
  }
}
