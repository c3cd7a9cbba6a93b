// A good MQTT neighbour past the start (issue 17 item 2's limits), on a real mosquitto: a crash after a take-over
// leaves the found `online`, not `offline`; a broker unreachable at start gets the ownership check once it answers
// (nothing published before); a take-over made while a run was disconnected stops that run's publishing on reconnect.
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.js';
import type { MqttConfig } from '../../config/types.js';
import { Logger } from '../../core/logger.js';
import { MqttSink } from '../../sinks/mqtt/mqtt-sink.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttRecorder, retainedNow } from '../helpers/mqtt-recorder.js';
import { fakeInputs } from '../helpers/sink-inputs.js';
import { spawnLookout, until } from '../helpers/faults.js';
import { startLookout } from '../helpers/running-lookout.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { lavfiSpec } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const quiet = new Logger({ level: 'error', json: false, write: () => undefined });

describe('MQTT good neighbour after the start (real mosquitto)', function () {
  this.timeout(90000);
  const tmp = useTmpDir('lookout-neighbour-');
  const cleanups: (() => Promise<void>)[] = [];
  let b: Mosquitto;
  beforeEach(async () => {
    b = await Mosquitto.start();
    cleanups.push(() => b.close());
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function mqttConfig(mqtt: Record<string, unknown>): MqttConfig {
    const c = parseConfig(
      {
        model: { path: 'model.onnx', adapter: 'ultralytics', labels: 'labels.txt' },
        cameras: [{ name: 'yard', url: 'rtsp://127.0.0.1:8554/x', objects: { track: ['square'] } }],
        mqtt: { url: b.url, statsIntervalSeconds: 0, ...mqtt },
      },
      { env: {} },
    );
    return c.mqtt as MqttConfig;
  }

  async function sink(mqtt: Record<string, unknown>, inputs = fakeInputs(['yard']), reconnectPeriodMs = 200): Promise<MqttSink> {
    const c = parseConfig({ model: { path: 'm.onnx', adapter: 'ultralytics', labels: 'l.txt' }, cameras: [{ name: 'yard', url: 'rtsp://127.0.0.1:8554/x', objects: { track: ['square'] } }] }, { env: {} });
    const s = await MqttSink.create(inputs.inputs, { mqtt: mqttConfig(mqtt), cameras: c.cameras, logger: quiet, reconnectPeriodMs });
    cleanups.push(() => s.close());
    return s;
  }

  const retained = (topics: string[]) => retainedNow(b.url, topics);

  async function publishRetained(pairs: [string, string][]): Promise<void> {
    const other = await MqttRecorder.connect(b.url, []);
    for (const [t, p] of pairs) await other.publish(t, p, { retain: true });
    await other.close();
  }

  async function lookoutYaml(extra: string[]): Promise<string> {
    const dir = tmp();
    const { model, labels } = await writeSquareModel(dir);
    const scene = { width: 320, height: 240, fps: 10, duration: 3600, size: 40, x0: 20, y0: 100, vx: 3, vy: 0 };
    const file = join(dir, 'lookout.yaml');
    await writeFile(
      file,
      [`model: { path: ${model}, adapter: ultralytics, labels: ${labels}, threshold: 0.5 }`, 'cameras:', `  - { name: yard, url: "lavfi:${lavfiSpec(scene)}", fps: 5, objects: { track: [square] } }`, ...extra].join('\n') + '\n',
    );
    return file;
  }

  it('a lookout run SIGKILLed after taking over a Frigate leaves its retained online (the last will is the state found)', async () => {
    await publishRetained([['frigate/available', 'online']]);
    const run = await startLookout(tmp(), { extra: [`mqtt: { url: "${b.url}", dialect: frigate, takeOver: true }`] });
    cleanups.push(() => run.stop());
    const rec = await MqttRecorder.connect(b.url, ['frigate/available', 'frigate/available/instance']);
    cleanups.push(() => rec.close());
    await rec.waitFor((r) => r.texts('frigate/available/instance').find((t) => t.startsWith('lookout-')), 'the run\'s marker');
    await rec.waitFor((r) => r.heard.some((h) => h.topic === 'frigate/available' && h.text === 'online'), 'online');
    const before = rec.texts('frigate/available').length;
    run.lookout.child.kill('SIGKILL');
    await run.lookout.exited;
    // the broker sends the last will once it notices the dead connection: wait for that message, then read what stays
    const will = await rec.waitFor((r) => r.texts('frigate/available')[before], 'the last will on frigate/available');
    assert.equal(will, 'online');
    const held = await retained(['frigate/available']);
    assert.equal(held.get('frigate/available'), 'online', 'the real Frigate is not marked offline');
  });

  it('a broker unreachable at start: lookout run checks on the first connection before publishing, and exits with LOOKOUT_ERR_MQTT_PREFIX_OWNED', async () => {
    await publishRetained([['frigate/available', 'online']]);
    await b.stop();
    const file = await lookoutYaml([`mqtt: { url: "${b.url}", dialect: frigate }`]);
    const run = spawnLookout(['run', '-c', file]);
    cleanups.push(async () => {
      if (run.child.exitCode === null && run.child.signalCode === null) {
        run.child.kill('SIGKILL');
        await run.exited;
      }
    });
    await run.waitForStderr(/the check is made on the first connection/);
    await b.restart();
    const { code } = await run.exited;
    assert.equal(code, 1, run.stderr().slice(-2000));
    assert.match(run.stderr(), /frigate\/available is retained as online by a producer that is not Lookout.*LOOKOUT_ERR_MQTT_PREFIX_OWNED/);
    const held = await retained(['frigate/#', 'homeassistant/#']);
    assert.deepEqual([...held], [['frigate/available', 'online']], 'only the other producer\'s state');
  });

  it('a broker unreachable at start with takeOver: events wait, then it takes over and reconnects with the found online as its last will', async () => {
    await publishRetained([['frigate/available', 'online']]);
    await b.stop();
    const inputs = fakeInputs(['yard']);
    const s = await sink({ dialect: 'frigate', takeOver: true }, inputs);
    assert.equal(s.link().state, 'connecting');
    // an event while the broker is down waits in the outbox
    inputs.updates.next({ camera: 'yard', pts: 1, epochOffset: 1_700_000_000, events: [], objects: [], counts: { all: { square: 1 } } });
    await b.restart();
    const rec = await MqttRecorder.connect(b.url, ['frigate/available/instance']);
    cleanups.push(() => rec.close());
    await rec.waitFor((r) => r.texts('frigate/available/instance').find((t) => t.startsWith('lookout-')), 'the marker');
    assert.ok(await s.drained(10000), 'the waiting messages went out');
    // the last will (what a crash leaves) is the Frigate's online: kill the broker link without a DISCONNECT
    const client = (s as unknown as { connection: { client: { stream: { destroy(): void } } } }).connection.client;
    const seen = await MqttRecorder.connect(b.url, ['frigate/available']);
    cleanups.push(() => seen.close());
    // the retained online comes after the SUBACK: counted from after it
    await seen.waitFor((r) => r.heard.some((h) => h.topic === 'frigate/available' && h.retain), 'the retained availability');
    const before = seen.texts('frigate/available').length;
    client.stream.destroy();
    assert.equal(await seen.waitFor((r) => r.texts('frigate/available')[before], 'the will'), 'online');
  });

  for (const who of ['another Lookout', 'a real Frigate (online, no marker)'] as const) {
    it(`a take-over by ${who} while this run is disconnected is noticed on reconnect: it stops publishing and reports`, async () => {
      const inputs = fakeInputs(['yard']);
      const s = await sink({}, inputs, 3000);
      const rec = await MqttRecorder.connect(b.url, ['lookout/available']);
      cleanups.push(() => rec.close());
      await rec.waitForText('lookout/available', 'online');
      await s.drained();
      await b.stop();
      await until('the link to notice', () => s.link().state !== 'connected');
      const reported = inputs.nextStatus('LOOKOUT_ERR_MQTT_PREFIX_OWNED');
      await b.restart();
      const other = who === 'another Lookout' ? 'lookout-0123456789ab' : '';
      await publishRetained([
        ['lookout/available/instance', other],
        ['lookout/available', 'online'],
      ]);
      const status = await reported;
      assert.equal(status.severity, 'error');
      assert.match(status.message, who === 'another Lookout' ? /another Lookout \(lookout-0123456789ab\)/ : /not Lookout/);
      await until('the link to stop', () => s.link().state === 'stopped');
      const published = s.stats().published;
      inputs.updates.next({ camera: 'yard', pts: 2, epochOffset: 1_700_000_000, events: [], objects: [], counts: { all: { square: 2 } } });
      await s.close();
      assert.equal(s.stats().published, published, 'nothing published after the stop');
      const held = await retained(['lookout/#']);
      assert.equal(held.get('lookout/available'), 'online', 'the new owner\'s availability stays');
      assert.equal(held.get('lookout/available/instance'), other || undefined);
      assert.notEqual(held.get('lookout/yard/square'), '2', 'no count published over the new owner');
    });
  }
});
