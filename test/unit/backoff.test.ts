import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { Backoff, backoffCap, backoffDelay } from '../../sources/backoff.js';

describe('backoff', () => {
  it('doubles the cap from initialMs up to maxMs', () => {
    const opts = { initialMs: 500, maxMs: 10_000 };
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 60, 2000].map((a) => backoffCap(a, opts)), [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000]);
  });

  it('draws the delay uniformly below the cap (full jitter)', () => {
    const opts = { initialMs: 1000, maxMs: 8000 };
    assert.equal(backoffDelay(2, { ...opts, random: () => 0 }), 0);
    assert.equal(backoffDelay(2, { ...opts, random: () => 0.5 }), 2000);
    assert.equal(backoffDelay(2, { ...opts, random: () => 0.999999 }), 3999);
    assert.equal(backoffDelay(10, { ...opts, random: () => 0.999999 }), 7999);
  });

  it('spreads real draws over the whole range and never past the cap', () => {
    const opts = { initialMs: 100, maxMs: 1000 };
    const draws = Array.from({ length: 2000 }, () => backoffDelay(20, opts));
    assert.ok(draws.every((d) => d >= 0 && d < 1000));
    // full jitter, not "cap ± a little": both ends of the range are used
    assert.ok(draws.some((d) => d < 100) && draws.some((d) => d > 900), 'draws cover the range');
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    assert.ok(mean > 400 && mean < 600, `mean ${mean} near half the cap`);
  });

  it('steps up on each failure and starts over after reset', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 400, random: () => 0.5 });
    assert.deepEqual([b.next(), b.next(), b.next(), b.next()], [50, 100, 200, 200]);
    assert.equal(b.failures, 4);
    b.reset();
    assert.equal(b.failures, 0);
    assert.equal(b.next(), 50);
  });

  it('rejects nonsense bounds', () => {
    assert.throws(() => new Backoff({ initialMs: 0, maxMs: 10 }), RangeError);
    assert.throws(() => new Backoff({ initialMs: 100, maxMs: 10 }), /maxMs must be >= initialMs/);
  });

  it('retries on virtual time at the drawn delays (scheduler-driven, no sleeping)', () => {
    // given a retry loop that reschedules itself on a TestScheduler with the backoff's delays
    const scheduler = new TestScheduler(assert.deepEqual);
    scheduler.run(() => {
      const b = new Backoff({ initialMs: 1000, maxMs: 5000, random: () => 0.5 });
      const tries: number[] = [];
      const attempt = () => {
        tries.push(scheduler.now());
        if (tries.length < 6) scheduler.schedule(attempt, b.next());
      };
      attempt();
      scheduler.flush();
      // then the gaps are 500, 1000, 2000, 2500 (capped), 2500 ms of virtual time
      assert.deepEqual(tries, [0, 500, 1500, 3500, 6000, 8500]);
    });
  });
});
