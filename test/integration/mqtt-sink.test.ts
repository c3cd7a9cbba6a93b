import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bufferCount, filter, firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { loadConfig, parseConfig } from '../../config/load.js';
import type { Config, MqttConfig } from '../../config/types.js';
import { Logger } from '../../core/logger.js';
import { Runtime } from '../../pipeline/runtime.js';
import type { Status } from '../../core/types.js';
import { MqttSink } from '../../sinks/mqtt/mqtt-sink.js';
import { cliPath } from '../helpers/assets.js';
import { Mosquitto, selfSignedCert } from '../helpers/mosquitto.js';
import { MqttRecorder, retainedOn } from '../helpers/mqtt-recorder.js';
import { freePort } from '../helpers/ports.js';
import { waitForNoChildren } from '../helpers/processes.js';
import { fakeInputs, newEventUpdate } from '../helpers/sink-inputs.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { DEFAULT_SCENE, renderSquareClip, type SquareScene } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

const quiet = new Logger({ level: 'error', json: false, write: () => undefined });

/** Frigate's `TrackedObject.to_dict()` keys (Frigate 0.16), which the Frigate dialect must all carry. */
const FRIGATE_FIELDS = [
  'id', 'camera', 'frame_time', 'snapshot', 'label', 'sub_label', 'top_score', 'false_positive', 'start_time', 'end_time',
  'score', 'box', 'area', 'ratio', 'region', 'active', 'stationary', 'motionless_count', 'position_changes', 'current_zones',
  'entered_zones', 'has_clip', 'has_snapshot', 'attributes', 'current_attributes', 'pending_loitering', 'max_severity',
  'current_estimated_speed', 'average_estimated_speed', 'velocity_angle', 'path_data', 'recognized_license_plate',
];

interface EventMsg {
  type: 'new' | 'update' | 'end';
  before: Record<string, unknown>;
  after: Record<string, unknown> & { id: string; current_zones: string[]; entered_zones: string[] };
}

/** Resolves once `until` holds, checking every `everyMs` (for conditions no event announces, such as frames read). */
async function until(check: () => boolean, what: string, timeoutMs = 15000, everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Before stopping the broker: our messages are all acknowledged, and so are the subscriber's acknowledgements (a
 * QoS 1 round trip on its connection is processed after them), so that the broker's own at-least-once redelivery to
 * the subscriber after its restart cannot be mistaken for a duplicate from the sink.
 */
async function settle(sink: MqttSink, rec: MqttRecorder): Promise<void> {
  assert.equal(await sink.drained(), true, 'every message acknowledged');
  await rec.publish('lookout-test/barrier', 'x');
}

describe('MQTT sink (real mosquitto, aedes and mqtt.js)', function () {
  this.timeout(60000);
  const tmp = useTmpDir('lookout-mqtt-');
  // the square crosses into the right half (the zone) at ~1.03 s and leaves the picture at ~2.35 s
  const crossing: SquareScene = { ...DEFAULT_SCENE, width: 480, height: 270, duration: 4, size: 48, x0: 10, y0: 100, vx: 200, vy: 0 };
  let model: string;
  let labels: string;
  let clip: string;
  const cleanups: (() => Promise<void>)[] = [];
  before(async () => {
    ({ model, labels } = await writeSquareModel(tmp()));
    clip = await renderSquareClip(crossing, join(tmp(), 'crossing.mp4'));
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    assert.deepEqual(await waitForNoChildren({ timeoutMs: 5000 }), [], 'no child process left (ffmpeg, mosquitto, lookout)');
  });

  function sceneConfig(mqtt: Record<string, unknown>, camera: Record<string, unknown> = {}): Config {
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
            ...camera,
          },
        ],
        mqtt,
      },
      { env: {} },
    );
  }

  async function broker(): Promise<Mosquitto> {
    const b = await Mosquitto.start();
    cleanups.push(() => b.close());
    return b;
  }

  async function recorder(url: string, filters: string[], opts?: Parameters<typeof MqttRecorder.connect>[2]): Promise<MqttRecorder> {
    const r = await MqttRecorder.connect(url, filters, opts);
    cleanups.push(() => r.close());
    return r;
  }

  describe('config', () => {
    it('is optional, fills defaults (prefix by dialect) and names the path of a bad value', () => {
      assert.equal(sceneConfig(undefined as unknown as Record<string, unknown>).mqtt, undefined);
      const lookout = sceneConfig({}).mqtt as MqttConfig;
      assert.equal(lookout.topicPrefix, 'lookout');
      assert.equal(lookout.qos, 1);
      assert.deepEqual(lookout.embedded, { host: '127.0.0.1', port: 1883 });
      assert.deepEqual(lookout.discovery, { enabled: true, prefix: 'homeassistant' });
      assert.equal((sceneConfig({ dialect: 'frigate' }).mqtt as MqttConfig).topicPrefix, 'frigate');
      assert.equal((sceneConfig({ dialect: 'frigate', topicPrefix: 'cams/front' }).mqtt as MqttConfig).topicPrefix, 'cams/front');
      assert.throws(() => sceneConfig({ dialect: 'frigat' }), /mqtt\.dialect: must be one of lookout, frigate/);
      assert.throws(() => sceneConfig({ url: 'http://broker' }), /mqtt\.url: expected mqtt:\/\//);
      assert.throws(() => sceneConfig({ topicPrefix: 'a/#' }), /mqtt\.topicPrefix: must match/);
      assert.throws(() => sceneConfig({ embedded: { prot: 1 } }), /mqtt\.embedded\.prot: unknown setting/);
      assert.throws(() => sceneConfig({ qos: 3 }), /mqtt\.qos: must be 0, 1 or 2/);
    });
  });

  it('an embedded broker whose port is taken fails with LOOKOUT_ERR_LISTEN naming host and port', async () => {
    const first = await MqttSink.create(fakeInputs(['yard']).inputs, { mqtt: sceneConfig({ embedded: { port: 0 } }).mqtt as MqttConfig, cameras: sceneConfig({}).cameras, logger: quiet });
    cleanups.push(() => first.close());
    const port = Number(new URL(first.url).port);
    const mqtt = sceneConfig({ embedded: { port } }).mqtt as MqttConfig;
    await assert.rejects(MqttSink.create(fakeInputs(['yard']).inputs, { mqtt, cameras: sceneConfig({}).cameras, logger: quiet }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'LOOKOUT_ERR_LISTEN');
      assert.match(err.message, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: address already in use`));
      return true;
    });
  });

  it('lookout dialect: one new, a zone update, one end; counts 0→1→0 retained; available online→stopped; discovery, detect state, stats', async () => {
    const b = await broker();
    const rec = await recorder(b.url, ['lookout/#', 'homeassistant/#']);
    const config = sceneConfig({ url: b.url, statsIntervalSeconds: 0.2 });
    const runtime = await Runtime.create(config, { logger: quiet });
    cleanups.push(() => runtime.stop());
    const sink = await MqttSink.create(runtime, { mqtt: config.mqtt as MqttConfig, cameras: config.cameras, logger: quiet });
    cleanups.push(() => sink.close());
    await rec.waitForText('lookout/available', 'online');
    const results = lastValueFrom(runtime.results$.pipe(toArray()));
    runtime.start();
    await runtime.done;
    await rec.waitFor((r) => r.json<EventMsg>('lookout/yard/events').some((e) => e.type === 'end'), 'the end event');
    await rec.waitFor((r) => r.json<{ cameras: Record<string, { frames_detected: number }> }>('lookout/stats').some((s) => s.cameras.yard?.frames_detected === 40), 'stats after the last frame');
    await sink.close();
    await runtime.stop();
    await rec.waitForText('lookout/available', 'stopped');

    const events = rec.json<EventMsg>('lookout/yard/events');
    assert.equal((await results).length, 40, 'one result per frame');
    // 40 frames with the square in 24 of them: no update per frame, only the zone change
    assert.deepEqual(events.map((e) => e.type), ['new', 'update', 'end'], JSON.stringify(events.map((e) => [e.type, e.after.current_zones])));
    const [created, entered, ended] = events;
    assert.deepEqual(created.after.current_zones, []);
    assert.deepEqual(entered.before.current_zones, []);
    assert.deepEqual(entered.after.current_zones, ['right']);
    assert.deepEqual(entered.after.entered_zones, ['right']);
    assert.deepEqual(ended.after.entered_zones, ['right']);
    assert.equal(new Set(events.map((e) => e.after.id)).size, 1, 'one object id');
    assert.match(created.after.id, /^\d+\.\d{6}-[a-z0-9]{6}$/);
    assert.equal(created.after.label, 'square');
    assert.equal(ended.after.end_time !== null && (ended.after.end_time as number) > (ended.after.last_seen as number), true, 'ends after it was last seen');
    for (const key of ['top_score', 'start_time', 'last_seen', 'snapshot_time', 'false_positive', 'box', 'area', 'ratio', 'stationary']) assert.ok(key in created.after, `after.${key}`);

    assert.deepEqual(rec.texts('lookout/yard/square'), ['0', '1', '0'], 'count of squares in the picture');
    assert.deepEqual(rec.texts('lookout/yard/all'), ['0', '1', '0']);
    assert.deepEqual(rec.texts('lookout/yard/zones/right/square'), ['0', '1', '0'], 'count in the zone');
    assert.deepEqual(rec.texts('lookout/available'), ['online', 'stopped']);
    assert.deepEqual(rec.texts('lookout/yard/detect/state'), ['ON']);
    const stats = rec.json<{ mqtt: { published: number; dropped: number } }>('lookout/stats');
    assert.ok(stats.at(-1)!.mqtt.published > 0 && stats.at(-1)!.mqtt.dropped === 0, JSON.stringify(stats.at(-1)!.mqtt));

    // what a client connecting later finds retained
    const retained = await retainedOn(b.url, ['lookout/yard/square', 'lookout/yard/detect/state', 'lookout/yard/events', 'homeassistant/#'], 'lookout/available');
    assert.equal(retained.get('lookout/yard/square'), '0');
    assert.equal(retained.get('lookout/yard/detect/state'), 'ON');
    assert.equal(retained.has('lookout/yard/events'), false, 'events are not retained');
    const occupancy = JSON.parse(retained.get('homeassistant/binary_sensor/lookout/yard_square_occupancy/config') ?? 'null') as Record<string, unknown>;
    assert.equal(occupancy.state_topic, 'lookout/yard/square');
    assert.equal(occupancy.device_class, 'occupancy');
    assert.deepEqual((occupancy.availability as { topic: string }[])[0].topic, 'lookout/available');
    const count = JSON.parse(retained.get('homeassistant/sensor/lookout/yard_square_count/config') ?? 'null') as Record<string, unknown>;
    assert.equal(count.state_topic, 'lookout/yard/square');
    assert.equal(count.state_class, 'measurement');
    assert.ok(retained.has('homeassistant/switch/lookout/yard_detect/config'));
  });

  it('frigate dialect on the embedded aedes broker (no url): frigate/events with Frigate\'s fields, counts not retained, available offline on stop', async () => {
    const port = await freePort();
    const config = sceneConfig({ dialect: 'frigate', embedded: { port }, statsIntervalSeconds: 0 });
    const runtime = await Runtime.create(config, { logger: quiet });
    cleanups.push(() => runtime.stop());
    const sink = await MqttSink.create(runtime, { mqtt: config.mqtt as MqttConfig, cameras: config.cameras, logger: quiet });
    cleanups.push(() => sink.close());
    assert.equal(sink.url, `mqtt://127.0.0.1:${port}`);
    const rec = await recorder(sink.url, ['frigate/#', 'homeassistant/#']);
    await rec.waitForText('frigate/available', 'online');
    const startedAt = Date.now() / 1000;
    runtime.start();
    await runtime.done;
    await rec.waitFor((r) => r.json<EventMsg>('frigate/events').some((e) => e.type === 'end'), 'the end event');
    // counts are not retained in Frigate's dialect; the retained `available` marks the end of what a subscriber is sent
    const retained = await retainedOn(sink.url, ['frigate/yard/square', 'frigate/right/square', 'homeassistant/#'], 'frigate/available');
    await runtime.stop();
    await sink.close();
    await rec.waitForText('frigate/available', 'offline');

    const events = rec.json<EventMsg>('frigate/events');
    assert.deepEqual(events.map((e) => e.type), ['new', 'update', 'end']);
    for (const e of events) {
      for (const side of [e.before, e.after]) assert.deepEqual(Object.keys(side).sort(), [...FRIGATE_FIELDS].sort());
    }
    const [created, entered, ended] = events;
    assert.equal(created.after.camera, 'yard');
    assert.equal(created.after.label, 'square');
    assert.equal(created.after.sub_label, null);
    assert.equal(created.after.false_positive, false);
    assert.equal(created.after.active, !created.after.stationary, 'active is the opposite of stationary');
    assert.deepEqual(entered.after.current_zones, ['right']);
    assert.deepEqual(entered.after.entered_zones, ['right']);
    assert.deepEqual(entered.before.current_zones, []);
    assert.equal(ended.after.end_time !== null, true);
    assert.equal(created.before.end_time, null);
    // Frigate's times are epoch seconds
    const frameTime = created.after.frame_time as number;
    assert.ok(Math.abs(frameTime - startedAt) < 30, `frame_time ${frameTime} is epoch seconds (started ${startedAt})`);
    assert.ok((ended.after.end_time as number) - (created.after.start_time as number) > 1.5, 'the object lived for ~2.3 s of stream time');
    assert.deepEqual(created.after.region, [0, 0, 480, 270], 'the whole frame is the region the model saw');
    assert.equal((created.after.snapshot as { frame_time: number }).frame_time > 0, true);
    assert.equal(created.after.position_changes, 1, 'a moving object has moved');

    assert.deepEqual(rec.texts('frigate/yard/square'), ['0', '1', '0']);
    assert.deepEqual(rec.texts('frigate/right/square'), ['0', '1', '0'], 'zone counts at frigate/<zone>/<label>');
    assert.equal(rec.heard.find((h) => h.topic === 'frigate/yard/square')?.retain, false);
    assert.equal(retained.has('frigate/yard/square'), false, 'Frigate does not retain counts');
    assert.equal(retained.has('frigate/right/square'), false);
    const occupancy = JSON.parse(retained.get('homeassistant/binary_sensor/frigate/yard_square_occupancy/config') ?? 'null') as Record<string, unknown>;
    assert.equal(occupancy.state_topic, 'frigate/yard/square');
    assert.deepEqual(rec.texts('frigate/available'), ['online', 'offline']);
  });

  it('detect/set OFF pauses detection on the camera (state OFF, open objects end), bad commands are ignored with a warning, ON resumes', async () => {
    // 6 s in real time, the square crawling inside the picture the whole time
    const slow: SquareScene = { ...DEFAULT_SCENE, duration: 6, x0: 40, y0: 60, vx: 20, vy: 5 };
    const slowClip = await renderSquareClip(slow, join(tmp(), 'slow.mp4'));
    const b = await broker();
    const rec = await recorder(b.url, ['lookout/#']);
    const config = sceneConfig({ url: b.url, statsIntervalSeconds: 0, discovery: { enabled: false } }, { url: slowClip, realtime: true, zones: {} });
    const runtime = await Runtime.create(config, { logger: quiet });
    cleanups.push(() => runtime.stop());
    const sink = await MqttSink.create(runtime, { mqtt: config.mqtt as MqttConfig, cameras: config.cameras, logger: quiet });
    cleanups.push(() => sink.close());
    const statuses: Status[] = [];
    runtime.status$.subscribe((s) => statuses.push(s));
    let results = 0;
    runtime.results$.subscribe(() => results++);
    await rec.waitForText('lookout/yard/detect/state', 'ON');
    runtime.start();
    await rec.waitFor((r) => r.json<EventMsg>('lookout/yard/events').find((e) => e.type === 'new'), 'the first new event');

    const ignored = firstValueFrom(runtime.status$.pipe(filter((s) => s.code === 'MQTT_COMMAND_IGNORED'), bufferCount(3)));
    await rec.publish('lookout/yard/detect/set', 'MAYBE');
    await rec.publish('lookout/nocam/detect/set', 'OFF');
    await rec.publish('lookout/yard/detect/set', Buffer.from([0xff, 0xfe, 0x00]).toString('latin1'));
    const warnings = await ignored;
    assert.ok(warnings.every((w) => w.severity === 'warning'));
    assert.match(warnings[0].message, /lookout\/yard\/detect\/set: expected ON or OFF, got "MAYBE"/);
    assert.match(warnings[1].message, /no running camera named "nocam"/);
    assert.equal(runtime.detectEnabled('yard'), true, 'a bad command changes nothing');

    await rec.publish('lookout/yard/detect/set', 'off');
    await rec.waitForText('lookout/yard/detect/state', 'OFF');
    const resultsAtOff = results;
    const framesAtOff = runtime.snapshot().cameras.yard.framesIn;
    const eventsAtOff = rec.json<EventMsg>('lookout/yard/events');
    assert.equal(eventsAtOff.at(-1)?.type, 'end', 'the open object ended when detection paused');
    assert.deepEqual(rec.texts('lookout/yard/square').at(-1), '0');
    // frames keep coming from the camera; none reaches the detector
    await until(() => runtime.snapshot().cameras.yard.framesIn >= framesAtOff + 10, '10 more frames read');
    assert.equal(results, resultsAtOff, 'no detections while paused');
    assert.equal(rec.json<EventMsg>('lookout/yard/events').length, eventsAtOff.length, 'no events while paused');
    assert.ok(statuses.some((s) => s.code === 'DETECT_OFF' && s.camera === 'yard'));

    await rec.publish('lookout/yard/detect/set', 'ON');
    await rec.waitForText('lookout/yard/detect/state', 'ON', 1);
    const resumed = await rec.waitFor((r) => r.json<EventMsg>('lookout/yard/events').slice(eventsAtOff.length).find((e) => e.type === 'new'), 'a new event after resuming');
    assert.notEqual(resumed.after.id, eventsAtOff[0].after.id, 'a new object, since the old one ended');
    assert.ok(results > resultsAtOff, 'detections again');
    await runtime.stop();
    await sink.close();
  });

  it('a broker stopped mid-run and restarted: QoS 1 events wait in the outbox and arrive in order, once', async () => {
    const b = await broker();
    const fake = fakeInputs(['yard']);
    const mqtt = sceneConfig({ url: b.url, outboxSize: 50, statsIntervalSeconds: 0, discovery: { enabled: false } }).mqtt as MqttConfig;
    // a persistent session, so mosquitto keeps what arrives for it while it reconnects too
    const rec = await recorder(b.url, ['lookout/yard/events'], { clientId: 'outage-subscriber', clean: false });
    const connected = fake.nextStatus('MQTT_CONNECTED');
    const sink = await MqttSink.create(fake.inputs, { mqtt, cameras: sceneConfig({}).cameras, logger: quiet, reconnectPeriodMs: 100 });
    cleanups.push(() => sink.close());
    await connected;
    const ids = (r: MqttRecorder) => r.json<EventMsg>('lookout/yard/events').map((e) => e.after.id);
    const emit = (from: number, to: number) => {
      for (let n = from; n <= to; n++) fake.updates.next(newEventUpdate(`e${n}`, n));
    };

    emit(1, 5);
    await rec.waitFor((r) => ids(r).length === 5, 'the first 5 events');
    await settle(sink, rec);
    const offline = fake.nextStatus('MQTT_OFFLINE');
    await b.stop();
    await offline;
    emit(6, 25);
    assert.deepEqual({ ...sink.stats(), published: 0, connects: 0 }, { connected: false, outbox: 20, outboxSize: 50, inflight: 0, published: 0, dropped: 0, discarded: 0, connects: 0 });
    const reconnected = fake.nextStatus('MQTT_CONNECTED');
    await b.restart();
    await reconnected;
    await rec.waitFor((r) => ids(r).length >= 25, 'all 25 events');
    // a sentinel sent after the flush: anything sent twice would have arrived before it
    emit(26, 26);
    await rec.waitFor((r) => ids(r).includes('e26'), 'the sentinel');
    assert.deepEqual(ids(rec), Array.from({ length: 26 }, (_, i) => `e${i + 1}`), 'every event, in order, once');
    assert.equal(rec.heard.filter((h) => h.dup).length, 0, 'no redelivery either');
    assert.equal(sink.stats().dropped, 0);
    assert.equal(sink.stats().outbox, 0);
  });

  it('events in flight when the broker dies are not lost: mqtt.js re-sends them (at least once), before the outbox, in order', async () => {
    const b = await broker();
    const fake = fakeInputs(['yard']);
    const mqtt = sceneConfig({ url: b.url, outboxSize: 50, statsIntervalSeconds: 0, discovery: { enabled: false } }).mqtt as MqttConfig;
    const rec = await recorder(b.url, ['lookout/yard/events'], { clientId: 'inflight-subscriber', clean: false });
    const connected = fake.nextStatus('MQTT_CONNECTED');
    const sink = await MqttSink.create(fake.inputs, { mqtt, cameras: sceneConfig({}).cameras, logger: quiet, reconnectPeriodMs: 100 });
    cleanups.push(() => sink.close());
    await connected;
    const ids = (r: MqttRecorder) => r.json<EventMsg>('lookout/yard/events').map((e) => e.after.id);
    const emit = (from: number, to: number) => {
      for (let n = from; n <= to; n++) fake.updates.next(newEventUpdate(`e${n}`, n));
    };
    const offline = fake.nextStatus('MQTT_OFFLINE');
    emit(1, 10);
    const inflight = sink.stats().inflight;
    await b.stop(); // no settling: some of e1..e10 are on the wire or unacknowledged
    await offline;
    emit(11, 20);
    await b.restart();
    await rec.waitFor((r) => ids(r).includes('e20'), 'the last event');
    emit(21, 21);
    await rec.waitFor((r) => ids(r).includes('e21'), 'the sentinel');
    const firsts = ids(rec).filter((id, i, all) => all.indexOf(id) === i);
    assert.deepEqual(firsts, Array.from({ length: 21 }, (_, i) => `e${i + 1}`), 'nothing lost, first arrivals in order');
    const repeats = ids(rec).length - firsts.length;
    const redelivered = rec.heard.filter((h) => h.dup).length;
    console.log(`      ${inflight} in flight when the broker stopped; ${repeats} arrived twice (${redelivered} of them the broker's redelivery to the subscriber, the rest the sink's re-send)`);
    assert.ok(repeats <= inflight, `only messages that were in flight (${inflight}) may come twice, got ${repeats} repeats`);
  });

  it('outbox overflow drops the oldest waiting events and counts them (in stats and on the stats topic)', async () => {
    const b = await broker();
    const fake = fakeInputs(['yard']);
    const mqtt = sceneConfig({ url: b.url, outboxSize: 5, statsIntervalSeconds: 0.1, discovery: { enabled: false } }).mqtt as MqttConfig;
    const rec = await recorder(b.url, ['lookout/yard/events', 'lookout/stats'], { clientId: 'overflow-subscriber', clean: false });
    const connected = fake.nextStatus('MQTT_CONNECTED');
    const sink = await MqttSink.create(fake.inputs, { mqtt, cameras: sceneConfig({}).cameras, logger: quiet, reconnectPeriodMs: 100 });
    cleanups.push(() => sink.close());
    await connected;
    const ids = (r: MqttRecorder) => r.json<EventMsg>('lookout/yard/events').map((e) => e.after.id);
    const emit = (from: number, to: number) => {
      for (let n = from; n <= to; n++) fake.updates.next(newEventUpdate(`e${n}`, n));
    };
    emit(1, 3);
    await rec.waitFor((r) => ids(r).length === 3, 'the first 3 events');
    await settle(sink, rec);
    const offline = fake.nextStatus('MQTT_OFFLINE');
    await b.stop();
    await offline;
    emit(4, 15);
    assert.equal(sink.stats().outbox, 5);
    assert.equal(sink.stats().dropped, 7, '12 events into 5 places: the 7 oldest dropped');
    await b.restart();
    await rec.waitFor((r) => ids(r).includes('e15'), 'the newest waiting event');
    emit(16, 16);
    await rec.waitFor((r) => ids(r).includes('e16'), 'the sentinel');
    assert.deepEqual(ids(rec), ['e1', 'e2', 'e3', 'e11', 'e12', 'e13', 'e14', 'e15', 'e16']);
    const stats = await rec.waitFor((r) => r.json<{ mqtt: { dropped: number; connected: boolean } }>('lookout/stats').find((s) => s.mqtt.dropped === 7), 'stats counting the drops');
    assert.equal(stats.mqtt.connected, true);
  });

  it('TLS (tls.ca relative to the config file) with username/password from ${VAR}; a refused login is reported without the password', async () => {
    const tls = await selfSignedCert(tmp());
    const b = await Mosquitto.start({ tls, users: { lookout: 's3cret-pass', watcher: 'w-pass' } });
    cleanups.push(() => b.close());
    assert.match(b.url, /^mqtts:\/\//);
    const ca = await readFile(tls.cert);
    const rec = await recorder(b.url, ['lookout/#'], { username: 'watcher', password: 'w-pass', ca });
    const file = join(tmp(), 'tls.yaml');
    const write = (password: string) =>
      writeFile(
        file,
        [
          `model: { path: ${model}, adapter: ultralytics, labels: ${labels} }`,
          'cameras:',
          `  - { name: yard, url: ${clip}, objects: { track: [square] } }`,
          // the CA path is relative to the config file's folder
          `mqtt: { url: "${b.url}", username: lookout, password: "${password}", tls: { ca: broker-cert.pem }, discovery: { enabled: false } }`,
        ].join('\n') + '\n',
      );

    await write('${MQTT_PASSWORD}');
    const good = await loadConfig(file, { MQTT_PASSWORD: 's3cret-pass' });
    assert.equal(good.mqtt?.tls?.ca, tls.cert);
    const fake = fakeInputs(['yard']);
    const connected = fake.nextStatus('MQTT_CONNECTED');
    const sink = await MqttSink.create(fake.inputs, { mqtt: good.mqtt as MqttConfig, cameras: good.cameras, logger: quiet });
    cleanups.push(() => sink.close());
    await connected;
    fake.updates.next(newEventUpdate('tls-1', 1));
    await rec.waitFor((r) => r.json<EventMsg>('lookout/yard/events').some((e) => e.after.id === 'tls-1'), 'the event over TLS');
    await sink.close();

    const bad = await loadConfig(file, { MQTT_PASSWORD: 'wrong-pass' });
    const refused = fakeInputs(['yard']);
    const offline = refused.nextStatus('MQTT_OFFLINE');
    const lines: string[] = [];
    const logger = new Logger({ level: 'debug', json: false, write: (l) => lines.push(l) });
    const rejected = await MqttSink.create(refused.inputs, { mqtt: bad.mqtt as MqttConfig, cameras: bad.cameras, logger });
    cleanups.push(() => rejected.close());
    const status = await offline;
    assert.match(status.message, /refused the connection \((not authorized|bad username or password)\), retrying/i);
    await rejected.close();
    assert.ok(lines.length > 0);
    for (const text of [status.message, ...lines]) assert.doesNotMatch(text, /wrong-pass/, 'no password in logs or statuses');
  });

  it('a killed `lookout run` leaves `offline` (its last will); SIGINT leaves `stopped`', async () => {
    const b = await broker();
    const rec = await recorder(b.url, ['lookout/available', 'lookout/yard/detect/state']);
    const file = join(tmp(), 'will.yaml');
    await writeFile(
      file,
      [
        `model: { path: ${model}, adapter: ultralytics, labels: ${labels} }`,
        'cameras:',
        `  - { name: yard, url: ${clip}, loop: true, realtime: true, fps: 5, objects: { track: [square] } }`,
        `mqtt: { url: "${b.url}", discovery: { enabled: false } }`,
      ].join('\n') + '\n',
    );
    const run = (): ChildProcess => {
      const child = spawn(process.execPath, [cliPath, 'run', '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      cleanups.push(async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGKILL');
          await exited;
        }
        if (stderr.includes('Error') && child.signalCode !== 'SIGKILL') console.error(stderr);
      });
      return child;
    };
    const exitOf = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const killed = run();
    await rec.waitForText('lookout/available', 'online');
    const killedExit = exitOf(killed);
    killed.kill('SIGKILL');
    await killedExit;
    await rec.waitForText('lookout/available', 'offline');

    const stopped = run();
    await rec.waitFor((r) => r.texts('lookout/available').filter((t) => t === 'online').length === 2 || undefined, 'online again');
    const code = exitOf(stopped);
    stopped.kill('SIGINT');
    assert.equal(await code, 0, 'a clean stop');
    await rec.waitForText('lookout/available', 'stopped');
    assert.deepEqual(rec.texts('lookout/available'), ['online', 'offline', 'online', 'stopped']);
  });
});
