// Event clips end to end: a live RTSP camera (real gst-rtsp-server, H.264), real ffmpeg recording beside detection in
// one process, real onnxruntime on the square detector, and the HTTP API serving the clip with range requests.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { chromium } from 'playwright-core';
import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import { parseConfig } from '../../config/load.js';
import { Logger } from '../../core/logger.js';
import type { ObjectEvent, Status } from '../../core/types.js';
import { closeSinks, createSinks } from '../../pipeline/create-sinks.js';
import { Runtime } from '../../pipeline/runtime.js';
import type { Sink } from '../../core/sink.js';
import type { HttpServer } from '../../sinks/http/http-server.js';
import { until } from '../helpers/faults.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { freePort } from '../helpers/ports.js';
import { WebSocket } from 'ws';
import { waitForNoChildren } from '../helpers/processes.js';
import { missingDependency, requireTool } from '../helpers/require.js';
import { RtspServer, rtspServerUnavailable } from '../helpers/rtsp-server.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { renderSquareClip, type SquareScene } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';
import { probeToEnd } from '../helpers/ffprobe.js';

// off screen for 2.5 s, across the picture until 7 s, then black: one event with time before it for the pre-roll
const scene: SquareScene = { width: 320, height: 240, fps: 10, duration: 30, size: 40, x0: -240, y0: 100, vx: 80, vy: 0 };
const GOP_S = 1;
const CHROMIUM = '/usr/bin/chromium';

describe('event clips (real RTSP camera, ffmpeg stream copy, HTTP range requests)', function () {
  this.timeout(90_000);
  const tmp = useTmpDir('lookout-clips-');
  let clip: string;
  let model: string;
  let labels: string;
  const closers: (() => Promise<void> | void)[] = [];

  before(async function () {
    requireTool(this, "GStreamer's RTSP server", rtspServerUnavailable());
    clip = await renderSquareClip(scene, join(tmp(), 'cam.mp4'), { gop: 10 });
    ({ model, labels } = await writeSquareModel(tmp()));
  });

  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
    assert.deepEqual(await waitForNoChildren({ timeoutMs: 3000 }), [], 'no ffmpeg left');
  });

  async function start(record: Record<string, unknown>) {
    const mqttPort = await freePort();
    const server = await RtspServer.start({ mounts: { cam: clip } });
    closers.push(() => server.stop());
    const config = parseConfig(
      {
        model: { path: model, adapter: 'ultralytics', labels, threshold: 0.5 },
        cameras: [{ name: 'cam', url: server.url('cam'), fps: 5, tracker: { maxDisappearedSeconds: 1 }, objects: { track: ['square'] }, record: { enabled: true, dir: join(tmp(), 'rec'), segmentSeconds: 1, ...record } }],
        http: { port: 0 },
        mqtt: { dialect: 'frigate', embedded: { port: mqttPort }, discovery: { enabled: false }, statsIntervalSeconds: 0 },
      },
      { env: {} },
    );
    const logger = new Logger({ level: 'warn', json: true, write: () => undefined });
    const runtime = await Runtime.create(config, { logger });
    const events: ObjectEvent[] = [];
    const statuses: Status[] = [];
    const subs: Subscription[] = [runtime.updates$.subscribe((u) => events.push(...u.events)), runtime.status$.subscribe((s) => statuses.push(s))];
    const sinks: Sink[] = await createSinks(runtime, config, { logger, json: false });
    runtime.start();
    closers.push(async () => {
      await runtime.stop();
      await closeSinks(sinks, logger);
      for (const s of subs) s.unsubscribe();
    });
    const http = sinks.find((s) => s.name === 'http') as HttpServer;
    const mqtt = await MqttRecorder.connect(`mqtt://127.0.0.1:${mqttPort}`, ['frigate/events']);
    closers.push(() => mqtt.close());
    const ws = new WebSocket(http.url.replace('http', 'ws') + '/ws');
    const wsEvents: { after: { id: string; has_clip: boolean }; type: string }[] = [];
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { topic: string; payload: unknown };
      if (m.topic.endsWith('/events')) wsEvents.push(m.payload as (typeof wsEvents)[number]);
    });
    closers.push(() => ws.close());
    return { runtime, events, statuses, http, config, mqtt, wsEvents };
  }

  it('cuts the clip of a long event when it reaches maxClipSeconds, before the event ends', async () => {
    const { events, runtime } = await start({ preSeconds: 1, postSeconds: 1, maxClipSeconds: 2, dir: join(tmp(), 'rec-long') });
    const born = await until('an event starts', () => events.find((e) => e.type === 'new'), 60_000);
    const id = born.after.id;
    await until('the clip of the first 2 s is written', () => runtime.clips.open(id), 30_000).then((h) => h.release());
    assert.equal(events.some((e) => e.type === 'end' && e.after.id === id), false, 'the clip was made while the event was still open');
    await until('the event ends', () => events.find((e) => e.type === 'end' && e.after.id === id), 60_000);
    const files = await readdir(join(tmp(), 'rec-long', 'cam', 'clips'));
    assert.deepEqual(files, [`${id}.mp4`], 'one clip, made once');
    const probe = await probeToEnd(join(tmp(), 'rec-long', 'cam', 'clips', `${id}.mp4`));
    assert.ok(Math.abs(probe.duration - 2) <= GOP_S, `clip ${probe.duration.toFixed(2)} s against maxClipSeconds 2`);
  });

  it('cuts the event with its pre- and post-roll from the recording, says has_clip (Frigate MQTT, /ws, /api/events) and serves it with range requests; the dashboard plays it in Chromium', async function () {
    const { events, http, runtime, mqtt, wsEvents } = await start({ preSeconds: 2, postSeconds: 2 });
    const end = await until('an event ends', () => events.find((e) => e.type === 'end'), 60_000);
    const id = end.after.id;
    assert.equal(runtime.clips.has(id), true, 'has_clip as soon as the event ends: the clip is being made');
    const frigateEnd = await mqtt.waitFor((r) => r.json<{ type: string; after: { id: string; has_clip: boolean } }>('frigate/events').find((e) => e.type === 'end' && e.after.id === id), 'the end on frigate/events');
    assert.equal(frigateEnd.after.has_clip, true, 'Frigate dialect: has_clip');
    const wsEnd = await until('the end on /ws', () => wsEvents.find((e) => e.type === 'end' && e.after.id === id));
    assert.equal(wsEnd.after.has_clip, true, 'WebSocket (Lookout dialect): has_clip');
    await until('the clip is written', () => runtime.clips.open(id), 20_000).then((h) => h.release());
    // under the Frigate dialect /api/events answers Frigate's rows; Lookout's own list stays at /api/lookout/events
    const list = (await (await fetch(`${http.url}/api/lookout/events?camera=cam`)).json()) as { type: string; object: { id: string; has_clip: boolean } }[];
    assert.ok(list.some((e) => e.object.id === id && e.object.has_clip), '/api/lookout/events says has_clip');
    const rows = (await (await fetch(`${http.url}/api/events?camera=cam`)).json()) as { id: string; has_clip: boolean }[];
    assert.ok(rows.some((r) => r.id === id && r.has_clip), "/api/events (Frigate's rows) says has_clip");

    const url = `${http.url}/api/events/${id}/clip.mp4`;
    const whole = await fetch(url);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('accept-ranges'), 'bytes');
    assert.equal(whole.headers.get('content-type'), 'video/mp4');
    const body = Buffer.from(await whole.arrayBuffer());
    assert.equal(body.subarray(4, 8).toString('latin1'), 'ftyp', 'an MP4');
    const part = await fetch(url, { headers: { range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 100-199/${body.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), body.subarray(100, 200));
    const tail = await fetch(url, { headers: { range: 'bytes=-10' } });
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), body.subarray(body.length - 10));
    assert.equal((await fetch(url, { headers: { range: `bytes=${body.length}-` } })).status, 416);
    assert.equal((await fetch(`${http.url}/api/events/1.0-zzzzzz/clip.mp4`)).status, 404);
    assert.equal((await fetch(`${http.url}/api/events/..%2Fx/clip.mp4`)).status, 400);

    // playable to its end, as long as the event plus pre- and post-roll (keyframe cuts: within one GOP)
    const files = await readdir(join(tmp(), 'rec', 'cam', 'clips'));
    assert.deepEqual(files, [`${id}.mp4`], 'one clip, no temporary files left');
    const probe = await probeToEnd(join(tmp(), 'rec', 'cam', 'clips', `${id}.mp4`));
    const span = (end.after.endTime ?? end.after.lastSeen) - end.after.startTime + 2 + 2;
    assert.equal(probe.codec, 'h264');
    assert.ok(Math.abs(probe.duration - span) <= GOP_S, `clip ${probe.duration.toFixed(2)} s against event + pre + post ${span.toFixed(2)} s`);
    assert.ok(probe.frames >= Math.floor((span - GOP_S) * scene.fps), `every frame is there (${probe.frames})`);
    console.log(`      clip ${probe.duration.toFixed(2)} s, event+pre+post ${span.toFixed(2)} s, ${probe.frames} frames, ${body.length} bytes`);

    // the dashboard plays it from its events list, in headless Chromium, through the API (range requests and all)
    if (!existsSync(CHROMIUM)) missingDependency(this, `${CHROMIUM} not found: apt-get install chromium`);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--autoplay-policy=no-user-gesture-required'] });
    closers.push(() => browser.close());
    const page = await browser.newPage();
    await page.goto(http.url);
    const button = page.locator(`li.event[data-id="${id}"][data-type="end"] button.clip`);
    await button.click({ timeout: 20_000 });
    const played = await page.waitForFunction((eventId) => {
      const v = document.querySelector(`video.clip[data-id="${eventId}"]`) as HTMLVideoElement | null;
      if (v?.error) return { error: v.error.code };
      return v && v.readyState >= 2 && v.currentTime > 0.5 ? { duration: v.duration, width: v.videoWidth } : false;
    }, id, { timeout: 20_000 });
    const seen = (await played.jsonValue()) as { duration?: number; width?: number; error?: number };
    assert.equal(seen.error, undefined, `Chromium played the clip (media error ${seen.error})`);
    assert.equal(seen.width, scene.width);
    assert.ok(Math.abs(seen.duration! - probe.duration) < 0.5, `Chromium sees ${seen.duration} s`);
  });
});
