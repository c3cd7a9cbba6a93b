import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { StallWatchdog } from '../../sources/watchdog.js';

describe('StallWatchdog (virtual time)', () => {
  const run = (body: (s: TestScheduler) => void) => {
    const scheduler = new TestScheduler(assert.deepEqual);
    scheduler.run(() => body(scheduler));
  };

  it('fires once when nothing kicks it for the timeout', () => {
    run((s) => {
      const stalls: number[] = [];
      const w = new StallWatchdog(1000, s, () => stalls.push(s.now()));
      w.start();
      s.flush();
      assert.deepEqual(stalls, [1000]);
      assert.equal(w.running, false);
    });
  });

  it('stays quiet while kicked, then fires one timeout after the last kick', () => {
    run((s) => {
      const stalls: { at: number; silent: number }[] = [];
      const w = new StallWatchdog(1000, s, (silent) => stalls.push({ at: s.now(), silent }));
      w.start();
      // frames every 300 ms until 3000 ms, then silence
      for (let t = 300; t <= 3000; t += 300) s.schedule(() => w.kick(), t);
      s.flush();
      assert.deepEqual(stalls, [{ at: 4000, silent: 1000 }]);
    });
  });

  it('does not fire after stop', () => {
    run((s) => {
      let fired = false;
      const w = new StallWatchdog(1000, s, () => (fired = true));
      w.start();
      s.schedule(() => w.stop(), 500);
      s.flush();
      assert.equal(fired, false);
    });
  });

  it('uses a longer first timeout, then the stall timeout once frames flow', () => {
    run((s) => {
      const stalls: number[] = [];
      const w = new StallWatchdog(500, s, () => stalls.push(s.now()));
      // the connection gets 3 s for its first frame, which comes at 2 s; then 500 ms between frames
      w.start(3000);
      s.schedule(() => {
        w.kick();
        w.setTimeout(500);
      }, 2000);
      s.flush();
      assert.deepEqual(stalls, [2500]);
    });
  });

  it('can be restarted after it fired', () => {
    run((s) => {
      const stalls: number[] = [];
      const w = new StallWatchdog(100, s, () => {
        stalls.push(s.now());
        if (stalls.length < 3) w.start();
      });
      w.start();
      s.flush();
      assert.deepEqual(stalls, [100, 200, 300]);
    });
  });

  it('rejects a non-positive timeout', () => {
    assert.throws(() => new StallWatchdog(0, new TestScheduler(assert.deepEqual), () => undefined), RangeError);
  });
});
