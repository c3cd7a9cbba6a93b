import assert from 'node:assert/strict';
import { BufferPool } from '../../sources/buffer-pool.js';

describe('BufferPool', () => {
  it('hands out at most `capacity` buffers, then says no', () => {
    // given a pool of two 8-byte buffers
    const pool = new BufferPool(8, 2);
    // when three are asked for
    const a = pool.acquire();
    const b = pool.acquire();
    const c = pool.acquire();
    // then the third is refused and the counters agree
    assert.ok(a && b);
    assert.equal(c, undefined);
    assert.equal(pool.inUse, 2);
    assert.equal(pool.allocated, 2);
    assert.equal(pool.hasFree, false);
  });

  it('backs every buffer with its own SharedArrayBuffer of frameBytes bytes', () => {
    const pool = new BufferPool(12, 2);
    const a = pool.acquire()!;
    const b = pool.acquire()!;
    assert.ok(a.buffer instanceof SharedArrayBuffer);
    assert.equal(a.byteLength, 12);
    assert.equal(a.buffer.byteLength, 12);
    assert.notEqual(a.buffer, b.buffer);
  });

  it('reuses released buffers instead of allocating new ones', () => {
    // given a full pool of two
    const pool = new BufferPool(4, 2);
    const a = pool.acquire()!;
    const b = pool.acquire()!;
    // when one is released and another asked for
    pool.release(a);
    assert.equal(pool.hasFree, true);
    assert.equal(pool.inUse, 1);
    const again = pool.acquire();
    // then it is the very same buffer and nothing new was allocated
    assert.equal(again, a);
    assert.equal(pool.allocated, 2);
    assert.equal(pool.inUse, 2);
    pool.release(b);
    pool.release(again!);
    assert.equal(pool.inUse, 0);
    const seen = new Set([pool.acquire(), pool.acquire()]);
    assert.deepEqual(seen, new Set([a, b]));
    assert.equal(pool.allocated, 2);
  });

  it('allocates lazily, only when no released buffer is free', () => {
    const pool = new BufferPool(4, 3);
    assert.equal(pool.allocated, 0);
    const a = pool.acquire()!;
    pool.release(a);
    pool.acquire();
    assert.equal(pool.allocated, 1);
  });

  it('calls onRelease listeners on every release until detached', () => {
    // given a listener
    const pool = new BufferPool(4, 2);
    let calls = 0;
    const detach = pool.onRelease(() => calls++);
    const a = pool.acquire()!;
    const b = pool.acquire()!;
    // when buffers are released before and after detaching
    pool.release(a);
    pool.release(b);
    assert.equal(calls, 2);
    detach();
    pool.release(pool.acquire()!);
    // then the detached listener is not called again
    assert.equal(calls, 2);
  });

  it('sees a free buffer from inside a release listener', () => {
    const pool = new BufferPool(4, 1);
    const a = pool.acquire()!;
    let got: Uint8Array | undefined;
    pool.onRelease(() => (got = pool.acquire()));
    pool.release(a);
    assert.equal(got, a);
  });

  it('lets a listener detach itself while being called, without affecting the others', () => {
    const pool = new BufferPool(4, 1);
    const order: string[] = [];
    const detachA = pool.onRelease(() => {
      order.push('a');
      detachA();
    });
    pool.onRelease(() => order.push('b'));
    pool.release(pool.acquire()!);
    pool.release(pool.acquire()!);
    assert.deepEqual(order, ['a', 'b', 'b']);
  });

  it('throws a RangeError when a buffer of the wrong size is released', () => {
    const pool = new BufferPool(8, 1);
    assert.throws(() => pool.release(new Uint8Array(7)), RangeError);
    assert.throws(() => pool.release(new Uint8Array(new SharedArrayBuffer(16))), /16 bytes into a pool of 8/);
    // and the bad buffer did not join the pool
    assert.equal(pool.allocated, 0);
    assert.notEqual(pool.acquire()!.byteLength, 7);
  });

  it('rejects a non-positive or fractional frameBytes or capacity with a RangeError', () => {
    for (const [bytes, cap] of [[0, 1], [-1, 1], [1.5, 1], [4, 0], [4, 2.5], [Number.NaN, 1]]) {
      assert.throws(() => new BufferPool(bytes, cap), RangeError, `${bytes}, ${cap}`);
    }
  });
});
