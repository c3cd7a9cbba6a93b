import assert from 'node:assert/strict';
import { Observable, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { LookoutError } from '../../core/errors.js';
import type { Frame, FrameFormat } from '../../core/types.js';
import type { CameraStateChange, FrameSource, SourceHooks } from '../../core/frame-source.js';
import { LiveSource } from '../../sources/live-source.js';

const format: FrameFormat = { width: 4, height: 4, layout: 'gray', resize: 'stretch', padValue: 0 };

/** What one connection of the fake camera does: `frames` frames `everyMs` apart (the first after `firstMs`), then `then`. */
interface Connection {
  frames: number;
  everyMs?: number;
  firstMs?: number;
  /** 'silence': stays connected sending nothing; 'complete': the stream ends; any other text: fails with it */
  then: 'silence' | 'complete' | string;
}

/** An inner source on virtual time that plays one script per connection (the last one repeats). */
class FakeCamera implements FrameSource {
  readonly camera = 'door';
  readonly policy = 'latest' as const;
  readonly counters = { framesIn: 0, dropped: 0 };
  /** virtual times at which a connection started */
  readonly connects: number[] = [];
  active = 0;
  private seq = 0;

  constructor(
    private readonly scheduler: TestScheduler,
    private readonly script: Connection[],
  ) {}

  frames(_format: FrameFormat, hooks: SourceHooks = {}): Observable<Frame> {
    return new Observable<Frame>((sub) => {
      const c = this.script[Math.min(this.connects.length, this.script.length - 1)];
      this.connects.push(this.scheduler.now());
      this.active++;
      let sent = 0;
      let timer: Subscription;
      const tick = () => {
        if (sent < c.frames) {
          sent++;
          hooks.onData?.();
          this.counters.framesIn++;
          const seq = this.seq++;
          sub.next({ camera: this.camera, seq, pts: seq, capturedAt: this.scheduler.now(), format, transform: { srcWidth: 4, srcHeight: 4, scaleX: 1, scaleY: 1, padX: 0, padY: 0 }, data: new Uint8Array(16), release: () => undefined });
          timer = this.scheduler.schedule(tick, c.everyMs ?? 100);
        } else if (c.then === 'complete') sub.complete();
        else if (c.then !== 'silence') sub.error(new LookoutError('LOOKOUT_ERR_MEDIA', c.then));
      };
      timer = this.scheduler.schedule(tick, c.firstMs ?? c.everyMs ?? 100);
      return () => {
        timer.unsubscribe();
        this.active--;
      };
    });
  }
}

interface Seen {
  at: number;
  status: string;
  code: string;
  message: string;
}

/** Runs a LiveSource over a fake camera on virtual time until `untilMs`, then unsubscribes. */
function play(script: Connection[], opts: { stallTimeoutMs?: number; startTimeoutMs?: number; initialMs?: number; maxMs?: number; untilMs: number; secrets?: string[] }) {
  const scheduler = new TestScheduler(assert.deepEqual);
  const out = { states: [] as Seen[], frames: [] as number[], camera: undefined as unknown as FakeCamera, source: undefined as unknown as LiveSource };
  scheduler.run(() => {
    const camera = new FakeCamera(scheduler, script);
    const source = new LiveSource({
      inner: camera,
      reconnect: { initialMs: opts.initialMs ?? 400, maxMs: opts.maxMs ?? 4000, random: () => 0.5 },
      stallTimeoutMs: opts.stallTimeoutMs ?? 1000,
      startTimeoutMs: opts.startTimeoutMs ?? 3000,
      secrets: opts.secrets,
      scheduler,
    });
    source.states$.subscribe((s: CameraStateChange) => out.states.push({ at: scheduler.now(), status: s.status, code: s.code, message: s.message }));
    const sub = source.frames(format).subscribe((f) => out.frames.push(f.seq));
    scheduler.schedule(() => sub.unsubscribe(), opts.untilMs);
    scheduler.flush();
    out.camera = camera;
    out.source = source;
  });
  return out;
}

describe('LiveSource (virtual time)', () => {
  it('restarts a stream that stalls: online, reconnecting after the stall timeout, online again after the drawn delay', () => {
    // given a camera that sends 5 frames 200 ms apart and then nothing, and behaves on the next connection
    const { states, camera, source } = play([{ frames: 5, everyMs: 200, then: 'silence' }, { frames: 1000, everyMs: 200, then: 'silence' }], { untilMs: 5000 });
    // then: last frame at 1000 ms, stall noticed at 2000, retry after 0.5 × 400 ms, first frame 200 ms later
    assert.deepEqual(
      states.map((s) => [s.at, s.status, s.code]),
      [
        [0, 'starting', 'CAMERA_STARTING'],
        [200, 'online', 'CAMERA_ONLINE'],
        [2000, 'reconnecting', 'LOOKOUT_ERR_CAMERA_STALLED'],
        [2400, 'online', 'CAMERA_ONLINE'],
      ],
    );
    assert.match(states[2].message, /door: the stream stalled: no frame for 1000 ms; restarting/);
    assert.deepEqual(camera.connects, [0, 2200]);
    assert.equal(source.counters.reconnects, 1);
    assert.equal(camera.active, 0, 'unsubscribing stopped the connection');
  });

  it('keeps a camera with wrong credentials offline with one state change while retrying at growing delays up to the bound', () => {
    // given a camera that answers every connection with 401 after 50 ms
    const { states, camera, source } = play([{ frames: 0, firstMs: 50, then: 'cannot open rtsp://admin:***@cam/live: Server returned 401 Unauthorized (authorization failed)' }], {
      initialMs: 100,
      maxMs: 800,
      untilMs: 5000,
    });
    // then the delays double from 50 ms (half of 100) to 400 ms (half of the 800 ms bound) and stay there
    assert.deepEqual(camera.connects.slice(0, 7), [0, 100, 250, 500, 950, 1400, 1850]);
    const gaps = camera.connects.slice(1).map((t, i) => t - camera.connects[i]);
    assert.ok(gaps.every((g) => g <= 50 + 400), `never more than failure + bound apart: ${gaps}`);
    assert.equal(camera.connects.length, 13, 'retries for as long as it runs');
    // and only the change is reported, not every retry
    assert.deepEqual(
      states.map((s) => [s.status, s.code]),
      [
        ['starting', 'CAMERA_STARTING'],
        ['offline', 'LOOKOUT_ERR_CAMERA_AUTH'],
      ],
    );
    assert.match(states[1].message, /door: the camera refused the credentials: .*401 Unauthorized/);
    assert.equal(source.counters.reconnects, 12);
    assert.equal(source.state?.code, 'LOOKOUT_ERR_CAMERA_AUTH');
  });

  it('tells a wrong path and an unreachable camera apart', () => {
    const notFound = play([{ frames: 0, firstMs: 10, then: 'cannot open rtsp://cam/nope: Server returned 404 Not Found' }], { untilMs: 1000 });
    assert.deepEqual(notFound.states.at(-1)!.code, 'LOOKOUT_ERR_CAMERA_NOT_FOUND');
    assert.deepEqual(notFound.states.at(-1)!.status, 'offline');
    const refused = play([{ frames: 0, firstMs: 10, then: 'cannot open rtsp://cam/live: Connection refused' }], { untilMs: 1000 });
    assert.deepEqual(refused.states.at(-1)!.code, 'LOOKOUT_ERR_CAMERA_UNREACHABLE');
    assert.deepEqual(refused.states.at(-1)!.status, 'reconnecting');
  });

  it('restarts a connection whose first frame does not come within the start timeout', () => {
    const { states, camera } = play([{ frames: 0, then: 'silence' }, { frames: 100, everyMs: 100, then: 'silence' }], { startTimeoutMs: 3000, untilMs: 4000 });
    assert.deepEqual(
      states.map((s) => [s.at, s.status, s.code]),
      [
        [0, 'starting', 'CAMERA_STARTING'],
        [3000, 'reconnecting', 'LOOKOUT_ERR_CAMERA_STALLED'],
        [3300, 'online', 'CAMERA_ONLINE'],
      ],
    );
    assert.match(states[1].message, /did not start: no frame within 3000 ms of connecting/);
    assert.deepEqual(camera.connects, [0, 3200]);
  });

  it('retries a stream that ends, and unsubscribing cancels the pending retry', () => {
    // given a stream that ends after two frames (at 200 ms); the retry would come 500 ms later
    const { states, camera, frames } = play([{ frames: 2, everyMs: 100, then: 'complete' }], { initialMs: 1000, untilMs: 400 });
    assert.deepEqual(frames, [0, 1]);
    assert.deepEqual(states.map((s) => s.code), ['CAMERA_STARTING', 'CAMERA_ONLINE', 'LOOKOUT_ERR_CAMERA_LOST']);
    // when unsubscribed at 400 ms, then no connection is made at 700 ms
    assert.deepEqual(camera.connects, [0]);
    assert.equal(camera.active, 0);
  });

  it('resets the backoff once frames flow again', () => {
    // connection 1 fails, 2 fails, 3 works for a while and fails, 4 …: the delay after 3 starts from initialMs again
    const script: Connection[] = [
      { frames: 0, firstMs: 10, then: 'Connection refused' },
      { frames: 0, firstMs: 10, then: 'Connection refused' },
      { frames: 3, everyMs: 100, then: 'Connection reset by peer' },
      { frames: 0, firstMs: 10, then: 'Connection refused' },
    ];
    const { camera } = play(script, { initialMs: 400, maxMs: 4000, untilMs: 3000 });
    // 0 → fail 10 → +200 → 210 → fail 220 → +400 → 620 → frames to 920, fail 1020 → +200 (reset) → 1220
    assert.deepEqual(camera.connects.slice(0, 4), [0, 210, 620, 1220]);
  });

  it('removes secrets from state messages', () => {
    const { states } = play([{ frames: 0, firstMs: 10, then: 'rtsp://admin:hunter22@cam/live: Server returned 401 Unauthorized' }], { untilMs: 100, secrets: ['hunter22'] });
    const text = JSON.stringify(states);
    assert.ok(!text.includes('hunter22'), text);
    assert.match(text, /admin:\*\*\*@cam/);
  });

  it('reports a warning (hardware decoding fell back) without changing the status', () => {
    const scheduler = new TestScheduler(assert.deepEqual);
    scheduler.run(() => {
      const camera = new FakeCamera(scheduler, [{ frames: 10, everyMs: 100, then: 'silence' }]);
      const source = new LiveSource({ inner: camera, reconnect: { initialMs: 100, maxMs: 1000 }, stallTimeoutMs: 1000, scheduler, secrets: ['pw123'] });
      const seen: CameraStateChange[] = [];
      source.states$.subscribe((s) => seen.push(s));
      const sub = source.frames(format).subscribe();
      scheduler.schedule(() => source.warn('LOOKOUT_ERR_HWACCEL', 'door: hardware decoding (vaapi) failed to start for pw123; decoding in software'), 250);
      scheduler.schedule(() => sub.unsubscribe(), 500);
      scheduler.flush();
      const warning = seen.find((s) => s.code === 'LOOKOUT_ERR_HWACCEL');
      assert.ok(warning);
      assert.equal(warning.status, 'online');
      assert.equal(warning.severity, 'warning');
      assert.ok(!warning.message.includes('pw123'));
    });
  });
});
