import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { lastValueFrom, toArray } from 'rxjs';
import { parseConfig } from '../../config/load.js';
import type { Config, MqttConfig } from '../../config/types.js';
import { Logger } from '../../core/logger.js';
import { Runtime } from '../../pipeline/runtime.js';
import { HttpServer } from '../../sinks/http/http-server.js';
import { MqttSink } from '../../sinks/mqtt/mqtt-sink.js';
import { Snapshots } from '../../sinks/snapshot/snapshots.js';
import { WebSocketSink } from '../../sinks/websocket-sink.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttRecorder, retainedOn } from '../helpers/mqtt-recorder.js';
import { waitForNoChildren } from '../helpers/processes.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { useTmpDir } from '../helpers/tmp.js';

const CHROMIUM = '/usr/bin/chromium';
const quiet = new Logger({ level: 'error', json: false, write: () => undefined });

/**
 * A 40 px red square swinging left and right over 320×240: left edge x = 140 + 100 sin(πt/2), so its bottom centre
 * is at x = 160 + 100 sin(πt/2) and crosses the middle (x = 160) at t = 2, 4, 6, … (sin's expression needs no comma,
 * so the graph needs no escaping). 13 s at 10 fps: crossings at 2, 4, 6, 8, 10 and 12 s.
 */
const SWING = 'color=c=black:s=320x240:r=10:d=13[bg];color=c=red:s=40x40:r=10[sq];[bg][sq]overlay=x=140+100*sin(PI*t/2):y=100:eval=frame:shortest=1:format=rgb';

interface CrossingMsg {
  id: string;
  camera: string;
  line: string;
  label: string;
  direction: 'in' | 'out';
  frame_time: number;
  stream_time: number;
  time: number;
  snapshot_time: number;
}

describe('counting lines end to end (lavfi square, real ffmpeg, onnxruntime, mosquitto, ws, Chromium)', function () {
  this.timeout(90000);
  const tmp = useTmpDir('lookout-lines-');
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    assert.deepEqual(await waitForNoChildren({ timeoutMs: 5000 }), [], 'no child process left');
  });

  async function config(mqtt: Record<string, unknown>): Promise<Config> {
    const { model, labels } = await writeSquareModel(tmp());
    return parseConfig(
      {
        model: { path: model, adapter: 'ultralytics', labels, threshold: 0.5 },
        cameras: [
          {
            name: 'arena',
            url: `lavfi:${SWING}`,
            realtime: false,
            fps: 10,
            objects: { track: ['square'] },
            // drawn top to bottom, so side a is the right half: moving left is `in`
            lines: { middle: { points: [[0.5, 0], [0.5, 1]] } },
          },
        ],
        mqtt,
        http: { port: 0 },
      },
      { env: {} },
    );
  }

  it('the square crosses 6 times: 3 in and 3 out, as crossings and retained counts on a real broker, in HA discovery and on the dashboard', async () => {
    const broker = await Mosquitto.start();
    cleanups.push(() => broker.close());
    const rec = await MqttRecorder.connect(broker.url, ['lookout/#', 'homeassistant/#']);
    cleanups.push(() => rec.close());
    const cfg = await config({ url: broker.url });
    const runtime = await Runtime.create(cfg, { logger: quiet });
    cleanups.push(() => runtime.stop());
    const sink = await MqttSink.create(runtime, { mqtt: cfg.mqtt as MqttConfig, cameras: cfg.cameras, logger: quiet });
    cleanups.push(() => sink.close());
    const snapshots = new Snapshots(runtime.updates$, runtime.frames, quiet);
    cleanups.push(async () => snapshots.close());
    const server = await HttpServer.create(runtime, { host: '127.0.0.1', port: 0, auth: undefined, logger: quiet, cameras: cfg.cameras, snapshots, maxUploadBytes: 100000, eventsKept: 100 });
    cleanups.push(() => server.close());
    const ws = await WebSocketSink.create(runtime, { websocket: { host: '127.0.0.1', port: 0, path: '/ws', maxBufferedBytes: 1 << 20, stallSeconds: 10, heartbeatSeconds: 30, statsIntervalSeconds: 0, authFailures: { max: 20, windowSeconds: 60 } }, cameras: cfg.cameras, topicPrefix: 'lookout', logger: quiet, server: server.server });
    cleanups.push(() => ws.close());
    await rec.waitForText('lookout/available', 'online');
    const updates = lastValueFrom(runtime.updates$.pipe(toArray()));
    runtime.start();
    await runtime.done;
    assert.equal(runtime.failure, undefined);
    await rec.waitFor((r) => r.texts('lookout/arena/line/middle/square/out').includes('3'), 'the third out');
    assert.equal(await sink.drained(), true);

    // one message per crossing, alternating, all the same object (its event id)
    const crossings = rec.json<CrossingMsg>('lookout/arena/crossings');
    assert.deepEqual(crossings.map((c) => c.direction), ['in', 'out', 'in', 'out', 'in', 'out']);
    assert.equal(new Set(crossings.map((c) => c.id)).size, 1);
    const events = (await updates).flatMap((u) => u.events);
    assert.equal(crossings[0].id, events[0].after.id, 'the crossing names the event');
    // confirmed 3 frames (minFrames) after the frame past the line at 2k s
    crossings.forEach((c, k) => assert.ok(c.stream_time > 2 * (k + 1) && c.stream_time <= 2 * (k + 1) + 0.45, `crossing ${k} at ${c.stream_time}`));
    assert.ok(crossings.every((c) => c.label === 'square' && c.line === 'middle' && c.camera === 'arena' && c.time > 1.7e9));
    // frame_time is the same frame on the events' clock: epoch seconds, stream time plus the camera's one anchor
    // (this scene is read as fast as possible, so capture times `time` run ahead of it)
    const anchors = new Set(crossings.map((c) => Math.round((c.frame_time - c.stream_time) * 1000)));
    assert.equal(anchors.size, 1, `one anchor: ${[...anchors].join(', ')}`);
    assert.ok(crossings[0].frame_time > 1.7e9 && Math.abs(crossings[0].frame_time - crossings[0].time) < 60, `frame_time ${crossings[0].frame_time} is epoch seconds`);

    // daily counts step by one, totals too; every value retained
    assert.deepEqual(rec.texts('lookout/arena/line/middle/square/in'), ['0', '1', '2', '3']);
    assert.deepEqual(rec.texts('lookout/arena/line/middle/square/out'), ['0', '1', '2', '3']);
    const retained = await retainedOn(broker.url, ['lookout/arena/line/#', 'homeassistant/sensor/#'], 'lookout/available');
    assert.equal(retained.get('lookout/arena/line/middle/square/in'), '3');
    assert.equal(retained.get('lookout/arena/line/middle/square/out'), '3');
    assert.equal(retained.get('lookout/arena/line/middle/square/in/total'), '3');
    assert.equal(retained.get('lookout/arena/line/middle/square/out/total'), '3');
    const sensor = JSON.parse(retained.get('homeassistant/sensor/lookout/arena_middle_square_in/config') ?? 'null') as Record<string, unknown>;
    assert.equal(sensor.state_topic, 'lookout/arena/line/middle/square/in');
    assert.equal(sensor.state_class, 'total_increasing');
    assert.ok(retained.has('homeassistant/sensor/lookout/arena_middle_square_out/config'));

    // the API lists the line; the dashboard draws it with today's counts (from the retained WebSocket topics)
    const cameras = (await (await fetch(`${server.url}/api/cameras`)).json()) as { lines: unknown[]; width: number }[];
    assert.deepEqual(cameras[0].lines, [{ name: 'middle', points: [[0.5, 0], [0.5, 1]], direction: 'both', labels: ['square'] }]);
    assert.equal(cameras[0].width, 320);
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package`);
    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    await page.goto(server.url);
    const line = page.locator('article[data-camera="arena"] svg.lines g[data-line="middle"][data-in="3"][data-out="3"]');
    await line.waitFor({ timeout: 15000 });
    assert.equal(await line.locator('text').textContent(), 'middle in 3 · out 3');
    // drawn where the config says: the middle of the 320 px picture, top to bottom
    const drawn = await line.locator('line').evaluate((l) => ['x1', 'y1', 'x2', 'y2'].map((k) => Number(l.getAttribute(k))));
    assert.deepEqual(drawn, [160, 0, 160, 240]);
  });

  it("a line that counts a label the model cannot detect fails at start with LOOKOUT_ERR_CONFIG naming the line, and leaves no worker or ffmpeg", async () => {
    const { model, labels } = await writeSquareModel(tmp());
    const cfg = parseConfig(
      {
        model: { path: model, adapter: 'ultralytics', labels, threshold: 0.5 },
        cameras: [{ name: 'arena', url: `lavfi:${SWING}`, realtime: false, fps: 10, objects: { track: ['person'] }, lines: { middle: { points: [[0.5, 0], [0.5, 1]] } } }],
      },
      { env: {} },
    );
    await assert.rejects(Runtime.create(cfg, { logger: quiet }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'LOOKOUT_ERR_CONFIG');
      assert.match(err.message, /cameras\[0\]\.lines\.middle\.labels: 'person' not among the model's labels \(square\)/);
      return true;
    });
  });
});
