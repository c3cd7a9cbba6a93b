import assert from 'node:assert/strict';
import { createServer, get, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { firstValueFrom, filter } from 'rxjs';
import { WebSocket } from 'ws';
import { parseConfig } from '../../config/load.js';
import type { Config, WebSocketConfig } from '../../config/types.js';
import { Logger } from '../../core/logger.js';
import { Runtime } from '../../pipeline/runtime.js';
import { WebSocketSink, type WebSocketMessage } from '../../sinks/websocket-sink.js';
import { waitForNoChildren } from '../helpers/processes.js';
import { fakeInputs, newEventUpdate } from '../helpers/sink-inputs.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { DEFAULT_SCENE, renderSquareClip, type SquareScene } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

const quiet = new Logger({ level: 'error', json: false, write: () => undefined });

/** A real `ws` client that records what it receives and lets a test await a condition on it. */
class WsRecorder {
  readonly messages: (WebSocketMessage & { at: number })[] = [];
  readonly replies: Record<string, unknown>[] = [];
  closeCode: number | undefined;
  private waiters = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const body = JSON.parse(data.toString()) as Record<string, unknown>;
      if (typeof body.topic === 'string') this.messages.push({ topic: body.topic, payload: body.payload, at: performance.now() });
      else {
        this.replies.push(body);
        // what came before was for the previous subscription (by default everything)
        if ('subscribed' in body) this.messages.length = 0;
      }
      this.wake();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.wake();
    });
  }

  static async connect(url: string, opts: { autoPong?: boolean; subscribe?: string[] } = {}): Promise<WsRecorder> {
    const ws = new WebSocket(url, { autoPong: opts.autoPong ?? true });
    const rec = new WsRecorder(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    if (opts.subscribe) {
      ws.send(JSON.stringify({ subscribe: opts.subscribe }));
      await rec.waitFor((r) => r.replies.some((x) => 'subscribed' in x || 'error' in x), 'the subscription reply');
    }
    return rec;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  on(topic: string): unknown[] {
    return this.messages.filter((m) => m.topic === topic).map((m) => m.payload);
  }

  waitFor<T>(check: (r: WsRecorder) => T | undefined | false | null, what: string, timeoutMs = 15000): Promise<T> {
    const now = check(this);
    if (now) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out waiting for ${what}; got ${this.messages.length} messages, last ${JSON.stringify(this.messages.at(-1))?.slice(0, 200)}`));
      }, timeoutMs);
      const waiter = () => {
        const v = check(this);
        if (!v) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(v);
      };
      this.waiters.add(waiter);
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

interface EventPayload {
  type: string;
  after: { id: string; current_zones: string[] };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

describe('WebSocket sink (real ws server and clients)', function () {
  this.timeout(60000);
  const tmp = useTmpDir('lookout-ws-');
  const crossing: SquareScene = { ...DEFAULT_SCENE, width: 480, height: 270, duration: 4, size: 48, x0: 10, y0: 100, vx: 200, vy: 0 };
  let model: string;
  let labels: string;
  let clip: string;
  const cleanups: (() => Promise<void> | void)[] = [];
  before(async () => {
    ({ model, labels } = await writeSquareModel(tmp()));
    clip = await renderSquareClip(crossing, join(tmp(), 'crossing.mp4'));
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    assert.deepEqual(await waitForNoChildren({ timeoutMs: 5000 }), [], 'no child process left');
  });

  function config(websocket: Record<string, unknown>): Config {
    return parseConfig(
      {
        model: { path: model, adapter: 'ultralytics', labels, threshold: 0.5 },
        cameras: [
          {
            name: 'yard',
            url: clip,
            realtime: false,
            fps: 10,
            objects: { track: ['square'] },
            zones: { right: { points: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]], inertia: 1 } },
            tracker: { maxDisappearedSeconds: 1 },
          },
        ],
        websocket: { port: 0, ...websocket },
      },
      { env: {} },
    );
  }

  async function client(sink: WebSocketSink, opts?: Parameters<typeof WsRecorder.connect>[1], path = '/ws'): Promise<WsRecorder> {
    const c = await WsRecorder.connect(`ws://127.0.0.1:${sink.port}${path}`, opts);
    cleanups.push(() => c.close());
    return c;
  }

  it('config: optional, with defaults; a bad value names its path', () => {
    const ws = config({}).websocket as WebSocketConfig;
    assert.deepEqual({ ...ws, port: 8080 }, { host: '127.0.0.1', port: 8080, path: '/ws', maxBufferedBytes: 1048576, stallSeconds: 10, heartbeatSeconds: 30, statsIntervalSeconds: 60, authFailures: { max: 20, windowSeconds: 60 } });
    assert.throws(() => config({ path: 'ws' }), /websocket\.path: must match a path starting with \//);
    assert.throws(() => config({ maxBufferedBytes: 10 }), /websocket\.maxBufferedBytes: must be an integer >= 1024/);
  });

  it('mirrors the MQTT topics of the square scene as {topic, payload}; subscriptions filter with + and #', async () => {
    const cfg = config({ statsIntervalSeconds: 0 });
    const runtime = await Runtime.create(cfg, { logger: quiet });
    cleanups.push(() => runtime.stop());
    const sink = await WebSocketSink.create(runtime, { websocket: cfg.websocket as WebSocketConfig, cameras: cfg.cameras, topicPrefix: 'lookout', logger: quiet });
    cleanups.push(() => sink.close());
    const all = await client(sink);
    const counts = await client(sink, { subscribe: ['lookout/+/square'] });
    const events = await client(sink, { subscribe: ['lookout/yard/events'] });
    const bad = await client(sink, { subscribe: ['lookout/#/x', 7 as unknown as string] });
    assert.match(String(bad.replies[0].error), /subscribe\[0\]: '#' must be a whole level and the last one; subscribe\[1\]: must be a string/);
    assert.deepEqual(counts.replies[0], { subscribed: ['lookout/+/square'] });
    // retained state first, as an MQTT subscriber would get it
    await all.waitFor((r) => r.on('lookout/available').length > 0 && r.on('lookout/yard/detect/state').length > 0, 'retained availability and detect state');
    assert.deepEqual(all.on('lookout/available'), ['online']);
    assert.deepEqual(all.on('lookout/yard/detect/state'), ['ON']);

    runtime.start();
    await runtime.done;
    await all.waitFor((r) => (r.on('lookout/yard/events') as EventPayload[]).some((e) => e.type === 'end'), 'the end event');
    await events.waitFor((r) => (r.on('lookout/yard/events') as EventPayload[]).some((e) => e.type === 'end'), 'the end event (filtered client)');
    await counts.waitFor((r) => r.on('lookout/yard/square').length === 3, 'three counts');

    const seen = all.on('lookout/yard/events') as EventPayload[];
    assert.deepEqual(seen.map((e) => e.type), ['new', 'update', 'end']);
    assert.deepEqual(seen[1].after.current_zones, ['right']);
    assert.deepEqual(all.on('lookout/yard/square'), [0, 1, 0]);
    assert.deepEqual(all.on('lookout/yard/zones/right/square'), [0, 1, 0]);
    assert.deepEqual(new Set(counts.messages.map((m) => m.topic)), new Set(['lookout/yard/square']), 'only what matches lookout/+/square');
    assert.deepEqual(counts.on('lookout/yard/square'), [0, 1, 0]);
    assert.deepEqual(new Set(events.messages.map((m) => m.topic)), new Set(['lookout/yard/events']));
    assert.equal(events.messages.length, 3);
    // a refused subscription changes nothing: that client still gets everything
    await bad.waitFor((r) => r.on('lookout/yard/events').length === 3 && r.on('lookout/yard/square').length === 3, 'everything at the refused client');

    // a client joining late gets the retained counts
    const late = await client(sink, { subscribe: ['lookout/yard/#'] });
    await late.waitFor((r) => r.on('lookout/yard/square').length > 0, 'the retained count');
    assert.deepEqual(late.on('lookout/yard/square'), [0]);

    await runtime.stop();
    await sink.close();
    await all.waitFor((r) => r.closeCode !== undefined, 'the close');
    assert.deepEqual(all.on('lookout/available'), ['online', 'stopped']);
    assert.equal(all.closeCode, 1001);
  });

  it('a stalled client (never reads) does not delay another; it is skipped, then dropped', async () => {
    const fake = fakeInputs(['yard']);
    const cfg = config({ maxBufferedBytes: 256 * 1024, stallSeconds: 0.5, statsIntervalSeconds: 0 });
    const sink = await WebSocketSink.create(fake.inputs, { websocket: cfg.websocket as WebSocketConfig, cameras: cfg.cameras, topicPrefix: 'lookout', logger: quiet });
    cleanups.push(() => sink.close());
    const good = await client(sink, { subscribe: ['lookout/yard/events'] });
    const stalled = await client(sink, { subscribe: ['lookout/yard/events'] });
    // stop reading: the server's writes fill the kernel buffers, then its bufferedAmount grows
    (stalled.ws as unknown as { _socket: Socket })._socket.pause();

    // ~33 KB per event (long zone lists), one every 5 ms: ~6.6 MB/s, enough to fill loopback socket buffers in seconds
    const zones = Array.from({ length: 200 }, (_, i) => `zone-${String(i).padStart(3, '0')}-${'x'.repeat(30)}`);
    const sentAt = new Map<string, number>();
    const dropped = firstValueFrom(fake.status.pipe(filter((s) => s.code === 'WS_CLIENT_DROPPED')));
    let n = 0;
    let droppedAt: number | undefined;
    let stopAt = Infinity;
    void dropped.then(() => {
      droppedAt = n;
      stopAt = n + 100; // keep going a little after the drop
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (n >= stopAt || n > 4000) {
          clearInterval(timer);
          return n > 4000 && droppedAt === undefined ? reject(new Error(`not dropped after ${n} messages: ${JSON.stringify(sink.stats())}`)) : resolve();
        }
        n++;
        const id = `e${n}`;
        sentAt.set(id, performance.now());
        fake.updates.next(newEventUpdate(id, n, { currentZones: zones, enteredZones: zones }));
      }, 5);
    });
    const status = await dropped;
    assert.match(status.message, /stalled: over 262144 bytes unsent for 0.5 s/);
    await good.waitFor((r) => r.messages.length === n, `all ${n} messages at the good client`);
    const latencies = good.messages.map((m) => m.at - (sentAt.get((m.payload as EventPayload).after.id) as number));
    const p50 = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);
    const max = Math.max(...latencies);
    const stats = sink.stats();
    // report the figures (the test's point is the numbers)
    console.log(`      good client: ${n} messages, latency p50 ${p50.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms, max ${max.toFixed(2)} ms; stalled client dropped after message ${droppedAt}, ${stats.skipped} skipped`);
    assert.ok(p95 < 50, `p95 latency ${p95.toFixed(1)} ms`);
    assert.ok(max < 250, `max latency ${max.toFixed(1)} ms`);
    assert.equal(stats.dropped, 1);
    assert.equal(stats.clients, 1, 'the good client stays');
    assert.ok(stats.skipped > 0, 'the stalled client was skipped before it was dropped');
    assert.equal(good.closeCode, undefined);
  });

  it('heartbeat: a client that stops answering pings is terminated, one that answers stays', async () => {
    const fake = fakeInputs(['yard']);
    const cfg = config({ heartbeatSeconds: 0.1, statsIntervalSeconds: 0 });
    const sink = await WebSocketSink.create(fake.inputs, { websocket: cfg.websocket as WebSocketConfig, cameras: cfg.cameras, topicPrefix: 'lookout', logger: quiet });
    cleanups.push(() => sink.close());
    const dropped = firstValueFrom(fake.status.pipe(filter((s) => s.code === 'WS_CLIENT_DROPPED')));
    const alive = await client(sink);
    const dead = await client(sink, { autoPong: false });
    const status = await dropped;
    assert.match(status.message, /no answer to ping/);
    await dead.waitFor((r) => r.closeCode !== undefined, 'the dead client closed');
    assert.equal(sink.stats().clients, 1);
    fake.updates.next(newEventUpdate('after', 1));
    await alive.waitFor((r) => r.on('lookout/yard/events').length === 1, 'the live client still served');
    // detection paused elsewhere (the MQTT command) shows up as the retained detect state
    fake.inputs.emitStatus({ severity: 'info', code: 'DETECT_OFF', camera: 'yard', message: 'paused' });
    await alive.waitFor((r) => r.on('lookout/yard/detect/state').includes('OFF'), 'detect state OFF');
    assert.deepEqual(alive.on('lookout/yard/detect/state'), ['ON', 'OFF']);
  });

  it('attaches to an existing HTTP server at /ws, leaves its other routes alone and does not close it', async () => {
    const server: Server = createServer((_req, res) => res.end('api'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as { port: number }).port;
    const fake = fakeInputs(['yard']);
    const cfg = config({ port: 1, statsIntervalSeconds: 0.05 });
    const sink = await WebSocketSink.create(fake.inputs, { websocket: cfg.websocket as WebSocketConfig, cameras: cfg.cameras, topicPrefix: 'cams', logger: quiet, server });
    cleanups.push(() => sink.close());
    assert.equal(sink.port, port);
    const ws = await WsRecorder.connect(`ws://127.0.0.1:${port}/ws`, { subscribe: ['cams/stats', 'cams/available'] });
    cleanups.push(() => ws.close());
    await ws.waitFor((r) => r.on('cams/stats').length > 0, 'a stats message');
    const body = await new Promise<string>((resolve, reject) => {
      get(`http://127.0.0.1:${port}/api`, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    assert.equal(body, 'api');
    await sink.close();
    assert.equal(server.listening, true, 'not ours to close');
    assert.deepEqual(ws.on('cams/available'), ['online', 'stopped']);
  });
});
