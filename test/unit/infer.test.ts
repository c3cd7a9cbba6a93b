import assert from 'node:assert/strict';
import { Subject, take, tap, VirtualAction, VirtualTimeScheduler, type Subscription } from 'rxjs';
import type { BatchOutput, DetectInput, Detector, DetectorInfo } from '../../core/detector.js';
import { BatchLostError } from '../../models/detector-supervisor.js';
import { inferFrames, metaOf, type InferOptions } from '../../pipeline/infer.js';
import type { Frame, FrameFormat, FrameResult } from '../../core/types.js';

const format: FrameFormat = { width: 1, height: 1, layout: 'gray', resize: 'stretch', padValue: 0 };

/**
 * A detector that answers one detection per frame whose classId is the frame's `data[0]` (so a result can be traced to
 * the frame it came from), and records each batch. `manual`: each call waits for `resolveNext()` / `rejectNext()`.
 */
class EchoDetector implements Detector {
  readonly info: DetectorInfo;
  /** data[0] of every frame of every call, in call order */
  readonly batches: number[][] = [];
  private readonly waiting: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  closed = false;

  constructor(opts: { dynamicBatch: boolean; maxBatch: number; manual?: boolean }) {
    this.info = {
      modelPath: 'echo.onnx',
      adapter: 'echo',
      labels: [],
      format,
      dynamicBatch: opts.dynamicBatch,
      maxBatch: opts.maxBatch,
      provider: 'cpu',
      warnings: [],
      io: { inputs: [], outputs: [] },
    };
    this.manual = opts.manual ?? false;
  }
  private readonly manual: boolean;

  get sizes(): number[] {
    return this.batches.map((b) => b.length);
  }
  get inFlight(): number {
    return this.waiting.length;
  }

  detect(frames: readonly DetectInput[]): Promise<BatchOutput> {
    const ids = frames.map((f) => f.data[0]);
    this.batches.push(ids);
    const output = (): BatchOutput => ({
      results: ids.map((id) => ({ detections: [{ label: `id${id}`, classId: id, score: 1, box: [0, 0, 1, 1] }], postprocessMs: 0.5 })),
      inferenceMs: 7,
    });
    if (!this.manual) return Promise.resolve(output());
    return new Promise<BatchOutput>((resolve, reject) => this.waiting.push({ resolve: () => resolve(output()), reject }));
  }
  resolveNext(): void {
    this.waiting.shift()!.resolve();
  }
  rejectNext(err: unknown): void {
    this.waiting.shift()!.reject(err);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Lets every pending promise callback (detect results, the `finally` that starts the next batch) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs the pipeline on a Subject under virtual time, with frames that count their releases. */
function setup(detector: EchoDetector, options: Partial<InferOptions> = {}) {
  const scheduler = new VirtualTimeScheduler(VirtualAction);
  const source = new Subject<Frame>();
  const results: FrameResult[] = [];
  const events: string[] = [];
  const batchInfo: { size: number; inferenceMs: number; queueDepth: number; regions: number }[] = [];
  const byId = new Map<number, Frame>();
  const releases = new Map<number, number>();
  let error: unknown;
  let nextId = 1;
  const seqs = new Map<string, number>();

  const opts: InferOptions = {
    maxSize: 4,
    maxWaitMs: 15,
    cameras: 3,
    scheduler,
    now: () => scheduler.now(),
    onBatch: (info) => batchInfo.push(info),
    ...options,
  };

  const subscribe = (pipe = (o: ReturnType<ReturnType<typeof inferFrames>>) => o): Subscription =>
    pipe(source.pipe(inferFrames(detector, opts))).subscribe({
      next: (r) => {
        results.push(r);
        events.push(`next ${r.frame.camera}#${r.frame.seq}`);
      },
      error: (err: unknown) => {
        error = err;
        events.push('error');
      },
      complete: () => events.push('complete'),
    });

  /** Pushes a new frame of `camera` (next seq) captured now; returns its id (its data[0]). */
  const push = (camera: string, regions?: [number, number, number, number][]): number => {
    const id = nextId++;
    const seq = seqs.get(camera) ?? 0;
    seqs.set(camera, seq + 1);
    const data = new Uint8Array(new SharedArrayBuffer(1));
    data[0] = id;
    const frame: Frame = {
      camera,
      seq,
      pts: seq / 5,
      capturedAt: scheduler.now(),
      format,
      transform: { srcWidth: 1, srcHeight: 1, scaleX: 1, scaleY: 1, padX: 0, padY: 0 },
      data,
      ...(regions ? { regions, picture: { width: 1, height: 1, data: new Uint8Array(3) } } : {}),
      release: () => releases.set(id, (releases.get(id) ?? 0) + 1),
    };
    byId.set(id, frame);
    source.next(frame);
    return id;
  };

  /** Lets promise callbacks run (they may start timers), moves virtual time to `t` running the timers due by then, and
   * lets the promise callbacks those started run. */
  const advance = async (t: number) => {
    await settle();
    scheduler.maxFrames = t;
    scheduler.flush();
    scheduler.frame = t;
    await settle();
  };

  const released = (id: number) => releases.get(id) ?? 0;
  /** ids of the results, in order, as `camera#seq` */
  const got = () => results.map((r) => `${r.frame.camera}#${r.frame.seq}`);

  return { scheduler, source, results, events, batchInfo, byId, releases, released, subscribe, push, advance, got, error: () => error };
}

const dynamic = (manual = false) => new EchoDetector({ dynamicBatch: true, maxBatch: 8, manual });

describe('inferFrames operator', () => {
  describe('forming batches', () => {
    it('sends frames from all cameras that arrive together as one batch, without waiting', async () => {
      // given 3 cameras, maxSize 4, maxWaitMs 15
      const detector = dynamic();
      const t = setup(detector);
      t.subscribe();
      // when one frame of each camera arrives at t=0
      const ids = [t.push('A'), t.push('B'), t.push('C')];
      await settle();
      // then one batch of 3 went at once, and no timer is left
      assert.deepEqual(detector.batches, [ids]);
      assert.deepEqual(t.got(), ['A#0', 'B#0', 'C#0']);
      assert.equal(t.scheduler.actions.length, 0);
      assert.ok(t.results.every((r) => r.timings.batchSize === 3 && r.timings.queuedMs === 0));
    });

    it('holds a lone frame back maxWaitMs for company, then sends it alone', async () => {
      const detector = dynamic();
      const t = setup(detector);
      t.subscribe();
      // given a single frame at t=0
      t.push('A');
      await t.advance(14);
      // then nothing has been sent 1 ms before the deadline
      assert.deepEqual(detector.sizes, []);
      assert.equal(t.results.length, 0);
      // and at maxWaitMs it goes alone
      await t.advance(15);
      assert.deepEqual(detector.sizes, [1]);
      assert.deepEqual(t.got(), ['A#0']);
      assert.equal(t.results[0].timings.queuedMs, 15);
    });

    it('lets a frame that arrives during the wait join the batch, without restarting the clock', async () => {
      const detector = dynamic();
      const t = setup(detector);
      t.subscribe();
      t.push('A');
      await t.advance(10);
      t.push('B');
      await t.advance(14);
      assert.deepEqual(detector.sizes, []);
      await t.advance(15);
      assert.deepEqual(detector.sizes, [2]);
      assert.deepEqual(t.got(), ['A#0', 'B#0']);
      assert.deepEqual(t.results.map((r) => r.timings.queuedMs), [15, 5]);
    });

    it('sends as soon as the last camera adds its frame, before the deadline', async () => {
      const detector = dynamic();
      const t = setup(detector);
      t.subscribe();
      t.push('A');
      await t.advance(5);
      t.push('B');
      await t.advance(12);
      t.push('C');
      await settle();
      assert.deepEqual(detector.sizes, [3]);
      assert.equal(t.scheduler.actions.length, 0, 'the timer was cancelled');
      // and nothing more happens when the old deadline passes
      await t.advance(30);
      assert.deepEqual(detector.sizes, [3]);
    });

    it('sends a full batch of maxSize at once even from fewer cameras', async () => {
      const detector = dynamic();
      const t = setup(detector);
      t.subscribe();
      for (let i = 0; i < 4; i++) t.push('A');
      await settle();
      assert.deepEqual(detector.sizes, [4]);
    });

    it('never waits with a fixed-batch detector, and sends batches of 1', async () => {
      // given a detector that takes one frame per call, asked for batches of 4
      const detector = new EchoDetector({ dynamicBatch: false, maxBatch: 1 });
      const t = setup(detector);
      t.subscribe();
      // when 3 frames arrive together and one more later
      t.push('A');
      t.push('B');
      t.push('C');
      await settle();
      // then each went alone, one after the other, without any time passing
      assert.deepEqual(detector.sizes, [1, 1, 1]);
      assert.equal(t.scheduler.now(), 0);
      assert.equal(t.scheduler.actions.length, 0);
      t.push('A');
      await settle();
      assert.deepEqual(detector.sizes, [1, 1, 1, 1]);
      assert.deepEqual(t.got(), ['A#0', 'B#0', 'C#0', 'A#1']);
      assert.ok(t.results.every((r) => r.timings.batchSize === 1));
    });

    it('never waits with a fixed-batch detector even when it accepts several frames per call', async () => {
      // (its frames run one by one anyway, so holding one back for company only adds latency)
      const detector = new EchoDetector({ dynamicBatch: false, maxBatch: 4 });
      const t = setup(detector);
      t.subscribe();
      t.push('A');
      await settle();
      assert.deepEqual(detector.sizes, [1]);
      assert.equal(t.scheduler.actions.length, 0);
    });

    it('never waits with a dynamic detector whose maxBatch is 1', async () => {
      const detector = new EchoDetector({ dynamicBatch: true, maxBatch: 1 });
      const t = setup(detector);
      t.subscribe();
      t.push('A');
      await settle();
      assert.deepEqual(detector.sizes, [1]);
      assert.equal(t.scheduler.actions.length, 0);
    });

    it('caps batches at the detector’s maxBatch', async () => {
      const detector = new EchoDetector({ dynamicBatch: true, maxBatch: 2 });
      const t = setup(detector);
      t.subscribe();
      t.push('A');
      t.push('B');
      t.push('C');
      await settle();
      await t.advance(15);
      assert.equal(detector.sizes[0], 2);
      assert.deepEqual(detector.sizes, [2, 1]);
      assert.equal(t.results.length, 3);
    });

    it('queues a full batch behind the one in flight, and holds a partial one back until the detector is free', async () => {
      // given a batch of 3 in flight
      const detector = dynamic(true);
      const t = setup(detector);
      t.subscribe();
      const first = [t.push('A'), t.push('B'), t.push('C')];
      await settle();
      assert.deepEqual(detector.batches, [first]);
      // when 6 more frames arrive meanwhile
      const more: number[] = [];
      for (let i = 0; i < 2; i++) for (const c of ['A', 'B', 'C']) more.push(t.push(c));
      await settle();
      // then a full batch of maxSize queues up behind the running one at once, round-robin across cameras
      assert.equal(detector.batches.length, 2);
      assert.deepEqual(detector.batches[1], [more[0], more[1], more[2], more[3]]);
      // when the first batch returns, the two left over do not queue behind the running one: a partial batch waits
      detector.resolveNext();
      await settle();
      assert.equal(detector.batches.length, 2);
      detector.resolveNext();
      await settle();
      // (onBatch reports, once a batch is back, how many frames were left waiting when it was cut)
      assert.deepEqual(t.batchInfo.map((b) => [b.size, b.queueDepth]), [[3, 0], [4, 0]]);
      // and the remaining two (cameras B and C) go after at most maxWaitMs more
      await t.advance(15);
      assert.deepEqual(detector.batches[2], [more[4], more[5]]);
      detector.resolveNext();
      await settle();
      assert.deepEqual(detector.sizes, [3, 4, 2]);
      assert.deepEqual(t.got(), ['A#0', 'B#0', 'C#0', 'A#1', 'B#1', 'C#1', 'A#2', 'B#2', 'C#2']);
    });

    it("keeps only the newest queued frames of a 'latest' camera while a batch is in flight: two by default", async () => {
      const detector = dynamic(true);
      const t = setup(detector, { policyOf: (camera) => (camera === 'live' ? 'latest' : 'wait') });
      t.subscribe();
      const a0 = t.push('file');
      await t.advance(15);
      assert.deepEqual(detector.batches, [[a0]]);
      const live = [t.push('live'), t.push('live'), t.push('live')];
      assert.deepEqual(live.map(t.released), [1, 0, 0], 'the oldest of three released, the newest two wait');
      detector.resolveNext();
      await t.advance(30);
      assert.deepEqual(detector.batches[1], [live[1], live[2]]);
    });

    it("keeps only the newest queued frame of a 'latest' camera while a batch is in flight (latestDepth 1)", async () => {
      const detector = dynamic(true);
      const t = setup(detector, { policyOf: (camera) => (camera === 'live' ? 'latest' : 'wait'), latestDepth: 1 });
      t.subscribe();
      const a0 = t.push('file');
      await t.advance(15);
      assert.deepEqual(detector.batches, [[a0]]);
      // while it is in flight, the live camera sends 3 frames and the file 2
      const live = [t.push('live'), t.push('live'), t.push('live')];
      const file = [t.push('file'), t.push('file')];
      // then the two older live frames are already released, never to be detected
      assert.deepEqual(live.map(t.released), [1, 1, 0]);
      detector.resolveNext();
      await t.advance(30);
      assert.deepEqual(detector.batches[1], [file[0], live[2], file[1]]);
      detector.resolveNext();
      await settle();
      assert.deepEqual([a0, ...live, ...file].map(t.released), [1, 1, 1, 1, 1, 1]);
      assert.equal(t.results.length, 4);
    });
  });

  describe('results', () => {
    it('hands each frame to onFrame right before its own result, so the store holds that frame when the result is seen', async () => {
      // given one batch holding two frames of the same camera
      const kept: string[] = [];
      const t = setup(dynamic(), { onFrame: (f) => kept.push(`${f.camera}#${f.seq}`) });
      const seenWith: string[] = [];
      t.subscribe((o) => o.pipe(tap((r) => seenWith.push(`${r.frame.camera}#${r.frame.seq} store ${kept.at(-1)}`))));
      t.push('A');
      t.push('A');
      t.push('B');
      t.push('A');
      await t.advance(20);
      // then every result is seen while the frame store's newest frame is that result's own frame
      assert.equal(t.batchInfo[0]?.size, 4, 'the four frames went as one batch');
      assert.equal(seenWith.length, 4);
      for (const line of seenWith) assert.equal(line.split(' store ')[0], line.split(' store ')[1]);
    });

    it('maps every result to its own camera and seq, and releases every frame exactly once', async () => {
      // given frames of 3 cameras arriving at uneven times, some while batches are in flight
      const detector = dynamic(true);
      const t = setup(detector);
      t.subscribe();
      const pattern = ['A', 'A', 'B', 'A', 'C', 'C', 'B', 'A', 'A', 'A', 'C', 'B', 'B', 'A'];
      const ids: number[] = [];
      for (const [i, camera] of pattern.entries()) {
        ids.push(t.push(camera));
        await t.advance((i + 1) * 4);
        if (detector.inFlight && i % 3 === 0) detector.resolveNext();
        await settle();
      }
      t.source.complete();
      while (detector.inFlight) {
        detector.resolveNext();
        await settle();
      }
      // then every frame produced exactly one result, whose detection echoes that frame's data
      assert.equal(t.results.length, pattern.length);
      for (const r of t.results) {
        const id = r.detections[0].classId;
        const frame = t.byId.get(id)!;
        assert.deepEqual([r.frame.camera, r.frame.seq], [frame.camera, frame.seq]);
        assert.deepEqual(r.frame, metaOf(frame));
      }
      assert.deepEqual(new Set(t.results.map((r) => r.detections[0].classId)), new Set(ids));
      // and per camera, results come in seq order
      for (const c of ['A', 'B', 'C']) {
        const seqs = t.results.filter((r) => r.frame.camera === c).map((r) => r.frame.seq);
        assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
      }
      // and every frame was released exactly once
      assert.deepEqual(ids.map(t.released), ids.map(() => 1));
      // and batches never exceeded maxSize, and onBatch saw every one
      assert.ok(detector.sizes.every((n) => n >= 1 && n <= 4));
      assert.deepEqual(t.batchInfo.map((b) => b.size), detector.sizes);
      assert.ok(t.batchInfo.every((b) => b.inferenceMs === 7));
      assert.equal(t.events.at(-1), 'complete');
    });

    it('carries the detector’s timings and the batch size into each result', async () => {
      const detector = dynamic();
      const t = setup(detector);
      t.subscribe();
      t.push('A');
      await t.advance(5);
      t.push('B');
      await t.advance(15);
      assert.deepEqual(
        t.results.map((r) => r.timings),
        [
          { queuedMs: 15, inferenceMs: 7, postprocessMs: 0.5, batchSize: 2 },
          { queuedMs: 10, inferenceMs: 7, postprocessMs: 0.5, batchSize: 2 },
        ],
      );
      // and the result carries no pixels
      assert.ok(!('data' in t.results[0].frame));
    });

    it('releases every frame of a batch even when the consumer unsubscribes after the first result', async () => {
      const detector = dynamic();
      const t = setup(detector);
      t.subscribe((o) => o.pipe(take(1)));
      const ids = [t.push('A'), t.push('B'), t.push('C')];
      await settle();
      assert.equal(t.results.length, 1);
      assert.deepEqual(ids.map(t.released), [1, 1, 1]);
    });
  });

  describe('completion', () => {
    it('completes only after the last batch’s results', async () => {
      // given a batch in flight when the source completes
      const detector = dynamic(true);
      const t = setup(detector);
      t.subscribe();
      t.push('A');
      t.push('B');
      t.push('C');
      await settle();
      t.source.complete();
      await settle();
      // then the stream is still open
      assert.deepEqual(t.events, []);
      // when the batch returns
      detector.resolveNext();
      await settle();
      // then its results come, and only then the completion
      assert.deepEqual(t.events, ['next A#0', 'next B#0', 'next C#0', 'complete']);
    });

    it('sends a partial batch at once when the source completes, instead of waiting', async () => {
      const detector = dynamic();
      const t = setup(detector);
      t.subscribe();
      t.push('A');
      t.source.complete();
      await settle();
      assert.deepEqual(detector.sizes, [1]);
      assert.equal(t.scheduler.now(), 0);
      assert.equal(t.scheduler.actions.length, 0);
      assert.deepEqual(t.events, ['next A#0', 'complete']);
    });

    it('drains frames queued behind an in-flight batch before completing', async () => {
      const detector = dynamic(true);
      const t = setup(detector);
      t.subscribe();
      t.push('A');
      t.push('A');
      t.push('B');
      t.push('C');
      await settle();
      assert.deepEqual(detector.sizes, [4]);
      t.push('B');
      t.source.complete();
      detector.resolveNext();
      await settle();
      // the last frame goes without waiting, the source being done
      assert.deepEqual(detector.sizes, [4, 1]);
      assert.ok(!t.events.includes('complete'));
      detector.resolveNext();
      await settle();
      assert.equal(t.events.at(-1), 'complete');
      assert.equal(t.results.length, 5);
    });

    it('completes at once for an empty source', async () => {
      const detector = dynamic();
      const t = setup(detector);
      t.subscribe();
      t.source.complete();
      await settle();
      assert.deepEqual(t.events, ['complete']);
      assert.deepEqual(detector.sizes, []);
    });
  });

  describe('errors and teardown', () => {
    it('propagates a detector error and releases the batch’s frames and the queued ones', async () => {
      // given a batch in flight and a frame queued behind it
      const detector = dynamic(true);
      const t = setup(detector);
      t.subscribe();
      const batch = [t.push('A'), t.push('B'), t.push('C')];
      await settle();
      const queued = t.push('A');
      // when the detector fails
      const boom = new Error('boom');
      detector.rejectNext(boom);
      await settle();
      // then the error reaches the subscriber, with no results, and every frame is released once
      assert.deepEqual(t.events, ['error']);
      assert.equal(t.error(), boom);
      assert.deepEqual([...batch, queued].map(t.released), [1, 1, 1, 1]);
      // and nothing else is sent
      await t.advance(100);
      assert.equal(detector.batches.length, 1);
    });

    it('a batch a supervised detector lost is dropped and counted per camera, and the stream goes on', async () => {
      // given a batch in flight and a frame queued behind it
      const detector = dynamic(true);
      const drops: string[] = [];
      const t = setup(detector, { onDrop: (camera) => drops.push(camera) });
      t.subscribe();
      const batch = [t.push('A'), t.push('B'), t.push('C')];
      await settle();
      const queued = t.push('A');
      // when the detector loses the batch (it restarts by itself)
      detector.rejectNext(new BatchLostError('3 frames lost: inference worker exited with code 1'));
      await t.advance(15);
      // then no error: the lost frames are released and counted, and the queued frame goes to the detector next
      assert.deepEqual(t.events, []);
      assert.deepEqual(batch.map(t.released), [1, 1, 1]);
      assert.deepEqual(drops, ['A', 'B', 'C']);
      assert.deepEqual(detector.batches.at(-1), [queued]);
      detector.resolveNext();
      await settle();
      assert.deepEqual(t.got(), ['A#1']);
      assert.equal(t.released(queued), 1);
    });

    it('propagates a source error and releases the queued frames', async () => {
      const detector = dynamic();
      const t = setup(detector);
      t.subscribe();
      const id = t.push('A');
      const boom = new Error('source');
      t.source.error(boom);
      await settle();
      assert.equal(t.error(), boom);
      assert.equal(t.released(id), 1);
      await t.advance(15);
      assert.deepEqual(detector.sizes, []);
      assert.equal(t.released(id), 1);
    });

    it('releases queued frames and cancels the timer on unsubscribe; the batch in flight is released when it returns', async () => {
      // given one batch in flight, and frames queued behind it
      const detector = dynamic(true);
      const t = setup(detector);
      const sub = t.subscribe();
      const inFlight = [t.push('A'), t.push('B'), t.push('C')];
      await settle();
      const queued = [t.push('A'), t.push('B')];
      // when the consumer unsubscribes
      sub.unsubscribe();
      // then the queued frames are released at once, the in-flight ones not yet
      assert.deepEqual(queued.map(t.released), [1, 1]);
      assert.deepEqual(inFlight.map(t.released), [0, 0, 0]);
      // when the batch returns
      detector.resolveNext();
      await settle();
      // then its frames are released once, no result is emitted, and no further batch is sent
      assert.deepEqual([...inFlight, ...queued].map(t.released), [1, 1, 1, 1, 1]);
      assert.deepEqual(t.events, []);
      assert.equal(detector.batches.length, 1);
    });

    it('cancels a pending batch timer on unsubscribe', async () => {
      const detector = dynamic();
      const t = setup(detector);
      const sub = t.subscribe();
      const id = t.push('A');
      assert.equal(t.scheduler.actions.length, 1);
      sub.unsubscribe();
      assert.equal(t.scheduler.actions.length, 0);
      assert.equal(t.released(id), 1);
      await t.advance(15);
      assert.deepEqual(detector.sizes, []);
    });
  });

  describe('regions', () => {
    it('batches regions of two cameras together; a frame with no region leaves after its camera’s earlier frame', async () => {
      const detector = dynamic(true);
      const t = setup(detector, { cameras: 2 });
      t.subscribe();
      const a = t.push('A', [[0, 0, 1, 1], [0, 0, 1, 1]]);
      const b = t.push('B', [[0, 0, 1, 1]]);
      await settle();
      // one batch of three inputs: A's two regions and B's one, round-robin
      assert.deepEqual(detector.batches, [[a, b, a]]);
      // a skipped frame of A (nothing to look at) waits for A's frame in flight
      const skipped = t.push('A', []);
      await settle();
      assert.deepEqual(t.got(), []);
      // its pixels stay until it leaves: the frame store must see A's frames in order (right before each result)
      assert.equal(t.released(skipped), 0, 'held until its turn');
      detector.resolveNext();
      await settle();
      assert.deepEqual(t.got(), ['B#0', 'A#0', 'A#1']);
      const [rb, ra, rs] = t.results;
      assert.equal(ra.detections.length, 1, 'the same object in two regions comes out once');
      assert.equal(ra.regions?.length, 2);
      assert.equal(rb.timings.batchSize, 3);
      assert.deepEqual([rs.detections, rs.regions, rs.timings.batchSize], [[], [], 0]);
      assert.deepEqual(t.batchInfo.map((x) => [x.size, x.regions]), [[3, 3]]);
      assert.deepEqual([t.released(a), t.released(b), t.released(skipped)], [1, 1, 1]);
    });
  });
});
