// Cuts ffmpeg's raw video byte stream into exact frames in pooled buffers: fed chunks (`write`, one copy), or read into
// directly (`target`/`received`: the reader reads straight into the frame's buffer, no copy and no chunk to allocate).
// With the 'wait' policy a frame that finds no free buffer keeps its bytes (at most one pipe chunk) until one is
// released, and the owner pauses the pipe meanwhile, so nothing is lost; with 'latest' the frame is dropped and counted.
import type { BackpressurePolicy } from '../core/frame-source.js';
import type { BufferPool } from './buffer-pool.js';
import type { Placement } from './padded-layout.js';

export interface SplitterCounters {
  frames: number;
  /** frames whose bytes were discarded because no buffer was free ('latest' policy) */
  dropped: number;
}

export class FrameSplitter {
  private current: Uint8Array | undefined;
  /** bytes of the current frame received so far (also counted while discarding) */
  private filled = 0;
  private discarding = false;
  /** bytes waiting for a free buffer ('wait' policy) */
  private pending: Uint8Array | undefined;
  readonly counters: SplitterCounters = { frames: 0, dropped: 0 };
  /** the last direct `target()`: bytes received into it are already in place */
  private direct: Uint8Array | undefined;
  /** where reads go that cannot go into a frame's buffer (none free, a dropped frame, a placed layout): then `write` */
  private scratch: Uint8Array | undefined;

  constructor(
    private readonly pool: BufferPool,
    private readonly onFrame: (buf: Uint8Array) => void,
    private readonly policy: BackpressurePolicy = 'wait',
    /** a frame was dropped for want of a buffer (after `counters.dropped` counts it) */
    private readonly onDrop?: () => void,
    /** the incoming frames are smaller than the buffers and placed into them (letterbox padding done here) */
    private readonly placement?: Placement,
  ) {}

  /** True while bytes wait for a free buffer: the owner should pause the input and call `drain()` on release. */
  get blocked(): boolean {
    return this.pending !== undefined;
  }

  write(chunk: Uint8Array): void {
    if (this.pending) {
      const joined = new Uint8Array(this.pending.length + chunk.length);
      joined.set(this.pending);
      joined.set(chunk, this.pending.length);
      this.pending = undefined;
      chunk = joined;
    }
    const size = this.placement?.bytes ?? this.pool.frameBytes;
    const place = this.placement;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.filled === 0 && this.current === undefined && !this.discarding) {
        this.current = this.pool.acquire();
        if (this.current === undefined) {
          if (this.policy === 'wait') {
            // keep a copy: the pipe may reuse the chunk's memory once we return
            this.pending = chunk.slice(offset);
            return;
          }
          this.discarding = true;
        }
      }
      const n = Math.min(size - this.filled, chunk.length - offset);
      if (!this.discarding) {
        if (place) place.copy(this.current!, chunk.subarray(offset, offset + n), this.filled);
        else this.current!.set(chunk.subarray(offset, offset + n), this.filled);
      }
      this.filled += n;
      offset += n;
      if (this.filled === size) this.complete();
    }
  }

  /**
   * Where the reader's next bytes go: the rest of the current frame's buffer (taken from the pool when a frame starts),
   * or a scratch buffer whose bytes `received` hands to `write` (no free buffer, a frame being dropped, a placed layout).
   */
  target(): Uint8Array {
    this.direct = undefined;
    if (!this.placement && !this.pending && !this.discarding) {
      if (this.current === undefined && this.filled === 0) this.current = this.pool.acquire();
      if (this.current) return (this.direct = this.current.subarray(this.filled, this.pool.frameBytes));
    }
    this.scratch ??= new Uint8Array(SCRATCH_BYTES);
    return this.scratch;
  }

  /** `n` bytes were read into `buf`, the last `target()`. False: pause the reader until `drain()` says nothing waits. */
  received(buf: Uint8Array, n: number): boolean {
    if (buf === this.direct) {
      this.direct = undefined;
      this.filled += n;
      if (this.filled === this.pool.frameBytes) this.complete();
    } else this.write(buf.subarray(0, n));
    return !this.blocked;
  }

  private complete(): void {
    this.filled = 0;
    if (this.discarding) {
      this.discarding = false;
      this.counters.dropped++;
      this.onDrop?.();
    } else {
      const buf = this.current!;
      this.current = undefined;
      this.counters.frames++;
      this.onFrame(buf);
    }
  }

  /** Retries bytes that waited for a buffer; returns true once nothing waits. */
  drain(): boolean {
    if (!this.pending) return true;
    const bytes = this.pending;
    this.pending = undefined;
    this.write(bytes);
    return this.pending === undefined;
  }

  /** Bytes of an incomplete frame (a stream that ends mid-frame is truncated, not a frame). */
  get pendingBytes(): number {
    return this.filled + (this.pending?.length ?? 0);
  }

  /** Returns the buffer of an incomplete frame to the pool. */
  dispose(): void {
    if (this.current) this.pool.release(this.current);
    this.current = undefined;
    this.pending = undefined;
    this.direct = undefined;
    this.filled = 0;
  }
}

/** A pipe's capacity: what one read brings at most */
const SCRATCH_BYTES = 64 * 1024;
