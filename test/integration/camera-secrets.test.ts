// Camera credentials never leave Lookout: not in logs, statuses, stats, MQTT, the HTTP API or a printed config, also
// when ffmpeg's own error messages echo the URL with its password (they do: "rtsp://admin:pw@host/x: Connection refused").
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Subject, type Subscription } from 'rxjs';
import { validateCommand } from '../../cli/validate.js';
import { parseConfig } from '../../config/load.js';
import { Logger } from '../../core/logger.js';
import { Runtime } from '../../pipeline/runtime.js';
import type { Status } from '../../core/types.js';
import { closeSinks, createSinks } from '../../pipeline/create-sinks.js';
import type { Sink } from '../../core/sink.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { freePort } from '../helpers/ports.js';
import { waitForNoChildren } from '../helpers/processes.js';
import { requireTool } from '../helpers/require.js';
import { RtspServer, rtspServerUnavailable } from '../helpers/rtsp-server.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { renderSquareClip } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

const SECRET = 'Zq7-s3cret@PW';
const WRONG = 'Wr0ng-s3cret:55';
/** every spelling in which a secret could leak: raw and percent-encoded (as it sits in a URL) */
const spellings = [SECRET, WRONG].flatMap((s) => [s, encodeURIComponent(s)]);

describe('camera credentials never appear in anything Lookout outputs', function () {
  this.timeout(90_000);
  const tmp = useTmpDir('lookout-secrets-');

  before(function () {
    requireTool(this, "GStreamer's RTSP server", rtspServerUnavailable());
  });

  it('keeps passwords out of logs, statuses, stats, MQTT, the HTTP API and a printed config, through auth failures and a server outage', async () => {
    const clip = await renderSquareClip({ width: 320, height: 240, fps: 10, duration: 60, size: 40, x0: 10, y0: 40, vx: 4, vy: 0 }, join(tmp(), 'clip.mp4'), { gop: 5 });
    const { model, labels } = await writeSquareModel(tmp());
    const server = await RtspServer.start({ mounts: { a: clip, b: clip, c: clip }, user: 'admin', password: SECRET });
    const mqttPort = await freePort();
    const httpPort = await freePort();
    const reconnect = { initialMs: 200, maxMs: 500 };
    const raw = {
      model: { path: model, adapter: 'ultralytics', labels, threshold: 0.5 },
      cameras: [
        // the three ways to give credentials: separate fields from the environment, in the URL, and a wrong one
        { name: 'fields', url: server.url('a'), username: 'admin', password: '${CAM_PASSWORD}', fps: 5, reconnect },
        { name: 'inurl', url: server.url('b', { user: 'admin', password: SECRET }), fps: 5, reconnect },
        { name: 'wrong', url: server.url('c'), username: 'admin', password: WRONG, fps: 5, reconnect },
      ],
      mqtt: { embedded: { host: '127.0.0.1', port: mqttPort }, statsIntervalSeconds: 1 },
      http: { host: '127.0.0.1', port: httpPort },
    };
    const config = parseConfig(raw, { env: { CAM_PASSWORD: SECRET } });

    const outputs: { where: string; text: string }[] = [];
    const logger = new Logger({ level: 'debug', json: false, write: (line) => outputs.push({ where: 'log', text: line }) });
    const runtime = await Runtime.create(config, { logger });
    const statuses: Status[] = [];
    const events = new Subject<void>();
    const subs: Subscription[] = [
      runtime.status$.subscribe((s) => {
        statuses.push(s);
        events.next();
      }),
      runtime.results$.subscribe((r) => {
        outputs.push({ where: 'results', text: JSON.stringify(r) });
        events.next();
      }),
      runtime.updates$.subscribe((u) => outputs.push({ where: 'updates', text: JSON.stringify(u) })),
    ];
    let sinks: Sink[] = [];
    let mqtt: MqttRecorder | undefined;
    try {
      sinks = await createSinks(runtime, config, { logger, json: false });
      mqtt = await MqttRecorder.connect(`mqtt://127.0.0.1:${mqttPort}`, ['#']);
      runtime.start();
      const seen = (camera: string, code: string, since = 0) => statuses.some((s) => s.camera === camera && s.code === code && s.at >= since);
      mqtt.client.on('message', () => events.next());
      /** checked on every status, result and MQTT message */
      const until = (what: string, cond: () => boolean, timeoutMs = 20_000) =>
        new Promise<void>((resolve, reject) => {
          if (cond()) return resolve();
          const timer = setTimeout(() => {
            sub.unsubscribe();
            reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(statuses.map((s) => [s.camera, s.code]))}`));
          }, timeoutMs);
          const sub = events.subscribe(() => {
            if (!cond()) return;
            clearTimeout(timer);
            sub.unsubscribe();
            resolve();
          });
        });
      await until('both good cameras online and the wrong one refused', () => seen('fields', 'CAMERA_ONLINE') && seen('inurl', 'CAMERA_ONLINE') && seen('wrong', 'LOOKOUT_ERR_CAMERA_AUTH'));

      // an outage: ffprobe and ffmpeg now fail with messages that echo each URL, password included
      const killedAt = Date.now();
      await server.kill();
      await until('the outage reported', () => seen('inurl', 'LOOKOUT_ERR_CAMERA_UNREACHABLE', killedAt) && seen('fields', 'LOOKOUT_ERR_CAMERA_UNREACHABLE', killedAt));
      const restartedAt = Date.now();
      await server.restart();
      await until('back online', () => seen('fields', 'CAMERA_ONLINE', restartedAt) && seen('inurl', 'CAMERA_ONLINE', restartedAt));
      const statsBefore = mqtt.heard.filter((h) => h.topic.endsWith('/stats')).length;
      await until('two more stats messages on MQTT', () => mqtt!.heard.filter((h) => h.topic.endsWith('/stats')).length >= statsBefore + 2, 10_000);

      for (const path of ['/api/stats', '/api/cameras', '/api/health', '/metrics']) {
        const res = await fetch(`http://127.0.0.1:${httpPort}${path}`);
        outputs.push({ where: `http ${path} (${res.status})`, text: await res.text() });
      }
      outputs.push({ where: 'stats', text: JSON.stringify(runtime.snapshot()) });
      for (const h of mqtt.heard) outputs.push({ where: `mqtt ${h.topic}`, text: h.text });
      for (const s of statuses) outputs.push({ where: 'status', text: JSON.stringify(s) });

      // `lookout validate --print` of the same config, with the password from the environment
      const file = join(tmp(), 'lookout.yaml');
      await writeFile(file, JSON.stringify(raw));
      const saved = process.env.CAM_PASSWORD;
      process.env.CAM_PASSWORD = SECRET;
      try {
        await validateCommand(file, { print: true, json: true, write: (line) => outputs.push({ where: 'validate --print', text: line }) });
        await validateCommand(file, { print: true, write: (line) => outputs.push({ where: 'validate --print (YAML)', text: line }) });
      } finally {
        if (saved === undefined) delete process.env.CAM_PASSWORD;
        else process.env.CAM_PASSWORD = saved;
      }
    } finally {
      await mqtt?.close();
      await closeSinks(sinks, logger);
      await runtime.stop();
      for (const s of subs) s.unsubscribe();
      await server.stop();
    }

    // the test saw what it meant to: errors that quote the URLs, MQTT traffic, HTTP answers
    const all = outputs.map((o) => o.text).join('\n');
    assert.match(all, /rtsp:\/\/admin:\*\*\*@127\.0\.0\.1:\d+\/b/, 'the URL with credentials is shown, redacted');
    assert.match(all, /Connection refused/, 'ffmpeg’s own error text is passed on');
    assert.match(all, /401 Unauthorized/);
    assert.ok(outputs.some((o) => o.where.startsWith('mqtt ') && o.text.includes('"reconnects"')), 'stats reached MQTT');
    assert.ok(outputs.some((o) => o.where === 'http /api/cameras (200)'));
    assert.ok(outputs.some((o) => o.where === 'validate --print' && o.text.includes('"password": "***"')));
    assert.ok(outputs.some((o) => o.where === 'validate --print (YAML)' && /password: "?\*\*\*"?/.test(o.text)), 'the YAML printout masks it too');
    for (const o of outputs) {
      for (const s of spellings) assert.ok(!o.text.includes(s), `${o.where} shows a password:\n${o.text}`);
    }
    console.log(`      checked ${outputs.length} outputs (${outputs.filter((o) => o.where.startsWith('mqtt')).length} MQTT messages, ${outputs.filter((o) => o.where === 'log').length} log lines, ${statuses.length} statuses)`);
    assert.deepEqual(await waitForNoChildren({ filter: (p) => p.comm.startsWith('ff'), timeoutMs: 3000 }), []);
  });
});
