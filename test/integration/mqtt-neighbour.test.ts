// A good MQTT neighbour (issue 17 item 2), on a real mosquitto: a prefix another live producer holds is refused unless
// taken over; a taken-over Frigate gets its retained state back at our clean stop; a dialect switch clears the
// retained discovery configs and states of the old one.
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.js';
import type { Config, MqttConfig } from '../../config/types.js';
import { Logger } from '../../core/logger.js';
import { MqttSink } from '../../sinks/mqtt/mqtt-sink.js';
import { Subject } from 'rxjs';
import type { Snapshot } from '../../sinks/snapshot/snapshots.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttRecorder, retainedNow } from '../helpers/mqtt-recorder.js';
import { fakeInputs } from '../helpers/sink-inputs.js';

/** Resolves once `check` holds (a state no event announces), polling every 20 ms. */
async function until(check: () => boolean, what: string, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const quiet = new Logger({ level: 'error', json: false, write: () => undefined });

describe('MQTT good neighbour (real mosquitto)', function () {
  this.timeout(60000);
  const cleanups: (() => Promise<void>)[] = [];
  let b: Mosquitto;
  beforeEach(async () => {
    b = await Mosquitto.start();
    cleanups.push(() => b.close());
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function config(mqtt: Record<string, unknown>, cameras = ['yard'], zones: Record<string, unknown> = { right: { points: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]] } }): Config {
    return parseConfig(
      {
        model: { path: 'model.onnx', adapter: 'ultralytics', labels: 'labels.txt' },
        cameras: cameras.map((name) => ({ name, url: 'rtsp://127.0.0.1:8554/x', objects: { track: ['square'] }, zones })),
        mqtt: { url: b.url, statsIntervalSeconds: 0, ...mqtt },
      },
      { env: {} },
    );
  }

  async function sink(mqtt: Record<string, unknown>, cameras = ['yard'], more: { zones?: Record<string, unknown>; snapshots?: Subject<Snapshot>; inputs?: ReturnType<typeof fakeInputs> } = {}): Promise<MqttSink> {
    const c = more.zones ? config(mqtt, cameras, more.zones) : config(mqtt, cameras);
    const inputs = more.inputs ?? fakeInputs(cameras);
    const s = await MqttSink.create(inputs.inputs, { mqtt: c.mqtt as MqttConfig, cameras: c.cameras, logger: quiet, snapshots: more.snapshots });
    cleanups.push(() => s.close());
    return s;
  }

  const retained = (topics: string[]) => retainedNow(b.url, topics);

  async function fakeFrigate(): Promise<void> {
    const other = await MqttRecorder.connect(b.url, []);
    await other.publish('frigate/available', 'online', { retain: true });
    await other.close();
  }

  it('a retained frigate/available online from another producer is refused with LOOKOUT_ERR_MQTT_PREFIX_OWNED; nothing is published', async () => {
    await fakeFrigate();
    await assert.rejects(sink({ dialect: 'frigate' }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'LOOKOUT_ERR_MQTT_PREFIX_OWNED');
      assert.match(err.message, /frigate\/available is retained as online by a producer that is not Lookout .*mqtt\.takeOver: true/);
      return true;
    });
    const held = await retained(['frigate/#', 'homeassistant/#']);
    assert.deepEqual([...held], [['frigate/available', 'online']], 'only the other producer\'s state');
  });

  it('takeOver publishes with its marker, and a clean stop gives the real Frigate its online back (never offline)', async () => {
    await fakeFrigate();
    const s = await sink({ dialect: 'frigate', takeOver: true });
    const rec = await MqttRecorder.connect(b.url, ['frigate/available/instance', 'homeassistant/#']);
    cleanups.push(() => rec.close());
    const marker = await rec.waitFor((r) => r.texts('frigate/available/instance').find((t) => t.startsWith('lookout-')), 'our marker');
    await rec.waitFor((r) => r.heard.some((h) => h.topic.startsWith('homeassistant/sensor/frigate/')), 'discovery');
    assert.ok(marker);
    await s.close();
    const held = await retained(['frigate/available', 'frigate/available/instance']);
    assert.equal(held.get('frigate/available'), 'online');
    assert.equal(held.has('frigate/available/instance'), false, 'no marker: the state is the real Frigate\'s again');
  });

  it('a second Lookout on the same prefix is refused while the first runs, starts once it stopped, and says stopped at its own stop', async () => {
    const first = await sink({});
    const rec = await MqttRecorder.connect(b.url, ['lookout/available']);
    cleanups.push(() => rec.close());
    await rec.waitForText('lookout/available', 'online');
    await assert.rejects(sink({}), /lookout\/available is retained as online by another Lookout \(lookout-[0-9a-f]+\)/);
    await first.close();
    await rec.waitForText('lookout/available', 'stopped');
    const next = await sink({});
    await rec.waitFor((r) => r.texts('lookout/available').filter((t) => t === 'online').length === 2, 'the second online');
    // the first run's retained marker, replayed at subscribe, is not a take-over: the second still says stopped
    await next.close();
    await rec.waitFor((r) => r.texts('lookout/available').filter((t) => t === 'stopped').length === 2, 'the second stopped');
    assert.equal(next.takenOverBy(), undefined);
  });

  it('a Lookout taken over by another keeps out of its availability at its clean stop', async () => {
    const first = await sink({});
    const rec = await MqttRecorder.connect(b.url, ['lookout/available', 'lookout/available/instance']);
    cleanups.push(() => rec.close());
    await rec.waitForText('lookout/available', 'online');
    await sink({ takeOver: true });
    await rec.waitFor((r) => new Set(r.texts('lookout/available/instance')).size === 2, 'the second marker');
    const second = rec.texts('lookout/available/instance').at(-1)!;
    // the first run hears the new marker on its own connection; stopped once it has, it must leave the second's state
    await until(() => first.takenOverBy() === second, 'the first run to hear the second marker');
    await first.close();
    const held = await retained(['lookout/available', 'lookout/available/instance']);
    assert.equal(held.get('lookout/available'), 'online');
    assert.equal(held.get('lookout/available/instance'), second);
  });

  it('a dialect switch and a renamed camera clear the retained discovery configs and states published before', async () => {
    const a = await sink({}, ['yard', 'gate']);
    const rec = await MqttRecorder.connect(b.url, ['homeassistant/#', 'lookout/#']);
    cleanups.push(() => rec.close());
    await rec.waitFor((r) => r.heard.some((h) => h.topic.endsWith('/published')), 'the record');
    await a.drained();
    const before = await retained(['homeassistant/#', 'lookout/#']);
    const oldConfigs = [...before.keys()].filter((t) => t.startsWith('homeassistant/') && t.endsWith('/config'));
    assert.ok(oldConfigs.some((t) => t.includes('/lookout/gate_')), 'gate discovered');
    await a.close();
    const f = await sink({ dialect: 'frigate' }, ['yard']);
    await f.drained();
    const after = await retained(['homeassistant/#', 'lookout/#', 'frigate/#']);
    const left = [...after.keys()].filter((t) => t.startsWith('homeassistant/') && t.endsWith('/config'));
    assert.ok(left.length > 0 && left.every((t) => t.includes('/frigate/')), `only frigate configs left: ${left.join(', ')}`);
    assert.deepEqual([...after.keys()].filter((t) => t.startsWith('lookout/')), [], 'the old prefix\'s retained states are gone');
    await f.close();
    // the same dialect with a renamed camera: the old camera's configs go, the new one's stay
    const g = await sink({ dialect: 'frigate' }, ['porch']);
    await g.drained();
    const renamed = [...(await retained(['homeassistant/#'])).keys()].filter((t) => t.endsWith('/config'));
    assert.ok(renamed.some((t) => t.includes('/frigate/porch_')), 'porch discovered');
    assert.equal(renamed.filter((t) => t.includes('/frigate/yard_')).length, 0, 'yard removed');
  });

  it('discovery: a count sensor per zone and label reading the published zone count, an image entity per snapshot topic; a removed zone goes', async () => {
    const square = [[0.5, 0], [1, 0], [1, 1], [0.5, 1]];
    const zones = { right: { points: square }, gate: { points: square, objects: ['square'] } };
    const fake = fakeInputs(['yard']);
    const snapshots = new Subject<Snapshot>();
    const a = await sink({}, ['yard'], { zones, snapshots, inputs: fake });
    const rec = await MqttRecorder.connect(b.url, ['homeassistant/#', 'lookout/#']);
    cleanups.push(() => rec.close());
    const configOf = (topic: string) => rec.waitFor((r) => r.json<Record<string, unknown>>(topic).at(-1), topic);
    const right = await configOf('homeassistant/sensor/lookout/yard_right_square_count/config');
    assert.equal(right.state_topic, 'lookout/yard/zones/right/square');
    assert.equal(right.state_class, 'measurement');
    assert.equal((await configOf('homeassistant/sensor/lookout/yard_gate_all_count/config')).state_topic, 'lookout/yard/zones/gate/all');
    const image = await configOf('homeassistant/image/lookout/yard_square_snapshot/config');
    assert.equal(image.image_topic, 'lookout/yard/square/snapshot');
    assert.equal(image.content_type, 'image/jpeg');
    // the state the sensor reads is the one the dialect publishes
    fake.updates.next({ camera: 'yard', pts: 1, epochOffset: 0, events: [], objects: [], counts: { all: { square: 1 }, right: { square: 1 }, gate: { square: 0 } } });
    await rec.waitForText('lookout/yard/zones/right/square', '1');
    await a.drained();
    await a.close();
    // the gate zone removed: its sensors and its retained count go, the right zone's stay
    const b2 = await sink({}, ['yard'], { zones: { right: { points: square } }, snapshots });
    await b2.drained();
    const held = await retained(['homeassistant/#', 'lookout/#']);
    assert.equal([...held.keys()].filter((t) => t.includes('gate')).length, 0, 'nothing of the gate zone is retained');
    assert.ok(held.has('homeassistant/sensor/lookout/yard_right_square_count/config'));
    assert.ok(held.has('homeassistant/image/lookout/yard_square_snapshot/config'));
    assert.equal(held.get('lookout/yard/zones/right/square'), '1');
  });
});
