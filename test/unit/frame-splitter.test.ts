import assert from 'node:assert/strict';
import { BufferPool } from '../../sources/buffer-pool.js';
import { FrameSplitter } from '../../sources/frame-splitter.js';

const FRAME = 6;

/** `n` frames of FRAME bytes, each byte telling its frame and position apart: frame f, byte i = f * 16 + i. */
function stream(n: number): Uint8Array {
  return Uint8Array.from({ length: n * FRAME }, (_, k) => Math.floor(k / FRAME) * 16 + (k % FRAME));
}

function expectedFrame(f: number): number[] {
  return Array.from({ length: FRAME }, (_, i) => f * 16 + i);
}

/** Cuts `bytes` into chunks of the given sizes (the last size repeats). */
function chunks(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let off = 0;
  let i = 0;
  while (off < bytes.length) {
    const n = sizes[Math.min(i++, sizes.length - 1)];
    out.push(bytes.slice(off, off + n));
    off += n;
  }
  return out;
}

/** A splitter whose frames are copied out (contents) and handed back to the pool at once unless `keep`. */
function harness(capacity: number, policy: 'wait' | 'latest' = 'wait', keep = false) {
  const pool = new BufferPool(FRAME, capacity);
  const frames: number[][] = [];
  const held: Uint8Array[] = [];
  const splitter = new FrameSplitter(
    pool,
    (buf) => {
      frames.push(Array.from(buf));
      if (keep) held.push(buf);
      else pool.release(buf);
    },
    policy,
  );
  return { pool, frames, held, splitter };
}

describe('FrameSplitter', () => {
  describe('cutting exact frames from any chunking', () => {
    const cases: [string, number[]][] = [
      ['whole frames', [FRAME]],
      ['chunks smaller than a frame', [4]],
      ['chunks spanning two frames', [10]],
      ['chunks spanning three frames', [15]],
      ['one byte at a time', [1]],
      ['irregular chunks', [1, 7, 2, 13, 5, 3, 11]],
      ['everything in one chunk', [5 * FRAME]],
    ];
    for (const [name, sizes] of cases) {
      it(`gives 5 exact frames from ${name}`, () => {
        // given 5 frames of bytes cut at arbitrary boundaries
        const { frames, splitter, pool } = harness(2);
        // when every chunk is written
        for (const c of chunks(stream(5), sizes)) splitter.write(c);
        // then exactly those frames came out, byte for byte, and no buffer is left out
        assert.deepEqual(frames, [0, 1, 2, 3, 4].map(expectedFrame));
        assert.deepEqual(splitter.counters, { frames: 5, dropped: 0 });
        assert.equal(splitter.pendingBytes, 0);
        assert.equal(pool.inUse, 0);
      });
    }

    it('does not emit a frame until its last byte has arrived, and counts the partial bytes', () => {
      const { frames, splitter } = harness(2);
      const bytes = stream(2);
      splitter.write(bytes.subarray(0, FRAME - 1));
      assert.equal(frames.length, 0);
      assert.equal(splitter.pendingBytes, FRAME - 1);
      splitter.write(bytes.subarray(FRAME - 1, FRAME + 2));
      assert.deepEqual(frames, [expectedFrame(0)]);
      assert.equal(splitter.pendingBytes, 2);
    });

    it('copies the bytes, so a chunk reused by the pipe after write() does not change the frame', () => {
      const { frames, splitter, held } = harness(2, 'wait', true);
      const chunk = stream(1);
      splitter.write(chunk);
      chunk.fill(0xff);
      assert.deepEqual(Array.from(held[0]), expectedFrame(0));
      assert.deepEqual(frames, [expectedFrame(0)]);
    });
  });

  describe("'wait' policy", () => {
    it('keeps the bytes while no buffer is free, and delivers them exactly after a release and drain()', () => {
      // given a pool of one buffer that the consumer keeps
      const { pool, frames, held, splitter } = harness(1, 'wait', true);
      const bytes = stream(4);
      // when a chunk spanning frames 0..2 arrives (frame 0 takes the only buffer)
      splitter.write(bytes.subarray(0, 2 * FRAME + 3));
      // then frame 0 is out, the rest waits, and the splitter says so
      assert.deepEqual(frames, [expectedFrame(0)]);
      assert.equal(splitter.blocked, true);
      assert.equal(splitter.pendingBytes, FRAME + 3);
      // and more bytes written while blocked are kept too (a pipe may deliver one more chunk before pausing)
      splitter.write(bytes.subarray(2 * FRAME + 3, 3 * FRAME));
      assert.equal(splitter.blocked, true);
      assert.equal(splitter.pendingBytes, 2 * FRAME);
      // and drain() without a release changes nothing
      assert.equal(splitter.drain(), false);
      assert.equal(frames.length, 1);

      // when the consumer releases frame 0 and the owner drains
      pool.release(held.shift()!);
      const drained = splitter.drain();
      // then frame 1 comes out, frame 2 waits again for the (again taken) buffer
      assert.equal(drained, false);
      assert.deepEqual(frames, [expectedFrame(0), expectedFrame(1)]);
      assert.equal(splitter.blocked, true);

      pool.release(held.shift()!);
      assert.equal(splitter.drain(), true);
      assert.equal(splitter.blocked, false);
      assert.equal(splitter.pendingBytes, 0);

      // when the last frame arrives after everything drained
      pool.release(held.shift()!);
      splitter.write(bytes.subarray(3 * FRAME));
      // then nothing was lost or dropped, and every frame's bytes are exact
      assert.deepEqual(frames, [0, 1, 2, 3].map(expectedFrame));
      assert.deepEqual(splitter.counters, { frames: 4, dropped: 0 });
    });

    it('is drained by the pool’s onRelease listener, as an owner would wire it', () => {
      const { pool, frames, held, splitter } = harness(2, 'wait', true);
      pool.onRelease(() => splitter.drain());
      for (const c of chunks(stream(6), [1])) splitter.write(c);
      assert.equal(frames.length, 2);
      assert.equal(splitter.blocked, true);
      // when the consumer hands its buffers back one by one (each release drains one more frame into the freed
      // buffer, which the consumer keeps again, so this loop runs until nothing waits)
      let releases = 0;
      while (held.length) {
        pool.release(held.shift()!);
        releases++;
      }
      assert.equal(releases, 6);
      assert.deepEqual(frames, [0, 1, 2, 3, 4, 5].map(expectedFrame));
      assert.equal(splitter.blocked, false);
      assert.equal(splitter.counters.dropped, 0);
    });

    it('reports nothing blocked when drain() is called with nothing waiting', () => {
      const { splitter } = harness(1);
      assert.equal(splitter.blocked, false);
      assert.equal(splitter.drain(), true);
    });
  });

  describe("'latest' policy", () => {
    it('drops and counts frames that find no free buffer, keeping frame boundaries', () => {
      // given a pool of one buffer that the consumer keeps
      const { pool, frames, held, splitter } = harness(1, 'latest', true);
      const bytes = stream(5);
      // when frames 0..2 arrive in odd chunks
      for (const c of chunks(bytes.subarray(0, 3 * FRAME), [4, 5, 2, 7])) splitter.write(c);
      // then frame 0 got the buffer, frames 1 and 2 were dropped, and nothing waits
      assert.deepEqual(frames, [expectedFrame(0)]);
      assert.deepEqual(splitter.counters, { frames: 1, dropped: 2 });
      assert.equal(splitter.blocked, false);
      assert.equal(splitter.pendingBytes, 0);

      // when the buffer comes back mid-way through frame 3 (whose start was already discarded)
      splitter.write(bytes.subarray(3 * FRAME, 3 * FRAME + 2));
      pool.release(held.shift()!);
      splitter.write(bytes.subarray(3 * FRAME + 2));
      // then frame 3 is dropped whole, and frame 4 is delivered exactly (no torn frame)
      assert.deepEqual(frames, [expectedFrame(0), expectedFrame(4)]);
      assert.deepEqual(splitter.counters, { frames: 2, dropped: 3 });
    });
  });

  describe('dispose()', () => {
    it('returns the buffer of an incomplete frame to the pool', () => {
      const { pool, splitter, frames } = harness(1);
      splitter.write(stream(1).subarray(0, 3));
      assert.equal(pool.inUse, 1);
      splitter.dispose();
      assert.equal(pool.inUse, 0);
      assert.equal(splitter.pendingBytes, 0);
      // and the splitter starts a fresh frame afterwards
      splitter.write(stream(1));
      assert.deepEqual(frames, [expectedFrame(0)]);
    });

    it('forgets bytes that were waiting for a buffer', () => {
      const { pool, splitter, held } = harness(1, 'wait', true);
      splitter.write(stream(2).subarray(0, FRAME + 2));
      assert.equal(splitter.blocked, true);
      splitter.dispose();
      assert.equal(splitter.blocked, false);
      assert.equal(splitter.pendingBytes, 0);
      // the delivered frame is the consumer's, not the splitter's, so it stays out
      assert.equal(pool.inUse, 1);
      assert.equal(held.length, 1);
    });
  });

  describe('read into directly (target/received), as a named pipe is read', () => {
    /** Plays a reader: each read fills at most `max` bytes of the target, from `bytes`; stops when received() says pause. */
    function read(splitter: FrameSplitter, bytes: Uint8Array, at: { off: number }, max: number): boolean {
      while (at.off < bytes.length) {
        const t = splitter.target();
        const n = Math.min(max, t.length, bytes.length - at.off);
        t.set(bytes.subarray(at.off, at.off + n));
        at.off += n;
        if (!splitter.received(t, n)) return false;
      }
      return true;
    }

    it('lands the bytes in the pooled buffers themselves, exact frames from any read size', () => {
      for (const max of [1, 4, FRAME, 10, 64]) {
        const { pool, frames, splitter } = harness(2);
        const t0 = splitter.target();
        assert.equal(t0.length, FRAME, 'a whole frame buffer from the pool');
        assert.ok(read(splitter, stream(5), { off: 0 }, max));
        assert.deepEqual(frames, [0, 1, 2, 3, 4].map(expectedFrame), `reads of ${max}`);
        assert.equal(splitter.pendingBytes, 0);
        // the target handed out before the next frame's first byte is a pool buffer, taken back on dispose
        splitter.dispose();
        assert.equal(pool.inUse, 0);
        assert.ok(pool.allocated <= 2, 'no buffer but the pool\'s');
      }
    });

    it("'wait': with no free buffer the reader pauses and loses nothing; 'latest': the frame is dropped and counted", () => {
      const w = harness(1, 'wait', true);
      const at = { off: 0 };
      const bytes = stream(3);
      assert.equal(read(w.splitter, bytes, at, 4), false, 'paused while the only buffer is held');
      assert.equal(w.frames.length, 1);
      w.pool.release(w.held.shift()!);
      assert.equal(w.splitter.drain(), true);
      while (!read(w.splitter, bytes, at, 4)) {
        w.pool.release(w.held.shift()!);
        w.splitter.drain();
      }
      assert.deepEqual(w.frames, [0, 1, 2].map(expectedFrame));

      const l = harness(1, 'latest', true);
      assert.equal(read(l.splitter, stream(3), { off: 0 }, 4), true, 'never paused');
      assert.deepEqual(l.frames, [expectedFrame(0)]);
      assert.equal(l.splitter.counters.dropped, 2);
    });
  });
});
