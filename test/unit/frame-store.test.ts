import assert from 'node:assert/strict';
import type { Frame } from '../../core/types.js';
import { FrameStore } from '../../pipeline/frame-store.js';
import { BufferPool } from '../../sources/buffer-pool.js';

/** A pooled frame as a video source makes it: its picture goes back to the pool when its last holder releases it. */
function pooled(pool: BufferPool, camera: string, seq: number, value: number, holdable = true): Frame {
  const data = pool.acquire()!;
  data.fill(value);
  let holders = 1;
  return {
    camera, seq, pts: seq / 5, capturedAt: 0,
    format: { width: 4, height: 4, layout: 'gbrp', resize: 'letterbox', padValue: 114 },
    transform: { srcWidth: 2, srcHeight: 2, scaleX: 2, scaleY: 2, padX: 0, padY: 0 },
    data: new Uint8Array(0),
    picture: { width: 2, height: 2, data },
    ...(holdable ? { retain: () => void holders++ } : {}),
    release: () => {
      if (holders === 0 || --holders > 0) return;
      pool.release(data);
    },
  };
}

describe('FrameStore', () => {
  it('holds a pooled frame instead of copying it, until the camera\'s next frame replaces it or the store is disposed', () => {
    const pool = new BufferPool(12, 4);
    const store = new FrameStore();
    const first = pooled(pool, 'a', 0, 1);
    store.keep(first);
    first.release();
    assert.equal(pool.inUse, 1, 'the store still holds the first frame');
    assert.equal(store.latest('a')!.picture!.data, first.picture!.data, 'the very buffer, not a copy');
    const second = pooled(pool, 'a', 1, 2);
    store.keep(second);
    second.release();
    assert.equal(pool.inUse, 1, 'the first went back to the pool when the second replaced it');
    assert.equal(store.latest('a')!.meta.seq, 1);
    assert.equal(store.latest('a')!.picture!.data[0], 2);
    const other = pooled(pool, 'b', 0, 3);
    store.keep(other);
    other.release();
    assert.equal(pool.inUse, 2, 'one held frame per camera');
    store.dispose();
    assert.equal(pool.inUse, 0, 'dispose lets go of every held frame');
    assert.equal(store.latest('a'), undefined);
  });

  it('copies a frame that cannot be held (an upload\'s still), and lets go of a held one of the same camera', () => {
    const pool = new BufferPool(12, 4);
    const store = new FrameStore();
    const held = pooled(pool, 'a', 0, 1);
    store.keep(held);
    held.release();
    const still = pooled(pool, 'a', 1, 7, false);
    store.keep(still);
    still.release();
    assert.equal(pool.inUse, 0, 'the held frame was let go and the still released by its owner');
    // the copy survives its buffer's reuse
    const reuse = pool.acquire()!;
    reuse.fill(9);
    assert.deepEqual([...store.latest('a')!.picture!.data], new Array(12).fill(7));
  });
});
