// Credentials never leave `lookout run`: a camera password in its URL, the MQTT password and the HTTP token are all in
// play at once, and every output is scanned for them: stdout and stderr (debug level), every MQTT message (stats,
// events, availability, discovery, snapshots), the API's answers (stats, cameras, health, metrics, events, the 401s),
// the WebSocket's messages and a printed config. (camera-secrets.test.ts does the same for live RTSP cameras through
// auth failures and an outage; auth on the API and /ws is in http.test.ts; MQTT over TLS in mqtt-sink.test.ts.)
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { spawnLookout, until } from '../helpers/faults.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { freePort } from '../helpers/ports.js';
import { waitForNoChildren } from '../helpers/processes.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { lavfiSpec } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

// characters that URLs and shells treat specially, so every spelling (raw, percent-encoded) has to be caught
const CAMERA_SECRET = 'C4m-p@ss%w0rd';
const MQTT_SECRET = 'Mq77-s3cret!';
const HTTP_SECRET = 'Http-t0ken-s3cret';
const SECRETS = [CAMERA_SECRET, MQTT_SECRET, HTTP_SECRET].flatMap((s) => [s, encodeURIComponent(s)]);

describe('security: no credential in any output of `lookout run`', function () {
  this.timeout(90_000);
  const tmp = useTmpDir('lookout-security-');

  afterEach(async () => {
    assert.deepEqual(await waitForNoChildren({ timeoutMs: 5000 }), [], 'no child process left');
  });

  it('scans logs, stdout, MQTT, the API, the WebSocket and a printed config for the camera password, the MQTT password and the HTTP token', async () => {
    const { model, labels } = await writeSquareModel(tmp());
    const broker = await Mosquitto.start({ users: { lookout: MQTT_SECRET, watcher: 'watcher-pw' } });
    const rec = await MqttRecorder.connect(broker.url, ['#'], { username: 'watcher', password: 'watcher-pw' });
    const [httpPort, closedPort] = [await freePort(), await freePort()];
    const file = join(tmp(), 'lookout.yaml');
    const scene = { width: 320, height: 240, fps: 10, duration: 600, size: 40, x0: 20, y0: 100, vx: 5, vy: 0 };
    await writeFile(
      file,
      [
        `model: { path: ${model}, adapter: ultralytics, labels: ${labels}, threshold: 0.5 }`,
        'cameras:',
        // nothing listens there: ffprobe's error echoes the whole URL, password included
        `  - { name: door, url: "rtsp://viewer:${encodeURIComponent(CAMERA_SECRET)}@127.0.0.1:${closedPort}/live", reconnect: { initialMs: 200, maxMs: 500 } }`,
        `  - { name: yard, url: "lavfi:${lavfiSpec(scene)}", fps: 5, objects: { track: [square] } }`,
        `mqtt: { url: "${broker.url}", username: lookout, password: "\${MQTT_PASSWORD}", statsIntervalSeconds: 1 }`,
        `http: { host: 127.0.0.1, port: ${httpPort}, auth: { token: "\${HTTP_TOKEN}" } }`,
        'websocket: { statsIntervalSeconds: 1 }',
      ].join('\n') + '\n',
    );
    const env = { MQTT_PASSWORD: MQTT_SECRET, HTTP_TOKEN: HTTP_SECRET };
    const outputs: { where: string; text: string }[] = [];
    const api = `http://127.0.0.1:${httpPort}`;
    const bearer = { authorization: `Bearer ${HTTP_SECRET}` };

    const lookout = spawnLookout(['run', '-c', file, '--json', '--verbose'], env);
    let ws: WebSocket | undefined;
    try {
      // running: the good camera's events on MQTT, the bad camera retrying, stats flowing
      await rec.waitFor((r) => r.texts('lookout/yard/events').length > 0 || undefined, 'an event on MQTT', 30_000);
      await until(
        'the door camera reported unreachable',
        async () => {
          const res = await fetch(`${api}/api/cameras`, { headers: bearer }).catch(() => undefined);
          const cams = res?.ok ? ((await res.json()) as { name: string; error: string | null }[]) : [];
          return cams.some((c) => c.name === 'door' && /Connection refused/.test(c.error ?? ''));
        },
        20_000,
        100,
      );
      ws = new WebSocket(`ws://127.0.0.1:${httpPort}/ws`, { headers: bearer });
      ws.on('message', (m) => outputs.push({ where: 'websocket', text: m.toString() }));
      await new Promise((res, rej) => ws!.once('open', res).once('error', rej));
      const stats0 = rec.texts('lookout/stats').length;
      await rec.waitFor((r) => r.texts('lookout/stats').length >= stats0 + 2 || undefined, 'two more stats messages');
      await until('WebSocket stats', () => outputs.filter((o) => o.where === 'websocket' && o.text.includes('"lookout/stats"')).length >= 1, 5000);

      for (const path of ['/api/stats', '/api/cameras', '/api/health', '/metrics', '/api/events', '/']) {
        const res = await fetch(`${api}${path}`, { headers: bearer });
        outputs.push({ where: `GET ${path} (${res.status})`, text: await res.text() });
      }
      // refused requests: their answers must not echo what was tried or what is expected
      const refusals: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token' }, { authorization: `Bearer ${HTTP_SECRET.slice(0, -1)}` }];
      for (const headers of refusals) {
        const res = await fetch(`${api}/api/stats`, { headers });
        assert.equal(res.status, 401);
        outputs.push({ where: 'GET /api/stats refused', text: (await res.text()) + JSON.stringify([...res.headers]) });
      }
      const refusedWs = await new Promise<number>((resolve) => {
        const bad = new WebSocket(`ws://127.0.0.1:${httpPort}/ws`);
        bad.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        bad.on('error', () => undefined);
      });
      assert.equal(refusedWs, 401, '/ws needs the token too');
      // how many detections are out by now depends on how fast the rest went: wait for enough to scan
      await until('more than 10 lines of detections on stdout', () => lookout.stdout().split('\n').length > 10, 30_000);
    } finally {
      ws?.close();
      lookout.child.kill('SIGINT');
      const exit = await lookout.exited;
      await rec.close();
      await broker.close();
      assert.equal(exit.code, 0, lookout.stderr());
    }
    outputs.push({ where: 'stderr', text: lookout.stderr() }, { where: 'stdout', text: lookout.stdout() });
    for (const h of rec.heard) outputs.push({ where: `mqtt ${h.topic}`, text: `${h.topic} ${h.text}` });
    const printed = spawnLookout(['validate', '-c', file, '--print', '--json'], env);
    assert.equal((await printed.exited).code, 0, printed.stderr());
    outputs.push({ where: 'validate --print', text: printed.stdout() + printed.stderr() });

    // the test saw what it meant to: URLs shown redacted, ffmpeg's error text, MQTT and API traffic
    const all = outputs.map((o) => o.text).join('\n');
    assert.match(all, /rtsp:\/\/viewer:\*\*\*@127\.0\.0\.1:\d+\/live/, 'the camera URL shown, redacted');
    assert.match(all, /Connection refused/);
    assert.match(all, /"password": "\*\*\*"/, 'validate --print masks the passwords');
    assert.ok(rec.heard.some((h) => h.topic === 'lookout/yard/events'));
    assert.ok(rec.heard.some((h) => h.topic === 'lookout/stats' && h.text.includes('"door"')));
    assert.ok(outputs.some((o) => o.where === 'GET /metrics (200)' && o.text.includes('lookout_camera_up')));
    assert.ok(outputs.some((o) => o.where === 'GET /api/health (503)' && o.text.includes('camera door is reconnecting')));
    assert.ok(outputs.filter((o) => o.where === 'websocket').length > 3);
    assert.match(lookout.stderr(), /DEBUG|INFO/, 'logs were written');
    assert.ok(lookout.stdout().split('\n').length > 10, 'detections were written to stdout');
    for (const o of outputs) {
      for (const s of SECRETS) assert.ok(!o.text.includes(s), `${o.where} shows a secret (${s}):\n${o.text.slice(0, 2000)}`);
    }
    console.log(`      scanned ${outputs.length} outputs: ${rec.heard.length} MQTT messages, ${outputs.filter((o) => o.where === 'websocket').length} WebSocket messages, ${lookout.stderr().split('\n').length} log lines, ${lookout.stdout().split('\n').length} stdout lines`);
  });
});
