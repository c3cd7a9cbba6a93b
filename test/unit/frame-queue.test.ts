import assert from 'node:assert/strict';
import { FrameQueue, type Taken } from '../../pipeline/frame-queue.js';
import type { Frame, FrameFormat } from '../../core/types.js';

const format: FrameFormat = { width: 2, height: 1, layout: 'gray', resize: 'stretch', padValue: 0 };

/** Frames that count their releases. */
function frameMaker() {
  const releases = new Map<string, number>();
  const make = (camera: string, seq: number): Frame => ({
    camera,
    seq,
    pts: seq / 10,
    capturedAt: 1000 + seq,
    format,
    transform: { srcWidth: 2, srcHeight: 1, scaleX: 1, scaleY: 1, padX: 0, padY: 0 },
    data: new Uint8Array(new SharedArrayBuffer(2)),
    release: () => releases.set(`${camera}#${seq}`, (releases.get(`${camera}#${seq}`) ?? 0) + 1),
  });
  return { make, releases };
}

const ids = (taken: Taken<Frame>[]) => taken.map((t) => `${t.item.camera}#${t.item.seq}`);

describe('FrameQueue', () => {
  describe('take()', () => {
    it('takes one frame per camera per round, so a busy camera does not starve the others', () => {
      // given A with 10 frames, B with 1, C with 3, pushed camera by camera
      const { make } = frameMaker();
      const q = new FrameQueue<Frame>();
      for (let i = 0; i < 10; i++) q.push(make('A', i));
      q.push(make('B', 0));
      for (let i = 0; i < 3; i++) q.push(make('C', i));
      assert.equal(q.size, 14);
      assert.equal(q.camerasWaiting, 3);
      // when a batch of 3 is taken
      // then it has one frame of each camera, oldest first
      assert.deepEqual(ids(q.take(3)), ['A#0', 'B#0', 'C#0']);
      assert.equal(q.size, 11);
      assert.equal(q.camerasWaiting, 2);
    });

    it('continues from where the last batch stopped and skips empty cameras', () => {
      const { make } = frameMaker();
      const q = new FrameQueue<Frame>();
      for (let i = 0; i < 10; i++) q.push(make('A', i));
      q.push(make('B', 0));
      for (let i = 0; i < 3; i++) q.push(make('C', i));
      // A B | C A | (B empty) C A ...
      assert.deepEqual(ids(q.take(2)), ['A#0', 'B#0']);
      assert.deepEqual(ids(q.take(2)), ['C#0', 'A#1']);
      assert.deepEqual(ids(q.take(4)), ['C#1', 'A#2', 'C#2', 'A#3']);
      // once only A has frames, it gets the whole batch
      assert.deepEqual(ids(q.take(3)), ['A#4', 'A#5', 'A#6']);
      assert.equal(q.size, 3);
    });

    it('does not favour the first camera when batches are smaller than the number of cameras', () => {
      // given three cameras that always have frames
      const { make } = frameMaker();
      const q = new FrameQueue<Frame>();
      const counts: Record<string, number> = { A: 0, B: 0, C: 0 };
      for (let i = 0; i < 20; i++) for (const c of ['A', 'B', 'C']) q.push(make(c, i));
      // when batches of 2 are taken 9 times
      for (let i = 0; i < 9; i++) for (const t of q.take(2)) counts[t.item.camera]++;
      // then each camera got the same share
      assert.deepEqual(counts, { A: 6, B: 6, C: 6 });
    });

    it('returns fewer than asked, or nothing, when the queue runs dry', () => {
      const { make } = frameMaker();
      const q = new FrameQueue<Frame>();
      assert.deepEqual(q.take(4), []);
      q.push(make('A', 0));
      q.push(make('B', 0));
      assert.deepEqual(ids(q.take(4)), ['A#0', 'B#0']);
      assert.deepEqual(q.take(4), []);
      assert.equal(q.size, 0);
    });

    it('counts registered cameras, with or without frames', () => {
      const q = new FrameQueue<Frame>();
      q.register('A', 'wait');
      q.register('B', 'latest');
      q.register('A', 'latest');
      assert.equal(q.cameras, 2);
      assert.equal(q.camerasWaiting, 0);
      assert.deepEqual(q.take(1), []);
    });
  });

  describe("'latest' cameras", () => {
    it('keep only the newest frame, releasing and counting the ones they drop', () => {
      // given a live camera and a file camera
      const { make, releases } = frameMaker();
      const q = new FrameQueue<Frame>();
      // when each gets 4 frames before anything is taken
      for (let i = 0; i < 4; i++) {
        q.push(make('live', i), 'latest');
        q.push(make('file', i), 'wait');
      }
      // then the live camera kept only its newest, the file camera everything
      assert.equal(q.size, 5);
      assert.equal(q.dropped('live'), 3);
      assert.equal(q.dropped('file'), 0);
      assert.deepEqual([...releases.entries()], [['live#0', 1], ['live#1', 1], ['live#2', 1]]);
      assert.deepEqual(ids(q.take(10)), ['live#3', 'file#0', 'file#1', 'file#2', 'file#3']);
      // and a taken frame is the caller's to release
      assert.equal(releases.get('live#3'), undefined);
    });

    it('keep up to latestDepth frames when the queue is made deeper', () => {
      const { make } = frameMaker();
      const q = new FrameQueue<Frame>(2);
      for (let i = 0; i < 5; i++) q.push(make('live', i), 'latest');
      assert.equal(q.dropped('live'), 3);
      assert.deepEqual(ids(q.take(5)), ['live#3', 'live#4']);
    });

    it('follow the policy the camera was registered with', () => {
      const { make } = frameMaker();
      const q = new FrameQueue<Frame>();
      q.register('live', 'latest');
      q.push(make('live', 0));
      q.push(make('live', 1));
      assert.equal(q.size, 1);
      assert.equal(q.dropped('live'), 1);
    });

    it('report 0 dropped for an unknown camera', () => {
      assert.equal(new FrameQueue<Frame>().dropped('nope'), 0);
    });
  });

  describe('clear()', () => {
    it('releases every waiting frame exactly once and empties the queue', () => {
      const { make, releases } = frameMaker();
      const q = new FrameQueue<Frame>();
      for (let i = 0; i < 3; i++) q.push(make('A', i));
      q.push(make('B', 0));
      const taken = q.take(1);
      q.clear();
      assert.equal(q.size, 0);
      assert.equal(q.camerasWaiting, 0);
      assert.deepEqual([...releases.keys()].sort(), ['A#1', 'A#2', 'B#0']);
      assert.ok([...releases.values()].every((n) => n === 1));
      assert.equal(releases.get(ids(taken)[0]), undefined);
      // clearing again releases nothing more
      q.clear();
      assert.ok([...releases.values()].every((n) => n === 1));
      assert.deepEqual(q.take(3), []);
    });
  });

  it('tells its owner of every frame a live camera drops, for stats', () => {
    // given a live camera pushing 4 frames while nothing is taken, and a file camera pushing 3
    const { make, releases } = frameMaker();
    const drops: string[] = [];
    const q = new FrameQueue<Frame>(1, (camera) => drops.push(camera));
    q.register('live', 'latest');
    for (let i = 0; i < 4; i++) q.push(make('live', i), 'latest');
    for (let i = 0; i < 3; i++) q.push(make('file', i), 'wait');
    // then the three older live frames were released and reported, the file's were kept
    assert.deepEqual(drops, ['live', 'live', 'live']);
    assert.equal(q.dropped('live'), 3);
    assert.deepEqual([...releases.keys()], ['live#0', 'live#1', 'live#2']);
    assert.equal(q.size, 4);
  });

  describe('items with several inputs (regions)', () => {
    it('cuts batches in inputs: regions of two cameras share a batch, and a frame may span batches', () => {
      const { make } = frameMaker();
      const q = new FrameQueue<Frame>();
      q.push(make('A', 0), 'wait', 3);
      q.push(make('B', 0), 'wait', 2);
      assert.equal(q.size, 5);
      const first = q.take(4);
      assert.deepEqual(first.map((t) => `${t.item.camera}#${t.item.seq}/${t.index}`), ['A#0/0', 'B#0/0', 'A#0/1', 'B#0/1']);
      assert.deepEqual(first.map((t) => t.last), [false, false, false, true]);
      const second = q.take(4);
      assert.deepEqual(second.map((t) => `${t.item.camera}#${t.item.seq}/${t.index}/${t.last}`), ['A#0/2/true']);
      assert.equal(q.size, 0);
    });

    it('a live camera drops only frames not started: a frame with regions in a batch stays', () => {
      const { make, releases } = frameMaker();
      const q = new FrameQueue<Frame>();
      q.push(make('live', 0), 'latest', 2);
      q.take(1); // live#0 started
      q.push(make('live', 1), 'latest', 2);
      q.push(make('live', 2), 'latest', 2);
      assert.deepEqual([...releases.keys()], ['live#1']);
      assert.equal(q.size, 3);
      assert.deepEqual(q.take(4).map((t) => `${t.item.seq}/${t.index}`), ['0/1', '2/0', '2/1']);
    });

    it('remove() takes the inputs still waiting of an item out', () => {
      const { make } = frameMaker();
      const q = new FrameQueue<Frame>();
      const a = make('A', 0);
      q.push(a, 'wait', 3);
      q.take(1);
      assert.equal(q.remove(a), true);
      assert.equal(q.size, 0);
      assert.equal(q.remove(a), false);
    });
  });
});
