import assert from 'node:assert/strict';
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import type { BatchOutput, DetectInput, Detector, DetectorInfo, DetectorStateChange } from '../../core/detector.js';
import { BatchLostError, DetectorSupervisor, restartDelay } from '../../models/detector-supervisor.js';
import { LookoutError } from '../../core/errors.js';

const info: DetectorInfo = {
  modelPath: 'fake.onnx',
  adapter: 'fake',
  labels: [],
  format: { width: 1, height: 1, layout: 'gray', resize: 'stretch', padValue: 0 },
  dynamicBatch: true,
  maxBatch: 4,
  provider: 'cpu',
  warnings: [],
  io: { inputs: [], outputs: [] },
};

/** A detector whose answers a test decides: `ok` resolves every call, `fail` rejects, `hang` never answers. */
class FakeDetector implements Detector {
  readonly info = info;
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  calls = 0;
  closed = false;
  constructor(readonly n: number) {}
  detect(frames: readonly DetectInput[]): Promise<BatchOutput> {
    this.calls++;
    if (this.closed) return Promise.reject(new LookoutError('LOOKOUT_ERR_DETECTOR_CLOSED', 'the detector is closed'));
    if (this.mode === 'fail') return Promise.reject(new LookoutError('LOOKOUT_ERR_INFERENCE', `inference worker exited with code 1 (#${this.n})`));
    if (this.mode === 'hang') return new Promise<BatchOutput>(() => undefined);
    return Promise.resolve({ results: frames.map(() => ({ detections: [], postprocessMs: 0 })), inferenceMs: 1 });
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const frame = (): DetectInput => ({ data: new Uint8Array(1), transform: { srcWidth: 1, srcHeight: 1, scaleX: 1, scaleY: 1, padX: 0, padY: 0 } });
/** Lets pending promise callbacks run. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

function setup(opts: { failCreates?: number; runTimeoutMs?: number; stableMs?: number } = {}) {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  const made: FakeDetector[] = [];
  let failCreates = opts.failCreates ?? 0;
  const factory = async () => {
    if (made.length > 0 && failCreates > 0) {
      failCreates--;
      throw new LookoutError('LOOKOUT_ERR_MODEL_LOAD', 'cannot load model fake.onnx: no such file');
    }
    const d = new FakeDetector(made.length);
    made.push(d);
    return d;
  };
  const states: (DetectorStateChange & { at: number })[] = [];
  /** runs virtual time forward to `t` ms, letting promises settle at every timer */
  const advanceTo = async (t: number) => {
    for (;;) {
      await settle();
      const next = scheduler.actions[0];
      if (!next || next.delay > t) break;
      scheduler.actions.shift();
      scheduler.frame = next.delay;
      // a cancelled timer answers with an error instead of running: nothing to do
      next.execute(next.state, next.delay);
    }
    scheduler.frame = Math.max(scheduler.frame, t);
    await settle();
  };
  return {
    scheduler,
    made,
    states,
    advanceTo,
    create: async () => {
      const s = await DetectorSupervisor.create(factory, { restart: { initialMs: 100, maxMs: 400 }, stableMs: opts.stableMs ?? 10_000, runTimeoutMs: opts.runTimeoutMs ?? 0, scheduler });
      s.states$.subscribe((x) => states.push({ ...x, at: scheduler.now() }));
      return s;
    },
  };
}

describe('DetectorSupervisor', () => {
  it('doubles the restart delay from initialMs up to maxMs, without jitter', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 50].map((a) => restartDelay(a, { initialMs: 500, maxMs: 30_000 })), [500, 1000, 2000, 4000, 8000, 30_000]);
  });

  it('loses the failed batch, restarts after the backoff, and runs batches that waited on the new detector', async () => {
    // given a running detector
    const t = setup();
    const s = await t.create();
    assert.equal((await s.detect([frame()])).results.length, 1);
    // when it fails
    t.made[0].mode = 'fail';
    await assert.rejects(s.detect([frame(), frame()]), (err: unknown) => err instanceof BatchLostError && err.code === 'LOOKOUT_ERR_BATCH_LOST' && /2 frames lost: inference worker exited/.test(err.message));
    // then it is closed and reported, and a batch sent now waits for the restart
    assert.equal(t.made[0].closed, true);
    assert.equal(s.status, 'restarting');
    assert.deepEqual(t.states.map((x) => [x.status, x.severity, x.code, x.restarts]), [['restarting', 'error', 'LOOKOUT_ERR_INFERENCE', 0]]);
    assert.match(t.states[0].message, /the detector failed \(inference worker exited with code 1 \(#0\)\); restarting in 100 ms/);
    let answered = false;
    const waiting = s.detect([frame()]).then((out) => ((answered = true), out));
    await t.advanceTo(99);
    assert.equal(answered, false, 'nothing runs before the delay');
    assert.equal(t.made.length, 1);
    await t.advanceTo(100);
    assert.equal(t.made.length, 2, 'a new detector');
    assert.equal((await waiting).results.length, 1);
    assert.equal(t.made[1].calls, 1, 'the waiting batch ran on the new one');
    assert.equal(s.status, 'running');
    assert.equal(s.restarts, 1);
    assert.deepEqual(t.states.at(-1), { status: 'running', severity: 'info', code: 'DETECTOR_RESTARTED', message: 'the detector is running again (1 restart so far)', restarts: 1, error: 'inference worker exited with code 1 (#0)', at: 100 });
    await s.close();
  });

  it('backs off exponentially while failures follow each other, and starts over once it ran stably', async () => {
    const t = setup({ stableMs: 1000 });
    const s = await t.create();
    const failNow = async () => {
      t.made.at(-1)!.mode = 'fail';
      await assert.rejects(s.detect([frame()]), BatchLostError);
    };
    const restartedAt: number[] = [];
    for (let i = 0; i < 4; i++) {
      const failedAt = t.scheduler.now();
      await failNow();
      await t.advanceTo(failedAt + 1000);
      restartedAt.push(t.made.length - 1 === i + 1 ? t.states.at(-1)!.at - failedAt : -1);
    }
    assert.deepEqual(restartedAt, [100, 200, 400, 400], 'delays double up to maxMs');
    // a detector that has run for stableMs starts from initialMs again
    await t.advanceTo(t.scheduler.now() + 1000);
    const failedAt = t.scheduler.now();
    await failNow();
    await t.advanceTo(failedAt + 1000);
    assert.equal(t.states.at(-1)!.at - failedAt, 100);
    assert.equal(s.restarts, 5);
    await s.close();
  });

  it('keeps retrying when the new detector cannot be made, and says why', async () => {
    const t = setup({ failCreates: 2 });
    const s = await t.create();
    t.made[0].mode = 'fail';
    await assert.rejects(s.detect([frame()]), BatchLostError);
    await t.advanceTo(100);
    await t.advanceTo(300);
    assert.equal(t.made.length, 1, 'two creates failed');
    assert.deepEqual(t.states.map((x) => x.status), ['restarting', 'restarting', 'restarting']);
    assert.match(t.states[1].message, /could not be restarted \(cannot load model fake\.onnx: no such file\); retrying in 200 ms/);
    await t.advanceTo(700);
    assert.equal(t.made.length, 2);
    assert.equal(s.status, 'running');
    await s.close();
  });

  it('one failure causes one restart, however many batches were in flight on the broken detector', async () => {
    const t = setup();
    const s = await t.create();
    t.made[0].mode = 'fail';
    const results = await Promise.allSettled([s.detect([frame()]), s.detect([frame()])]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    await t.advanceTo(1000);
    assert.equal(t.made.length, 2);
    assert.equal(s.restarts, 1);
    await s.close();
  });

  it('treats a run that never answers as a hung detector', async () => {
    const t = setup({ runTimeoutMs: 500 });
    const s = await t.create();
    t.made[0].mode = 'hang';
    const lost = assert.rejects(s.detect([frame()]), (err: Error) => err instanceof BatchLostError && /did not answer within 500 ms \(hung\)/.test(err.message));
    await t.advanceTo(500);
    await lost;
    assert.equal(t.made[0].closed, true);
    await t.advanceTo(600);
    assert.equal(s.status, 'running');
    assert.equal(t.made.length, 2);
    await s.close();
  });

  it('close() fails the batches waiting for a restart, closes what it made, and restarts nothing after', async () => {
    const t = setup();
    const s = await t.create();
    t.made[0].mode = 'fail';
    await assert.rejects(s.detect([frame()]), BatchLostError);
    const waiting = s.detect([frame()]);
    await s.close();
    await assert.rejects(waiting, { code: 'LOOKOUT_ERR_DETECTOR_CLOSED' });
    await t.advanceTo(10_000);
    assert.equal(t.made.length, 1, 'no restart after close');
    await assert.rejects(s.detect([frame()]), { code: 'LOOKOUT_ERR_DETECTOR_CLOSED' });
    await s.close();
  });
});
