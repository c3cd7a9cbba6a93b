// Hostile input on the MQTT side (issue 18): a broker that refuses the credentials until an operator fixes them, and
// a retained `detect/set OFF` left on an anonymous broker. Real mosquitto, the real runtime, the real HTTP API.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import { parseConfig } from '../../config/load.js';
import type { Config, MqttConfig } from '../../config/types.js';
import { Logger } from '../../core/logger.js';
import type { Status } from '../../core/types.js';
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

const quiet = new Logger({ level: 'error', json: false, write: () => undefined });

interface Health {
  healthy: boolean;
  cameras: Record<string, { status: string; detect: boolean }>;
  mqtt?: { state: string; reason?: string; since: string; outbox: number; dropped: number; connects: number };
}

async function until(check: () => boolean, what: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('MQTT hostile input (real mosquitto, runtime and HTTP API)', function () {
  this.timeout(90000);
  const tmp = useTmpDir('lookout-mqtt-hostile-');
  let model: string;
  let labels: string;
  let clip: string;
  const cleanups: (() => Promise<void>)[] = [];
  before(async () => {
    ({ model, labels } = await writeSquareModel(tmp()));
    clip = await renderSquareClip({ ...DEFAULT_SCENE, width: 320, height: 240, duration: 3, size: 40, x0: 10, y0: 80, vx: 60, vy: 0 }, join(tmp(), 'square.mp4'));
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    assert.deepEqual(await waitForNoChildren({ timeoutMs: 5000 }), [], 'no child process left');
  });

  function config(mqtt: Record<string, unknown>, camera: Record<string, unknown> = {}): Config {
    return parseConfig(
      {
        model: { path: model, adapter: 'ultralytics', labels, threshold: 0.5 },
        cameras: [{ name: 'yard', url: clip, realtime: false, fps: 10, objects: { track: ['square'] }, tracker: { maxDisappearedSeconds: 0.5 }, ...camera }],
        mqtt: { statsIntervalSeconds: 0, discovery: { enabled: false }, ...mqtt },
      },
      { env: {} },
    );
  }

  /** The runtime, the MQTT sink and the HTTP server as `lookout run` composes them (health reads the sink's link). */
  async function compose(cfg: Config, logger = quiet): Promise<{ runtime: Runtime; sink: MqttSink; http: HttpServer; statuses: Status[] }> {
    const runtime = await Runtime.create(cfg, { logger: quiet });
    cleanups.push(() => runtime.stop());
    const statuses: Status[] = [];
    runtime.status$.subscribe((s) => statuses.push(s));
    const snapshots = new Snapshots(runtime.updates$, runtime.frames, quiet);
    cleanups.push(async () => snapshots.close());
    let sink: MqttSink | undefined;
    const http = await HttpServer.create(runtime, { host: '127.0.0.1', port: 0, auth: 'none', logger: quiet, cameras: cfg.cameras, snapshots, maxUploadBytes: 100_000, eventsKept: 100, mqttLink: () => sink?.link() });
    cleanups.push(() => http.close());
    sink = await MqttSink.create(runtime, { mqtt: cfg.mqtt as MqttConfig, cameras: cfg.cameras, logger, reconnectPeriodMs: 100 });
    const s = sink;
    cleanups.push(() => s.close());
    return { runtime, sink, http, statuses };
  }

  async function health(http: HttpServer): Promise<{ status: number; body: Health }> {
    const res = await fetch(`${http.url}/api/health`);
    return { status: res.status, body: (await res.json()) as Health };
  }

  it('a broker that refuses the password is retried with backoff until it accepts; health shows the link (200); buffered events are delivered', async () => {
    const b = await Mosquitto.start({ users: { lookout: 'old-pass', watcher: 'w-pass' } });
    cleanups.push(() => b.close());
    // a persistent session, so the broker keeps what arrives for the watcher while it reconnects after the restart
    const rec = await MqttRecorder.connect(b.url, ['lookout/yard/events'], { username: 'watcher', password: 'w-pass', clientId: 'refusal-watcher', clean: false });
    cleanups.push(() => rec.close());
    const lines: string[] = [];
    const logger = new Logger({ level: 'info', json: false, write: (l) => lines.push(l) });
    const cfg = config({ url: b.url, username: 'lookout', password: 'new-pass' });
    const { runtime, sink, http, statuses } = await compose(cfg, logger);
    const events: string[] = [];
    runtime.updates$.subscribe((u) => events.push(...u.events.map((e) => `${e.type}:${e.after.id}`)));

    await until(() => sink.link().state === 'refused', 'the refusal');
    assert.match(sink.link().reason ?? '', /not authori[sz]ed/);
    runtime.start();
    await until(() => runtime.snapshot().cameras.yard?.status === 'ended' && events.some((e) => e.startsWith('end:')), 'the clip to end with an end event');
    // several refused attempts, one log line and one status for them all
    await until(() => (b.output.match(/not authori[sz]ed/gi) ?? []).length >= 3, 'three refused attempts');
    assert.equal(lines.filter((l) => /refused \(not authori[sz]ed\)/.test(l)).length, 1, `one log line per change, not per retry:\n${lines.join('\n')}`);
    assert.equal(statuses.filter((s) => s.code === 'MQTT_OFFLINE').length, 1);
    for (const l of lines) assert.doesNotMatch(l, /new-pass/);

    const down = await health(http);
    assert.equal(down.status, 200, 'a refusing broker does not make the box unhealthy');
    assert.equal(down.body.mqtt?.state, 'refused');
    assert.match(down.body.mqtt?.reason ?? '', /not authori[sz]ed/);
    // the events, and the latest count per label (state messages coalesce)
    assert.ok((down.body.mqtt?.outbox ?? 0) >= events.length, 'every event waits in the outbox');
    const waiting = down.body.mqtt?.outbox ?? 0;
    assert.equal(down.body.mqtt?.connects, 0);
    const metrics = await (await fetch(`${http.url}/metrics`)).text();
    assert.match(metrics, /lookout_mqtt_link\{state="refused"\} 1/);
    assert.match(metrics, /lookout_mqtt_link\{state="connected"\} 0/);
    assert.match(metrics, new RegExp(`lookout_mqtt_outbox_messages ${waiting}`));
    // camera state as one 0/1 series per state, and prom-client's process metrics next to Lookout's
    assert.match(metrics, /^lookout_camera_status\{camera="yard",state="ended"\} 1$/m);
    assert.match(metrics, /^lookout_camera_status\{camera="yard",state="online"\} 0$/m);
    for (const name of ['process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_active_handles_total']) {
      assert.match(metrics, new RegExp(`^${name} [0-9.e+-]+$`, 'm'), name);
    }
    const helps = metrics.split('\n').filter((l) => l.startsWith('# HELP ')).map((l) => l.split(' ')[2]);
    assert.equal(new Set(helps).size, helps.length, 'each metric described once');

    // the operator fixes the password file and restarts the broker
    await b.stop();
    await b.setUsers({ lookout: 'new-pass', watcher: 'w-pass' });
    const connected = firstValueFrom(runtime.status$.pipe(filter((s) => s.code === 'MQTT_CONNECTED')));
    await b.restart();
    const accepting = performance.now();
    await connected;
    const reconnectMs = performance.now() - accepting;
    console.log(`      reconnect after the broker accepts: ${reconnectMs.toFixed(0)} ms`);
    const ids = () => rec.json<{ type: string; after: { id: string } }>('lookout/yard/events').map((e) => `${e.type}:${e.after.id}`);
    await rec.waitFor(() => ids().length >= events.length, `all ${events.length} buffered events`);
    assert.deepEqual(ids(), events, 'every buffered event, in order, once');
    const up = await health(http);
    assert.equal(up.status, 200);
    assert.equal(up.body.mqtt?.state, 'connected');
    assert.equal(up.body.mqtt?.reason, undefined);
    assert.equal(up.body.mqtt?.outbox, 0);
    assert.equal(up.body.mqtt?.dropped, 0);
  });

  it('a retained detect/set OFF is ignored (warned once) unless mqtt.commands.acceptRetained; health shows detect per camera, still 200', async () => {
    const b = await Mosquitto.start();
    cleanups.push(() => b.close());
    const rec = await MqttRecorder.connect(b.url, []);
    cleanups.push(() => rec.close());
    await rec.publish('lookout/yard/detect/set', 'OFF', { retain: true });

    // a live-paced looping clip: the camera stays online while the test looks
    const live = { realtime: true, loop: true };
    const mark = cleanups.length;
    const first = await compose(config({ url: b.url }, live));
    await until(() => first.statuses.some((s) => s.code === 'MQTT_COMMAND_IGNORED'), 'the ignored retained command');
    first.runtime.start();
    await until(() => first.runtime.snapshot().cameras.yard?.status === 'online', 'the camera online');
    const ignored = first.statuses.filter((s) => s.code === 'MQTT_COMMAND_IGNORED');
    assert.equal(ignored.length, 1);
    assert.match(ignored[0].message, /retained command on lookout\/yard\/detect\/set.*acceptRetained/);
    assert.equal(first.runtime.detectEnabled('yard'), true, 'detection stays on');
    const on = await health(first.http);
    assert.equal(on.status, 200);
    assert.deepEqual(on.body.cameras.yard, { status: 'online', detect: true });
    assert.equal(on.body.mqtt?.state, 'connected');
    // a command sent now still works
    await rec.publish('lookout/yard/detect/set', 'OFF');
    await until(() => !first.runtime.detectEnabled('yard'), 'a live OFF obeyed');
    for (const c of cleanups.splice(mark).reverse()) await c();

    const second = await compose(config({ url: b.url, commands: { acceptRetained: true } }, live));
    await until(() => second.statuses.some((s) => s.code === 'DETECT_OFF'), 'the retained OFF obeyed when asked');
    second.runtime.start();
    await until(() => second.runtime.snapshot().cameras.yard?.status === 'online', 'the camera online');
    const off = await health(second.http);
    assert.equal(off.status, 200, 'detection switched off is not a failure');
    assert.deepEqual(off.body.cameras.yard, { status: 'online', detect: false });
  });
});
