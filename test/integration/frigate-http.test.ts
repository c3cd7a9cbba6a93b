// The Home Assistant Frigate integration's calls, replayed against a real `lookout run` in the Frigate dialect (square
// detector, lavfi camera, mosquitto), in the order the integration makes them: the coordinator's first
// `/api/stats`, `/api/version`, `/api/config`, then what its camera, sensor and media-browser code fetch. Every field it
// reads is checked for its type, and the values that could be wrong for theirs: camera and zone names, the MQTT topic
// prefix, event ids against the ids heard on `frigate/events`, JPEG bytes and the height asked for.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { spawnLookout, until, type LookoutChild } from '../helpers/faults.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { freePort } from '../helpers/ports.js';
import { BEARER, startLookout } from '../helpers/running-lookout.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { lavfiSpec } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

type Json = Record<string, unknown>;

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isJpeg = (b: Buffer) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/** AwesomeVersion's order on plain x.y.z, as the integration compares the part of `/api/version` before `-`. */
function atLeast(version: string, floor: string): boolean {
  const a = version.split('.').map(Number);
  const b = floor.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

describe('Frigate HTTP API for the Home Assistant integration (real lookout run, frigate dialect)', function () {
  this.timeout(90_000);
  const tmp = useTmpDir('lookout-frigate-http-');
  let lookout: LookoutChild | undefined;
  let broker: Mosquitto | undefined;
  let mqtt: MqttRecorder | undefined;
  let api: string;

  before(async () => {
    const { model, labels } = await writeSquareModel(tmp());
    const httpPort = await freePort();
    // listening before Lookout starts: the first `new` comes with the first frames
    broker = await Mosquitto.start();
    mqtt = await MqttRecorder.connect(broker.url, ['frigate/events', 'frigate/stats']);
    // the square crosses the frame left to right every ~10 s, through the left-half zone
    const scene = { width: 320, height: 240, fps: 10, duration: 3600, size: 40, x0: 20, y0: 100, vx: 3, vy: 0 };
    const file = join(tmp(), 'lookout.yaml');
    await writeFile(
      file,
      [
        `model: { path: ${model}, adapter: ultralytics, labels: ${labels}, threshold: 0.5 }`,
        'cameras:',
        `  - name: yard`,
        `    url: "lavfi:${lavfiSpec(scene)}"`,
        '    fps: 5',
        '    objects: { track: [square] }',
        '    zones: { left: { points: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]], objects: [square] } }',
        // no auth: the integration sends none (a Frigate's port 5000 has none); loopback only
        `http: { host: 127.0.0.1, port: ${httpPort} }`,
        `mqtt: { url: ${broker.url}, dialect: frigate, statsIntervalSeconds: 1 }`,
        'log: { json: true }',
      ].join('\n') + '\n',
    );
    lookout = spawnLookout(['run', '-c', file]);
    api = `http://127.0.0.1:${httpPort}`;
    await until('the API answering', async () => (await fetch(`${api}/api/health/live`).catch(() => undefined))?.status === 200, 30_000, 100).catch((err: Error) => {
      throw new Error(`${err.message}; its stderr: ${lookout!.stderr().slice(-2000)}`);
    });
  });

  after(async () => {
    await mqtt?.close();
    if (lookout && lookout.child.exitCode === null && lookout.child.signalCode === null) {
      lookout.child.kill('SIGTERM');
      await lookout.exited;
    }
    await broker?.stop();
  });

  const get = (path: string) => fetch(`${api}${path}`);
  const json = async <T = Json>(path: string): Promise<T> => {
    const res = await get(path);
    assert.equal(res.status, 200, `${path}: ${res.status} ${await res.clone().text()}`);
    // aiohttp's response.json() refuses anything but application/json
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    return (await res.json()) as T;
  };
  const jpeg = async (path: string): Promise<{ bytes: Buffer; height: number; width: number }> => {
    const res = await get(path);
    assert.equal(res.status, 200, `${path}: ${res.status}`);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.ok(isJpeg(bytes), `${path} is not a JPEG`);
    const meta = await sharp(bytes).metadata();
    return { bytes, height: meta.height!, width: meta.width! };
  };

  it('answers the call list the integration makes, in the shapes it reads', async () => {
    // 1. the coordinator's first refresh: /api/stats, polled every 5 s after
    const stats = await until('a camera with a detection rate in /api/stats', async () => {
      const s = await json<Json>('/api/stats');
      const yard = (s.cameras as Record<string, Json> | undefined)?.yard;
      return yard && (yard.detection_fps as number) > 0 ? s : undefined;
    }, 30_000, 200);
    // sensor.py: a sensor per top-level `*_fps` key (round(float(v))), per `cameras.<name>.*_fps`, per detector
    for (const [key, value] of Object.entries(stats)) if (key.endsWith('_fps')) assert.ok(isNumber(value), `${key} is a number`);
    assert.deepEqual(Object.keys(stats.cameras as Json), ['yard']);
    const yard = (stats.cameras as Record<string, Json>).yard;
    for (const k of ['camera_fps', 'detection_fps', 'process_fps', 'skipped_fps']) assert.ok(isNumber(yard[k]), `cameras.yard.${k}`);
    const detectors = stats.detectors as Record<string, Json>;
    assert.ok(Object.keys(detectors).length >= 1);
    for (const d of Object.values(detectors)) assert.ok(isNumber(d.inference_speed) && d.inference_speed > 0);
    const service = stats.service as Json;
    assert.ok(Number.isInteger(service.uptime));
    assert.equal(typeof service.version, 'string');
    // keys it would turn into sensors that are always unknown stay out
    assert.equal(stats.cpu_usages, undefined);
    assert.equal(stats.gpu_usages, undefined);
    assert.deepEqual(service.temperatures, {});

    // 2. /api/version, as text; the integration refuses a server older than its cut-off (0.12.0 today)
    const versionRes = await get('/api/version');
    assert.equal(versionRes.status, 200);
    const version = await versionRes.text();
    assert.ok(atLeast(version.split('-')[0], '0.12.0'), `version ${version}`);
    assert.match(version, /lookout/);

    // 3. /api/config: what every platform's setup indexes
    const config = await json<Json>('/api/config');
    const mqttSection = config.mqtt as Json;
    assert.equal(mqttSection.topic_prefix, 'frigate');
    assert.equal(typeof mqttSection.client_id, 'string');
    assert.equal(typeof config.version, 'string');
    assert.equal((config.birdseye as Json).restream, false);
    const cameras = config.cameras as Record<string, Json>;
    assert.deepEqual(Object.keys(cameras), ['yard']);
    const cam = cameras.yard;
    assert.deepEqual((cam.objects as Json).track, ['square']);
    assert.deepEqual(Object.keys(cam.zones as Json), ['left']);
    assert.deepEqual(((cam.zones as Record<string, Json>).left).objects, ['square']);
    assert.equal((cam.audio as Json).enabled_in_config, false);
    const motion = cam.motion as Json;
    assert.ok(isNumber(motion.threshold) && isNumber(motion.contour_area) && typeof motion.enabled === 'boolean');
    assert.equal(typeof (cam.record as Json).enabled, 'boolean');
    assert.equal(typeof (cam.snapshots as Json).enabled, 'boolean');
    // no restream: the camera entity has no stream source
    assert.equal((cam.rtmp as Json).enabled, false);
    assert.deepEqual((config.go2rtc as Json).streams, {});

    // the camera entity's picture: /api/<camera>/latest.jpg, with ?h= when HA asks for a height
    const full = await jpeg('/api/yard/latest.jpg');
    assert.equal(full.height, 240);
    const small = await jpeg('/api/yard/latest.jpg?h=120');
    assert.equal(small.height, 120);
    assert.equal(small.width, 160);
    assert.equal((await get('/api/nope/latest.jpg')).status, 404);
    assert.equal((await get('/api/yard/latest.jpg?h=0')).status, 400);

    // 4. an event, heard on MQTT as the integration's entities hear it
    const heard = await mqtt!.waitFor((r) => r.json<{ type: string; after: { id: string; camera: string; start_time: number; has_snapshot: boolean } }>('frigate/events').find((e) => e.after.has_snapshot), 'an event with a snapshot', 30_000);
    const id = heard.after.id;
    assert.equal(heard.after.camera, 'yard');

    // the media browser: /api/events with its parameters (lists comma-separated, flags 0/1, include_thumbnails=0)
    const events = await until('the event in /api/events', async () => {
      const list = await json<Json[]>(`/api/events?cameras=yard&labels=square&limit=50&has_snapshot=1&include_thumbnails=0`);
      return list.some((e) => e.id === id) ? list : undefined;
    }, 10_000, 100);
    const row = events.find((e) => e.id === id)!;
    assert.equal(row.camera, 'yard');
    assert.equal(row.label, 'square');
    assert.ok(Math.abs((row.start_time as number) - heard.after.start_time) < 1e-3, `start_time ${row.start_time} vs ${heard.after.start_time}`);
    assert.ok(Math.abs((row.start_time as number) - Date.now() / 1000) < 120, 'start_time is epoch seconds');
    assert.ok(row.end_time === null || isNumber(row.end_time));
    assert.equal(row.has_snapshot, true);
    assert.equal(typeof row.has_clip, 'boolean');
    assert.ok(Array.isArray(row.zones));
    assert.equal(row.sub_label, null);
    const data = row.data as Json;
    assert.ok(isNumber(data.top_score) && data.top_score > 0.5 && data.top_score <= 1);
    assert.ok(isNumber(row.top_score));
    assert.equal((data.box as number[]).length, 4);
    for (const v of data.box as number[]) assert.ok(v >= 0 && v <= 1, `relative box ${String(data.box)}`);
    // one row per object, newest start first
    assert.equal(new Set(events.map((e) => e.id)).size, events.length);
    for (let i = 1; i < events.length; i++) assert.ok((events[i - 1].start_time as number) >= (events[i].start_time as number));
    // filters that must leave it out, and older parameter names (camera, label) that must keep it
    const start = row.start_time as number;
    assert.deepEqual(await json(`/api/events?cameras=nope`), []);
    assert.deepEqual(await json(`/api/events?labels=person`), []);
    assert.ok(!(await json<Json[]>(`/api/events?before=${Math.floor(start) - 1}`)).some((e) => e.id === id));
    assert.ok(!(await json<Json[]>(`/api/events?after=${Math.ceil(start)}`)).some((e) => e.id === id));
    assert.ok((await json<Json[]>(`/api/events?after=${Math.floor(start) - 1}&before=${Math.ceil(start) + 1}`)).some((e) => e.id === id));
    assert.ok((await json<Json[]>(`/api/events?camera=yard&label=square&has_clip=0`)).some((e) => e.id === id));
    assert.deepEqual(await json(`/api/events?has_clip=1`), []);
    // it starts in the left half: the zone it entered
    assert.deepEqual(row.zones, ['left']);
    assert.ok((await json<Json[]>(`/api/events?zones=left`)).some((e) => e.id === id));
    assert.deepEqual(await json(`/api/events?zones=nowhere`), []);
    assert.deepEqual(await json(`/api/events?favorites=1`), []);
    assert.equal((await json<Json[]>(`/api/events?limit=1`)).length, 1);
    assert.equal((await get('/api/events?limit=x')).status, 400);

    // the summary it counts by camera, label, zones and day (in HA's time zone)
    const summary = await json<Json[]>('/api/events/summary?has_snapshot=1&timezone=Pacific%2FAuckland');
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Pacific/Auckland', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(start * 1000));
    const mine = summary.filter((s) => s.camera === 'yard' && s.label === 'square' && s.day === day);
    assert.ok(mine.length >= 1, JSON.stringify(summary));
    for (const s of summary) assert.ok(Number.isInteger(s.count) && (s.count as number) >= 1 && Array.isArray(s.zones) && /^\d{4}-\d{2}-\d{2}$/.test(s.day as string));
    assert.equal((await get('/api/events/summary?timezone=Not%2FAZone')).status, 400);

    // one event (the media source resolves a clip's times through it)
    const one = await json<Json>(`/api/events/${id}`);
    assert.equal(one.id, id);
    assert.equal(one.camera, 'yard');
    assert.equal((await get('/api/events/1.000000-zzzzzz')).status, 404);

    // the pictures its proxy views fetch: thumbnail (Frigate's 175 rows), snapshot (whole, or ?h=)
    const thumb = await jpeg(`/api/events/${id}/thumbnail.jpg`);
    assert.equal(thumb.height, 175);
    const snap = await jpeg(`/api/events/${id}/snapshot.jpg`);
    assert.equal(snap.height, 240);
    assert.equal((await jpeg(`/api/events/${id}/snapshot.jpg?h=60`)).height, 60);
    // no `record` on this camera: no clip, and has_clip said so
    assert.equal(row.has_clip, false);
    assert.equal((await get(`/api/events/${id}/clip.mp4`)).status, 404);

    // Frigate's stats shape on frigate/stats too
    const published = await mqtt!.waitFor((r) => r.json<Json>('frigate/stats').find((s) => (s.cameras as Json | undefined)?.yard !== undefined), 'Frigate-shaped stats on frigate/stats', 10_000);
    assert.ok(isNumber(((published.cameras as Record<string, Json>).yard).camera_fps));
    assert.ok(Number.isInteger((published.service as Json).uptime));
  });

  it("keeps Lookout's own stats and events under /api/lookout, snake_case", async () => {
    const stats = await json<{ uptime_seconds: number; cameras: Record<string, { frames_detected: number; detect_fps: number }>; detector: { inference_ms_p50: number } }>('/api/lookout/stats');
    assert.ok(stats.cameras.yard.frames_detected > 0);
    assert.ok(isNumber(stats.detector.inference_ms_p50));
    const events = await json<{ type: string; object: { id: string; top_score: number } }[]>('/api/lookout/events?limit=5');
    assert.ok(events.length > 0 && typeof events[0].object.top_score === 'number');
    const cameras = await json<{ name: string; detect_fps: number; inference_ms: number; frames_detected: number }[]>('/api/cameras');
    assert.equal(cameras[0].name, 'yard');
    assert.ok(isNumber(cameras[0].detect_fps) && isNumber(cameras[0].inference_ms) && cameras[0].frames_detected > 0);
  });
});

describe('Frigate HTTP API behind http.auth', function () {
  this.timeout(60_000);
  const tmp = useTmpDir('lookout-frigate-auth-');

  it('is behind the same auth as the rest of the API', async () => {
    const mqttPort = await freePort();
    const lk = await startLookout(tmp(), { extra: [`mqtt: { dialect: frigate, embedded: { host: 127.0.0.1, port: ${mqttPort} } }`] });
    try {
      for (const path of ['/api/version', '/api/config', '/api/stats', '/api/events', '/api/events/summary', '/api/yard/latest.jpg']) {
        assert.equal((await fetch(`${lk.api}${path}`)).status, 401, path);
        const ok = await fetch(`${lk.api}${path}`, { headers: BEARER });
        assert.equal(ok.status, 200, path);
        await ok.arrayBuffer();
      }
    } finally {
      await lk.stop();
    }
  });
});
