// Fuzzing MQTT commands (issue 18): random bytes and strings on `…/detect/set` and other topics under the prefix,
// through a real mosquitto to a running Lookout (runtime, MQTT sink, HTTP API). It must stay up, answer health and
// keep detecting. A few seconds; `LOOKOUT_FUZZ_SEED=<n>` replays the same inputs.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseConfig } from '../../config/load.js';
import type { MqttConfig } from '../../config/types.js';
import { Logger } from '../../core/logger.js';
import { Runtime } from '../../pipeline/runtime.js';
import { HttpServer } from '../../sinks/http/http-server.js';
import { MqttSink } from '../../sinks/mqtt/mqtt-sink.js';
import { Snapshots } from '../../sinks/snapshot/snapshots.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { waitForNoChildren } from '../helpers/processes.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { DEFAULT_SCENE, renderSquareClip } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

const seed = process.env.LOOKOUT_FUZZ_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.LOOKOUT_FUZZ_SEED);
const BUDGET_MS = Number(process.env.LOOKOUT_FUZZ_MS ?? 3000);
const quiet = new Logger({ level: 'error', json: false, write: () => undefined });

async function until(check: () => boolean, what: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('MQTT command fuzz (real mosquitto, running runtime)', function () {
  this.timeout(BUDGET_MS + 60000);
  const tmp = useTmpDir('lookout-mqtt-fuzz-');
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    assert.deepEqual(await waitForNoChildren({ timeoutMs: 5000 }), [], 'no child process left');
  });

  it('random payloads on command topics: Lookout stays up, answers health and keeps detecting', async () => {
    const { model, labels } = await writeSquareModel(tmp());
    const clip = await renderSquareClip({ ...DEFAULT_SCENE, width: 320, height: 240, duration: 2, size: 40, x0: 20, y0: 80, vx: 40, vy: 0 }, join(tmp(), 'square.mp4'));
    const b = await Mosquitto.start();
    cleanups.push(() => b.close());
    const config = parseConfig(
      {
        model: { path: model, adapter: 'ultralytics', labels, threshold: 0.5 },
        cameras: [{ name: 'yard', url: clip, loop: true, realtime: true, fps: 10, objects: { track: ['square'] } }],
        mqtt: { url: b.url, statsIntervalSeconds: 0, discovery: { enabled: false } },
      },
      { env: {} },
    );
    const runtime = await Runtime.create(config, { logger: quiet });
    cleanups.push(() => runtime.stop());
    const snapshots = new Snapshots(runtime.updates$, runtime.frames, quiet);
    cleanups.push(async () => snapshots.close());
    let sink: MqttSink | undefined;
    const http = await HttpServer.create(runtime, { host: '127.0.0.1', port: 0, auth: 'none', logger: quiet, cameras: config.cameras, snapshots, maxUploadBytes: 100_000, eventsKept: 100, mqttLink: () => sink?.link() });
    cleanups.push(() => http.close());
    sink = await MqttSink.create(runtime, { mqtt: config.mqtt as MqttConfig, cameras: config.cameras, logger: quiet });
    const s = sink;
    cleanups.push(() => s.close());
    let results = 0;
    runtime.results$.subscribe(() => results++);
    runtime.start();
    await until(() => results > 0 && s.link().state === 'connected', 'first detections and the broker link');
    const fuzzer = await MqttRecorder.connect(b.url, []);
    cleanups.push(() => fuzzer.close());

    // no wildcards: a broker disconnects a client that publishes to one (that is the broker's rule, not ours)
    const level = fc.oneof(fc.constantFrom('yard', 'nocam', 'detect', 'set', '', 'ÿ', '..', 'state'), fc.string({ minLength: 1, maxLength: 12 }).filter((t) => !/[#+\u0000/]/.test(t)));
    const topic = fc.oneof(
      fc.constant('lookout/yard/detect/set'),
      fc.constantFrom('lookout/yard/snapshots/set', 'lookout/yard/motion/set', 'lookout/nocam/detect/set', 'lookout/yard/detect/state', 'lookout/available'),
      fc.array(level, { minLength: 1, maxLength: 5 }).map((ls) => ['lookout', ...ls].join('/')),
    );
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)),
      fc.string({ maxLength: 200 }).map((t) => Buffer.from(t)),
      fc.constantFrom('ON', 'OFF', 'on ', ' off', 'ONN', '', '{"on":true}', 'null', '\u0000ON', 'OFF\n').map((t) => Buffer.from(t)),
      fc.nat({ max: 300_000 }).map((n) => Buffer.alloc(n, 0x4f)),
    );
    let count = 0;
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(topic, payload, fc.boolean(), async (t, p, retain) => {
        count++;
        // QoS 1: the broker has it before the next one goes, so the rate is what Lookout is really sent
        await fuzzer.client.publishAsync(t, p, { qos: 1, retain });
      }),
      { seed, numRuns: 1_000_000, interruptAfterTimeLimit: BUDGET_MS },
    );
    const secs = (performance.now() - started) / 1000;
    console.log(`      ${count} commands in ${secs.toFixed(1)} s (${Math.round(count / secs)}/s, seed ${seed})`);
    assert.ok(count > 10, 'the fuzzer ran');

    // a fuzzed OFF (sent now, not retained) may have paused detection: a plain ON must still work
    await fuzzer.publish('lookout/yard/detect/set', 'ON');
    await until(() => runtime.detectEnabled('yard'), 'detection on again after a plain ON');
    const res = await fetch(`${http.url}/api/health`);
    assert.equal(res.status, 200, 'health answers 200');
    const body = (await res.json()) as { cameras: Record<string, { detect: boolean }>; mqtt: { state: string } };
    assert.equal(body.cameras.yard.detect, true);
    assert.equal(body.mqtt.state, 'connected');
    const before = results;
    await until(() => results >= before + 5, 'five more detections after the fuzz');
  });
});
