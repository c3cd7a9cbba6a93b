// Cuts ffmpeg's raw video byte stream into exact frames, copying each byte once into a pooled buffer.
import type { BufferPool } from './buffer-pool.js';

export interface SplitterCounters {
  frames: number;
  /** frames whose bytes were discarded because no buffer was free */
  dropped: number;
}

export class FrameSplitter {
  private current: Uint8Array | undefined;
  /** bytes of the current frame received so far (also counted while discarding) */
  private filled = 0;
  private discarding = false;
  readonly counters: SplitterCounters = { frames: 0, dropped: 0 };

  constructor(
    private readonly pool: BufferPool,
    private readonly onFrame: (buf: Uint8Array) => void,
  ) {}

  write(chunk: Uint8Array): void {
    const size = this.pool.frameBytes;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.filled === 0) {
        this.current = this.pool.acquire();
        this.discarding = this.current === undefined;
      }
      const n = Math.min(size - this.filled, chunk.length - offset);
      if (!this.discarding) this.current!.set(chunk.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === size) {
        this.filled = 0;
        if (this.discarding) {
          this.counters.dropped++;
        } else {
          const buf = this.current!;
          this.current = undefined;
          this.counters.frames++;
          this.onFrame(buf);
        }
      }
    }
  }

  /** Bytes of an incomplete frame (a stream that ends mid-frame is truncated, not a frame). */
  get pendingBytes(): number {
    return this.filled;
  }

  /** Returns the buffer of an incomplete frame to the pool. */
  dispose(): void {
    if (this.current) this.pool.release(this.current);
    this.current = undefined;
    this.filled = 0;
  }
}
