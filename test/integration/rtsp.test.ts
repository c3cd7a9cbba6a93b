import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Subject, type Subscription } from 'rxjs';
import { parseConfig } from '../../config/load.js';
import { Logger } from '../../core/logger.js';
import { Runtime } from '../../pipeline/runtime.js';
import { PORT_POLL_MS } from '../../sources/live-source.js';
import type { FrameResult, Status } from '../../core/types.js';
import { childProcesses, waitForNoChildren } from '../helpers/processes.js';
import { until } from '../helpers/faults.js';
import { freePort } from '../helpers/ports.js';
import { requireTool } from '../helpers/require.js';
import { RtspServer, rtspServerUnavailable } from '../helpers/rtsp-server.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { renderSquareClip, type SquareScene } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

/** Camera n's clip: a 40 px square moving right at 4 px/s on its own row, so a box's y says which camera it came from. */
const sceneOf = (n: number): SquareScene => ({ width: 320, height: 240, fps: 10, duration: 60, size: 40, x0: 10, y0: 15 + 50 * n, vx: 4, vy: 0 });

const isFfmpeg = (p: { comm: string }) => p.comm.startsWith('ffmpeg') || p.comm.startsWith('ffprobe');

interface Seen {
  r: FrameResult;
  at: number;
}

/** A runtime on real ffmpeg and onnxruntime, with everything it says recorded. */
class Harness {
  readonly results: Seen[] = [];
  readonly statuses: Status[] = [];
  readonly logs: string[] = [];
  private readonly events = new Subject<void>();
  private readonly subs: Subscription[] = [];
  runtime!: Runtime;

  static async start(model: string, labels: string, cameras: Record<string, unknown>[], opts: { env?: NodeJS.ProcessEnv; batch?: { maxSize: number; maxWaitMs: number } } = {}): Promise<Harness> {
    const h = new Harness();
    // `full`: these tests follow a square that creeps 4 px/s, found on every frame; in `regions` (the default) a nearly
    // still object is looked at only every stationaryRecheckFrames, which test/integration/regions.test.ts covers
    const config = parseConfig(
      { model: { path: model, adapter: 'ultralytics', labels, threshold: 0.5, batch: opts.batch ?? { maxSize: 4, maxWaitMs: 20 } }, cameras: cameras.map((c) => ({ detectMode: 'full', ...c })) },
      { env: opts.env ?? {} },
    );
    const logger = new Logger({ level: 'debug', json: true, write: (line) => h.logs.push(line) });
    h.runtime = await Runtime.create(config, { logger });
    h.subs.push(
      h.runtime.results$.subscribe((r) => {
        h.results.push({ r, at: Date.now() });
        h.events.next();
      }),
      h.runtime.status$.subscribe((s) => {
        h.statuses.push(s);
        h.events.next();
      }),
    );
    h.runtime.start();
    return h;
  }

  /** Resolves once `cond` holds, checked on every result and status; rejects after `timeoutMs` saying what was awaited. */
  until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.unsubscribe();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; statuses: ${JSON.stringify(this.statuses.map((s) => [s.camera, s.code]))}`));
      }, timeoutMs);
      const sub = this.events.subscribe(() => {
        if (!cond()) return;
        clearTimeout(timer);
        sub.unsubscribe();
        resolve();
      });
    });
  }

  /** The first status (after `since`) that matches; its `at` is when the runtime emitted it. */
  async status(what: string, match: (s: Status) => boolean, since = 0, timeoutMs = 20_000): Promise<Status> {
    const pick = () => this.statuses.find((s) => s.at >= since && match(s));
    await this.until(what, () => pick() !== undefined, timeoutMs);
    return pick()!;
  }

  online(camera: string, since = 0, timeoutMs = 20_000): Promise<Status> {
    return this.status(`${camera} online`, (s) => s.camera === camera && s.code === 'CAMERA_ONLINE', since, timeoutMs);
  }

  of(camera: string, from = 0, to = Infinity): Seen[] {
    return this.results.filter((x) => x.r.frame.camera === camera && x.at >= from && x.at < to);
  }

  /** Detected frames per second of one camera between two wall times. */
  fps(camera: string, from: number, to: number): number {
    return this.of(camera, from, to).length / ((to - from) / 1000);
  }

  async stop(): Promise<void> {
    await this.runtime.stop();
    for (const s of this.subs) s.unsubscribe();
  }
}

describe('live RTSP cameras (real gst-rtsp-server, ffmpeg, onnxruntime)', function () {
  this.timeout(90_000);
  const tmp = useTmpDir('lookout-rtsp-');
  const clips: string[] = [];
  let model: string;
  let labels: string;
  const servers: RtspServer[] = [];
  const harnesses: Harness[] = [];

  before(async function () {
    requireTool(this, "GStreamer's RTSP server", rtspServerUnavailable());
    for (let n = 0; n < 4; n++) clips.push(await renderSquareClip(sceneOf(n), join(tmp(), `cam${n}.mp4`), { gop: 5 }));
    ({ model, labels } = await writeSquareModel(tmp()));
  });

  async function server(opts: { mounts: Record<string, string>; user?: string; password?: string }): Promise<RtspServer> {
    const s = await RtspServer.start(opts);
    servers.push(s);
    return s;
  }
  async function harness(...args: Parameters<typeof Harness.start>): Promise<Harness> {
    const h = await Harness.start(...args);
    harnesses.push(h);
    return h;
  }

  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.stop();
    // the runtime is stopped: every ffmpeg and ffprobe it started must be gone
    const left = await waitForNoChildren({ filter: isFfmpeg, timeoutMs: 3000 });
    for (const s of servers.splice(0)) await s.stop();
    assert.deepEqual(left, [], 'no ffmpeg or ffprobe left after stop');
  });

  it('delivers frames from the stream, each showing the square where the clip has it', async () => {
    const s = await server({ mounts: { cam0: clips[0] } });
    const h = await harness(model, labels, [
      { name: 'cam0', url: s.url('cam0'), fps: 5 },
      { name: 'spare', url: s.url('cam1'), fps: 5, enabled: false },
    ]);
    await h.until('15 results', () => h.of('cam0').length >= 15);
    assert.equal(h.runtime.snapshot().cameras.spare.status, 'disabled');
    assert.equal(s.medias, 2, 'no connection for the disabled camera (one probe, one ffmpeg for cam0)');
    const mine = h.of('cam0').map((x) => x.r);
    const scene = sceneOf(0);
    // x − vx·t is the same for every frame when each result carries its own frame's time
    const offsets = mine.map((r) => r.detections[0]?.box[0] - scene.vx * r.frame.pts);
    for (const [i, r] of mine.entries()) {
      assert.deepEqual({ w: r.frame.transform.srcWidth, h: r.frame.transform.srcHeight }, { w: 320, h: 240 });
      assert.equal(r.detections.length, 1, `frame ${r.frame.seq}: one square`);
      const [x1, y1, x2, y2] = r.detections[0].box;
      assert.ok(Math.abs(y1 - scene.y0) <= 3 && Math.abs(y2 - y1 - scene.size) <= 4 && Math.abs(x2 - x1 - scene.size) <= 4, `frame ${r.frame.seq}: box ${r.detections[0].box.map(Math.round)}`);
      assert.ok(Math.abs(offsets[i] - offsets[0]) <= 4, `frame ${r.frame.seq}: x ${x1.toFixed(1)} off the square's track (${offsets.map((o) => o.toFixed(1))})`);
      if (i > 0) assert.ok(r.frame.seq > mine[i - 1].frame.seq, 'in order');
    }
    const snap = h.runtime.snapshot().cameras.cam0;
    assert.equal(snap.status, 'online');
    assert.equal(snap.reconnects, 0);
    assert.ok(snap.framesIn >= 15);
    assert.ok(snap.detectFps >= 4 && snap.detectFps <= 6, `detectFps ${snap.detectFps}`);
    console.log(`      first 15 frames: detectFps ${snap.detectFps.toFixed(2)}, latency p50 ${h.runtime.snapshot().detector.latencyMsP50.toFixed(1)} ms`);
  });

  it('reads over UDP when asked', async () => {
    const s = await server({ mounts: { cam1: clips[1] } });
    const h = await harness(model, labels, [{ name: 'udp', url: s.url('cam1'), transport: 'udp', fps: 5 }]);
    await h.until('10 results', () => h.of('udp').length >= 10);
    assert.ok(h.of('udp').every((x) => Math.abs(x.r.detections[0].box[1] - sceneOf(1).y0) <= 3));
  });

  it('comes back after the server is killed mid-stream and restarted, within the backoff bound, while another camera keeps its rate', async () => {
    const maxMs = 1000;
    const a = await server({ mounts: { cam0: clips[0] } });
    const b = await server({ mounts: { cam1: clips[1] } });
    const h = await harness(model, labels, [
      { name: 'a', url: a.url('cam0'), fps: 5, reconnect: { initialMs: 250, maxMs } },
      { name: 'b', url: b.url('cam1'), fps: 5, reconnect: { initialMs: 250, maxMs } },
    ]);
    const aOnline = await h.online('a');
    await h.online('b');
    // how long one connection takes here (probe + stream analysis + first frame): the bound below allows one of them
    const connectMs = aOnline.at - h.statuses.find((s) => s.camera === 'a' && s.code === 'CAMERA_STARTING')!.at;
    // a steady baseline for b
    const baselineFrom = Date.now();
    await h.until('3 s of frames', () => Date.now() - baselineFrom >= 3000 && h.of('b').length > 0, 10_000);
    const killedAt = Date.now();
    const bBefore = h.fps('b', baselineFrom, killedAt);

    await a.kill();
    const lost = await h.status('a reconnecting', (s) => s.camera === 'a' && s.severity === 'warning', killedAt);
    assert.equal(h.runtime.snapshot().cameras.a.status, 'reconnecting');
    // kept down until two retries have met the closed port (whatever that takes on this machine)
    const reconnects0 = h.runtime.snapshot().cameras.a.reconnects;
    await h.until('two retries of a against the closed port', () => h.runtime.snapshot().cameras.a.reconnects >= reconnects0 + 2, 20_000);
    assert.equal(h.runtime.snapshot().cameras.a.code, 'LOOKOUT_ERR_CAMERA_UNREACHABLE');
    const restartedAt = Date.now();
    await a.restart();
    const back = await h.online('a', restartedAt);
    const bDuring = h.fps('b', killedAt, back.at);
    const downMs = back.at - restartedAt;
    console.log(
      `      a: reconnecting ${lost.at - killedAt} ms after the kill (${lost.code}), online ${downMs} ms after the restart (bound ${maxMs} ms + one connection, ${connectMs} ms); b: ${bBefore.toFixed(2)} fps before, ${bDuring.toFixed(2)} fps while a was down`,
    );
    // at most one retry delay (< maxMs) after the restart, plus one connection (and slack for a loaded machine)
    assert.ok(downMs <= maxMs + connectMs + 1500, `back online ${downMs} ms after the restart; one connection takes ${connectMs} ms`);
    assert.ok(bDuring >= 4 && bDuring >= 0.8 * bBefore, `b kept its rate: ${bBefore.toFixed(2)} → ${bDuring.toFixed(2)} fps`);
    const snap = h.runtime.snapshot().cameras;
    assert.ok(snap.a.reconnects >= 1, `a reconnected (${snap.a.reconnects})`);
    assert.equal(snap.b.reconnects, 0);
    assert.equal(snap.a.status, 'online');
    // the state changes, in order
    const aCodes = h.statuses.filter((s) => s.camera === 'a').map((s) => s.code);
    assert.equal(aCodes[0], 'CAMERA_STARTING');
    assert.equal(aCodes[1], 'CAMERA_ONLINE');
    assert.equal(aCodes.at(-1), 'CAMERA_ONLINE');
    assert.ok(aCodes.slice(2, -1).every((c) => c.startsWith('LOOKOUT_ERR_CAMERA_')), String(aCodes));
  });

  it('is back within a port poll and one connection of its server restarting, however long the backoff delay', async () => {
    // a minute of backoff: only the port poll (sources/port-check.ts) can bring the camera back within the bound below
    const a = await server({ mounts: { cam0: clips[0] } });
    const h = await harness(model, labels, [{ name: 'a', url: a.url('cam0'), fps: 5, reconnect: { initialMs: 60_000, maxMs: 60_000 } }]);
    const aOnline = await h.online('a');
    const connectMs = aOnline.at - h.statuses.find((s) => s.camera === 'a' && s.code === 'CAMERA_STARTING')!.at;
    const killedAt = Date.now();
    await a.kill();
    await h.status('a reconnecting', (s) => s.camera === 'a' && s.severity === 'warning', killedAt);
    const restartedAt = Date.now();
    await a.restart();
    const back = await h.online('a', restartedAt);
    const downMs = back.at - restartedAt;
    console.log(`      a: online ${downMs} ms after the restart (one connection took ${connectMs} ms; poll every ${PORT_POLL_MS} ms)`);
    assert.ok(downMs <= PORT_POLL_MS + connectMs + 1500, `back online ${downMs} ms after the restart; one connection takes ${connectMs} ms`);
  });

  it('restarts a camera whose server keeps the connection open but stops sending frames (stall watchdog)', async () => {
    const stallTimeoutMs = 1500;
    const s = await server({ mounts: { cam2: clips[2] } });
    const h = await harness(model, labels, [{ name: 'frozen', url: s.url('cam2'), fps: 5, stallTimeoutMs, reconnect: { initialMs: 250, maxMs: 1000 } }]);
    await h.online('frozen');
    await h.until('a few frames', () => h.of('frozen').length >= 5);
    const before = childProcesses().filter((p) => p.comm.startsWith('ffmpeg')).map((p) => p.pid);
    assert.equal(before.length, 1, 'one ffmpeg');
    const stalledAt = Date.now();
    assert.equal(await s.stall(), 1, 'the one stream stopped');
    const tripped = await h.status('the watchdog', (x) => x.camera === 'frozen' && x.code === 'LOOKOUT_ERR_CAMERA_STALLED', stalledAt);
    const trippedAfter = tripped.at - stalledAt;
    assert.match(tripped.message, /frozen: the stream stalled: no frame for \d+ ms; restarting/);
    // the last frame left the server at most one frame interval before the stall
    assert.ok(trippedAfter >= stallTimeoutMs - 300 && trippedAfter <= stallTimeoutMs + 1000, `watchdog after ${trippedAfter} ms`);
    const back = await h.online('frozen', tripped.at);
    // the new connection may be up (one quick probe) while the stalled ffmpeg still closes its RTSP session: it must
    // go within its stop grace (SIGTERM, SIGKILL 2 s later)
    const ffmpegs = () => childProcesses().filter((p) => p.comm.startsWith('ffmpeg')).map((p) => p.pid);
    const now = await until('the stalled ffmpeg stopped', () => (ffmpegs().includes(before[0]) ? undefined : ffmpegs()), 5000);
    assert.equal(now.length, 1, 'and replaced by one new ffmpeg');
    assert.equal(h.runtime.snapshot().cameras.frozen.reconnects, 1);
    console.log(`      watchdog tripped ${trippedAfter} ms after the stall (timeout ${stallTimeoutMs} ms); online again ${back.at - tripped.at} ms later`);
  });

  it('gives wrong credentials and a wrong path a clear status and retries at the backoff bound without flooding the log', async () => {
    const s = await server({ mounts: { cam0: clips[0], cam1: clips[1] }, user: 'admin', password: 'Right-Pass-71' });
    const reconnect = { initialMs: 200, maxMs: 1000 };
    const h = await harness(
      model,
      labels,
      [
        { name: 'good', url: s.url('cam0'), username: 'admin', password: '${CAM_PASSWORD}', fps: 5, reconnect },
        { name: 'badpass', url: s.url('cam1'), username: 'admin', password: 'Wrong-Pass-42', fps: 5, reconnect },
        { name: 'badpath', url: s.url('nope'), username: 'admin', password: '${CAM_PASSWORD}', fps: 5, reconnect },
      ],
      { env: { CAM_PASSWORD: 'Right-Pass-71' } },
    );
    const auth = await h.status('badpass offline', (x) => x.camera === 'badpass' && x.code === 'LOOKOUT_ERR_CAMERA_AUTH');
    const path = await h.status('badpath offline', (x) => x.camera === 'badpath' && x.code === 'LOOKOUT_ERR_CAMERA_NOT_FOUND');
    await h.online('good');
    assert.equal(auth.severity, 'error');
    assert.match(auth.message, /badpass: the camera refused the credentials: .*401 Unauthorized/);
    assert.match(path.message, /badpath: the camera has no such stream: .*404 Not Found/);
    // watch them retry for at least 6 s (the window the upper bound is about) and until the retries the lower bounds
    // need have happened, however slow this machine is
    const from = Date.now();
    const startReconnects = h.runtime.snapshot().cameras.badpass.reconnects;
    // (the good camera's results keep the check going)
    await h.until(
      '6 s of retries, at least 2 of badpass and 3 of badpath',
      () => {
        const c = h.runtime.snapshot().cameras;
        return Date.now() - from >= 6000 && c.badpass.reconnects - startReconnects >= 2 && c.badpath.reconnects >= 3;
      },
      30_000,
    );
    const windowS = (Date.now() - from) / 1000;
    const snap = h.runtime.snapshot().cameras;
    const retries = snap.badpass.reconnects - startReconnects;
    // at the bound a retry comes every ~0.5 s on average (full jitter below 1 s) plus the ~0.1 s a 401 takes; a crash
    // loop without backoff would make 30 or more in 6 s
    assert.ok(retries >= 2 && retries <= (20 * windowS) / 6, `${retries} retries in ${windowS.toFixed(1)} s`);
    assert.ok(snap.badpath.reconnects >= 3);
    for (const cam of ['badpass', 'badpath']) {
      assert.equal(snap[cam].status, 'offline');
      // one log line each for the runtime's start, connecting and the failure: not one per retry
      const lines = h.logs.filter((l) => (JSON.parse(l) as { camera?: string }).camera === cam);
      assert.ok(lines.length <= 3, `${cam}: ${lines.length} log lines for ${snap[cam].reconnects} retries:\n${lines.join('\n')}`);
      assert.equal(h.statuses.filter((x) => x.camera === cam).length, 2, `${cam}: starting, offline`);
    }
    assert.equal(snap.badpass.code, 'LOOKOUT_ERR_CAMERA_AUTH');
    assert.equal(snap.good.status, 'online');
    assert.ok(h.of('good').length > 0, 'the camera with the right password delivers frames');
    console.log(`      badpass: ${retries} retries in ${windowS.toFixed(1)} s (bound ${reconnect.maxMs} ms), ${h.logs.filter((l) => l.includes('"badpass"')).length} log lines in all`);
  });

  it('falls back to software decoding with a warning when the hardware decoder fails to start', async () => {
    const s = await server({ mounts: { cam3: clips[3] } });
    // a device that does not exist makes vaapi fail on any machine
    const h = await harness(model, labels, [{ name: 'hw', url: s.url('cam3'), fps: 5, hwaccel: 'vaapi', inputArgs: ['-hwaccel_device', '/dev/dri/no-such-device'] }]);
    const warning = await h.status('the hwaccel warning', (x) => x.camera === 'hw' && x.code === 'LOOKOUT_ERR_HWACCEL');
    assert.equal(warning.severity, 'warning');
    assert.match(warning.message, /hw: hardware decoding \(vaapi\) failed to start .*; decoding in software/);
    await h.until('frames decoded in software', () => h.of('hw').length >= 5);
    assert.equal(h.runtime.snapshot().cameras.hw.status, 'online');
    assert.equal(h.runtime.snapshot().cameras.hw.code, 'LOOKOUT_ERR_HWACCEL');
  });

  it('batches frames of several cameras together and maps every result to its own camera and frame', async () => {
    const s = await server({ mounts: { cam0: clips[0], cam1: clips[1], cam2: clips[2], cam3: clips[3] } });
    const names = ['cam0', 'cam1', 'cam2', 'cam3'];
    const h = await harness(
      model,
      labels,
      names.map((n) => ({ name: n, url: s.url(n), fps: 5 })),
      { batch: { maxSize: 4, maxWaitMs: 150 } },
    );
    for (const n of names) await h.online(n);
    const from = Date.now();
    await h.until('15 results per camera', () => names.every((n) => h.of(n, from).length >= 15), 30_000);
    const all = h.results.filter((x) => x.at >= from).map((x) => x.r);
    const batched = all.filter((r) => r.timings.batchSize > 1).length;
    const det = h.runtime.snapshot().detector;
    assert.ok(batched >= all.length / 2, `${batched} of ${all.length} frames went in batches larger than 1`);
    assert.ok(det.avgBatchSize > 1.5, `average batch ${det.avgBatchSize}`);
    names.forEach((n, i) => {
      const scene = sceneOf(i);
      const mine = all.filter((r) => r.frame.camera === n);
      const offsets = mine.map((r) => r.detections[0].box[0] - scene.vx * r.frame.pts);
      mine.forEach((r, k) => {
        assert.equal(r.detections.length, 1);
        // the row of the square says which camera's pixels these were
        assert.ok(Math.abs(r.detections[0].box[1] - scene.y0) <= 3, `${n} frame ${r.frame.seq}: a square at y ${r.detections[0].box[1]}, camera ${n} has it at ${scene.y0}`);
        // its column says which frame (the square moves 0.8 px per frame at 5 fps)
        assert.ok(Math.abs(offsets[k] - offsets[0]) <= 4, `${n} frame ${r.frame.seq}: x ${r.detections[0].box[0]} off its track`);
        if (k > 0) assert.ok(r.frame.seq > mine[k - 1].frame.seq);
      });
    });
    console.log(`      ${all.length} results: ${batched} in batches > 1, average batch ${det.avgBatchSize.toFixed(2)}, inference p50 ${det.inferenceMsP50.toFixed(1)} ms`);
  });

  it('stops everything, also a probe of a camera that accepts the connection and never answers', async () => {
    // a TCP server that accepts and stays silent: ffprobe would wait for it for a long time
    const sockets = new Set<Socket>();
    const mute: Server = createServer((sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    const port = await freePort();
    await new Promise<void>((resolve) => mute.listen(port, '127.0.0.1', resolve));
    try {
      const s = await server({ mounts: { cam0: clips[0] } });
      const h = await harness(model, labels, [
        { name: 'mute', url: `rtsp://127.0.0.1:${port}/live`, fps: 5 },
        { name: 'down', url: `rtsp://127.0.0.1:${await freePort()}/live`, fps: 5, reconnect: { initialMs: 100, maxMs: 200 } },
        { name: 'ok', url: s.url('cam0'), fps: 5 },
      ]);
      await h.online('ok');
      await h.until('the mute camera connected', () => sockets.size > 0, 10_000);
      assert.ok(childProcesses().some((p) => p.comm.startsWith('ffprobe')), 'a probe is waiting on the mute camera');
      await h.stop();
      harnesses.splice(harnesses.indexOf(h), 1);
      const left = await waitForNoChildren({ filter: isFfmpeg, timeoutMs: 3000 });
      assert.deepEqual(left, [], 'no ffmpeg or ffprobe left');
      assert.equal(h.runtime.snapshot().cameras.down.status, 'reconnecting');
    } finally {
      for (const sock of sockets) sock.destroy();
      await new Promise((resolve) => mute.close(resolve));
    }
  });
});
