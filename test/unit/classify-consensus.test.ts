// The consensus rules that turn classifier answers into sub-labels and states, with hand-made votes.
import assert from 'node:assert/strict';
import { ObjectConsensus, StateConsensus } from '../../pipeline/classify-consensus.js';

describe('classification consensus', () => {
  describe('objects (3 attempts, 60 % agreeing at score ≥ 0.8 by default)', () => {
    it('decides nothing before minAttempts, then the agreeing label with its mean score', () => {
      const c = new ObjectConsensus();
      c.add({ label: 'delivery', score: 0.9 });
      c.add({ label: 'delivery', score: 0.95 });
      assert.equal(c.decide(), null, 'two attempts are not enough');
      c.add({ label: 'visitor', score: 0.85 });
      const d = c.decide();
      assert.equal(d?.label, 'delivery');
      assert.ok(Math.abs(d!.score - 0.925) < 1e-9);
      assert.ok(Math.abs(d!.agree - 2 / 3) < 1e-9);
    });

    it('votes below the threshold do not count, and a split vote decides nothing', () => {
      const c = new ObjectConsensus();
      for (const score of [0.79, 0.5, 0.95]) c.add({ label: 'mine', score });
      assert.equal(c.decide(), null, 'one vote of three at ≥ 0.8 is 33 %');
      const split = new ObjectConsensus({ threshold: 0.5, minAttempts: 4, minAgree: 0.6 });
      for (const label of ['a', 'b', 'a', 'b']) split.add({ label, score: 0.9 });
      assert.equal(split.decide(), null);
      split.add({ label: 'a', score: 0.9 });
      assert.equal(split.decide()?.label, 'a');
    });

    it('refuses settings that cannot work', () => {
      assert.throws(() => new ObjectConsensus({ threshold: 0.8, minAttempts: 0, minAgree: 0.6 }), /minAttempts/);
      assert.throws(() => new ObjectConsensus({ threshold: 0.8, minAttempts: 3, minAgree: 1.5 }), /minAgree/);
    });
  });

  describe('states (K identical results in a row)', () => {
    it('changes only after runLength identical results; an interruption starts the count again', () => {
      const s = new StateConsensus(3);
      assert.deepEqual(['open', 'open', 'closed', 'open', 'open', 'open'].map((l) => s.add(l)), [null, null, null, null, null, 'open']);
      assert.equal(s.state, 'open');
      assert.deepEqual(['closed', 'closed', 'open', 'closed', 'closed', 'closed', 'closed'].map((l) => s.add(l)), [null, null, null, null, null, 'closed', null]);
      assert.equal(s.state, 'closed');
    });
  });
});
