// Frame buffers are reused, never garbage: a pool of SharedArrayBuffer-backed views, so a frame can be read by the
// inference worker without a copy, and its memory returns here once the result is back.

export class BufferPool {
  private readonly free: Uint8Array[] = [];
  private total = 0;
  private readonly waiters = new Set<() => void>();

  /**
   * @param frameBytes size of each buffer
   * @param capacity buffers the pool hands out before `acquire()` says no
   * @param fill every byte of a new buffer (the letterbox padding the reader leaves alone: sources/padded-layout.ts)
   */
  constructor(
    readonly frameBytes: number,
    readonly capacity: number,
    private readonly fill = 0,
  ) {
    if (!(Number.isInteger(frameBytes) && frameBytes > 0)) throw new RangeError(`frameBytes must be a positive integer, got ${frameBytes}`);
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  /** A buffer, or undefined when `capacity` buffers are out (the caller decides: wait or drop). */
  acquire(): Uint8Array | undefined {
    const buf = this.free.pop();
    if (buf) return buf;
    if (this.total >= this.capacity) return undefined;
    this.total++;
    const fresh = new Uint8Array(new SharedArrayBuffer(this.frameBytes));
    if (this.fill !== 0) fresh.fill(this.fill);
    return fresh;
  }

  release(buf: Uint8Array): void {
    if (buf.byteLength !== this.frameBytes) throw new RangeError(`released a buffer of ${buf.byteLength} bytes into a pool of ${this.frameBytes}`);
    // a double release would hand one buffer to two owners later
    if (this.free.includes(buf)) throw new RangeError('released a buffer that is already free');
    this.free.push(buf);
    for (const w of [...this.waiters]) w();
  }

  /** Buffers currently handed out. */
  get inUse(): number {
    return this.total - this.free.length;
  }

  get allocated(): number {
    return this.total;
  }

  /** True when the next `acquire()` would succeed. */
  get hasFree(): boolean {
    return this.free.length > 0 || this.total < this.capacity;
  }

  /** Calls `fn` on every release until the returned function is called. */
  onRelease(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }
}
