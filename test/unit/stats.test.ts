import assert from 'node:assert/strict';
import { SampleRing, StatsCollector } from '../../pipeline/stats.js';

describe('SampleRing', () => {
  it('gives nearest-rank percentiles', () => {
    // given the samples 1..100 pushed in shuffled order
    const ring = new SampleRing(128);
    for (let i = 0; i < 100; i++) ring.push(((i * 37) % 100) + 1);
    // then
    assert.equal(ring.count, 100);
    assert.equal(ring.percentile(50), 50);
    assert.equal(ring.percentile(95), 95);
    assert.equal(ring.percentile(99), 99);
    assert.equal(ring.percentile(100), 100);
    assert.equal(ring.percentile(0), 1);
  });

  it('gives the right percentiles for a few samples', () => {
    const ring = new SampleRing();
    for (const v of [30, 10, 20]) ring.push(v);
    assert.equal(ring.percentile(50), 20);
    assert.equal(ring.percentile(95), 30);
    assert.equal(ring.percentile(1), 10);
  });

  it('is 0 with no samples', () => {
    const ring = new SampleRing(4);
    assert.equal(ring.count, 0);
    assert.equal(ring.percentile(50), 0);
    assert.deepEqual(ring.values(), []);
  });

  it('keeps only the newest `size` samples', () => {
    // given a ring of 4 that receives 6 samples
    const ring = new SampleRing(4);
    for (const v of [100, 200, 3, 4, 5, 6]) ring.push(v);
    // then the two oldest are gone
    assert.equal(ring.count, 4);
    assert.deepEqual([...ring.values()].sort((a, b) => a - b), [3, 4, 5, 6]);
    assert.equal(ring.percentile(100), 6);
    assert.equal(ring.percentile(50), 4);
  });

  it('does not reorder its storage when asked for a percentile', () => {
    const ring = new SampleRing(4);
    for (const v of [9, 1, 5]) ring.push(v);
    ring.percentile(50);
    assert.deepEqual(ring.values(), [9, 1, 5]);
  });
});

describe('StatsCollector', () => {
  /** A collector on a clock the test moves, with fixed source counters. */
  function collector(start = 10_000) {
    let now = start;
    const sources: Record<string, { framesIn: number; dropped: number }> = {
      door: { framesIn: 40, dropped: 3 },
      yard: { framesIn: 7, dropped: 0 },
    };
    const stats = new StatsCollector({ provider: 'cuda', dynamicBatch: true }, (c) => sources[c] ?? { framesIn: 0, dropped: 0 }, () => now);
    return { stats, at: (t: number) => (now = t) };
  }

  it('reports an idle detector as zeros', () => {
    const { stats } = collector();
    const s = stats.snapshot();
    assert.deepEqual(s.detector, {
      provider: 'cuda',
      dynamicBatch: true,
      batches: 0,
      frames: 0,
      avgBatchSize: 0,
      regionsPerBatch: 0,
      inferenceMsP50: 0,
      inferenceMsP95: 0,
      queueDepth: 0,
      latencyMsP50: 0,
      latencyMsP95: 0,
      status: 'running',
      restarts: 0,
      error: null,
    });
    assert.deepEqual(s.cameras, {});
    assert.equal(s.uptimeSeconds, 0);
    assert.equal(s.at, 10_000);
  });

  it('averages the batch size, takes inference percentiles and keeps the latest queue depth', () => {
    // given 20 batches: sizes 1,2,3,4 repeating, inference 1..20 ms
    const { stats } = collector();
    for (let i = 0; i < 20; i++) stats.batch((i % 4) + 1, i + 1, i === 19 ? 6 : 0);
    // when a snapshot is taken
    const d = stats.snapshot().detector;
    // then
    assert.equal(d.batches, 20);
    assert.equal(d.frames, 50);
    assert.equal(d.avgBatchSize, 2.5);
    assert.equal(d.inferenceMsP50, 10);
    assert.equal(d.inferenceMsP95, 19);
    assert.equal(d.queueDepth, 6);
  });

  it('computes per-camera detection fps over the last 5 s from the injected clock', () => {
    // given door detected every 200 ms from t=10 s to t=12 s, and yard every 500 ms
    const { stats, at } = collector();
    for (let t = 10_000; t <= 12_000; t += 200) {
      at(t);
      stats.frameDetected('door', t - 30);
    }
    for (let t = 10_000; t <= 12_000; t += 500) {
      at(t);
      stats.frameDetected('yard', t - 100);
    }
    // when a snapshot is taken at t=12.1 s
    at(12_100);
    const s = stats.snapshot();
    // then
    assert.equal(s.cameras.door.detectFps, 5);
    assert.equal(s.cameras.yard.detectFps, 2);
    assert.equal(s.cameras.door.framesDetected, 11);
    assert.equal(s.cameras.yard.framesDetected, 5);
    assert.equal(s.cameras.door.lastFrameAgeMs, 12_100 - 11_970);
    assert.equal(s.cameras.yard.lastFrameAgeMs, 12_100 - 11_900);
    assert.equal(s.uptimeSeconds, 2.1);
    assert.equal(s.at, 12_100);
  });

  it('forgets detections older than 5 s and reports 0 fps for a stalled camera', () => {
    const { stats, at } = collector();
    for (let t = 10_000; t <= 11_000; t += 100) {
      at(t);
      stats.frameDetected('door', t);
    }
    assert.equal(stats.snapshot().cameras.door.detectFps, 10);
    // once only the last detection is within 5 s there is no rate any more
    at(16_000);
    assert.equal(stats.snapshot().cameras.door.detectFps, 0);
    at(30_000);
    const door = stats.snapshot().cameras.door;
    assert.equal(door.detectFps, 0);
    assert.equal(door.lastFrameAgeMs, 30_000 - 11_000);
  });

  it('reports 0 fps with a single detection', () => {
    const { stats } = collector();
    stats.frameDetected('door', 9_990);
    assert.equal(stats.snapshot().cameras.door.detectFps, 0);
  });

  it('takes frames in and dropped from the sources, and status from setStatus', () => {
    const { stats, at } = collector();
    stats.setStatus('door', 'online');
    at(10_500);
    stats.setStatus('yard', 'reconnecting', 'yard: the camera cannot be reached: Connection refused', 'LOOKOUT_ERR_CAMERA_UNREACHABLE');
    const s = stats.snapshot();
    assert.deepEqual(s.cameras.door, {
      framesIn: 40,
      framesDetected: 0,
      dropped: 3,
      detectFps: 0,
      lastFrameAgeMs: null,
      reconnects: 0,
      status: 'online',
      code: null,
      error: null,
      errorAt: null,
    });
    assert.equal(s.cameras.yard.status, 'reconnecting');
    assert.equal(s.cameras.yard.code, 'LOOKOUT_ERR_CAMERA_UNREACHABLE');
    assert.equal(s.cameras.yard.error, 'yard: the camera cannot be reached: Connection refused');
    assert.equal(s.cameras.yard.errorAt, 10_500);
    assert.equal(s.cameras.yard.framesIn, 7);
    // a camera recovers: the status changes, the last error stays visible with its time
    stats.setStatus('yard', 'online');
    const yard = stats.snapshot().cameras.yard;
    assert.equal(yard.status, 'online');
    assert.equal(yard.code, 'LOOKOUT_ERR_CAMERA_UNREACHABLE');
    assert.equal(yard.errorAt, 10_500);
  });

  it('adds queue drops to source drops and takes reconnects from the source', () => {
    // given a live camera whose source dropped 3 frames and reconnected twice, and the queue replaced 2 more
    const stats = new StatsCollector({ provider: 'cpu', dynamicBatch: true }, () => ({ framesIn: 40, dropped: 3, reconnects: 2 }), () => 0);
    stats.frameDropped('door');
    stats.frameDropped('door');
    // then
    const door = stats.snapshot().cameras.door;
    assert.equal(door.dropped, 5);
    assert.equal(door.reconnects, 2);
  });

  it('takes capture-to-result latency percentiles over every camera', () => {
    const { stats, at } = collector();
    // given 100 results, latencies 1..100 ms
    for (let i = 1; i <= 100; i++) {
      at(20_000 + i * 1000);
      stats.frameDetected(i % 2 ? 'door' : 'yard', 20_000 + i * 1000 - i);
    }
    const d = stats.snapshot().detector;
    assert.equal(d.latencyMsP50, 50);
    assert.equal(d.latencyMsP95, 95);
  });

  it('starts a camera in status "starting"', () => {
    const { stats } = collector();
    stats.frameDetected('door', 10_000);
    assert.equal(stats.snapshot().cameras.door.status, 'starting');
  });

  it('returns a snapshot that later updates do not change', () => {
    const { stats } = collector();
    stats.batch(2, 5, 1);
    const before = stats.snapshot();
    stats.batch(4, 9, 3);
    assert.equal(before.detector.batches, 1);
    assert.equal(before.detector.avgBatchSize, 2);
    assert.ok(JSON.parse(JSON.stringify(before)));
  });
});
