import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import mqtt from 'mqtt';
import { assetsDir, cliPath, requireAsset } from '../helpers/assets.js';
import { freePort } from '../helpers/ports.js';
import { useTmpDir } from '../helpers/tmp.js';
import { until } from '../helpers/faults.js';

type Child = ChildProcessByStdio<null, Readable, Readable>;

function startDemo(env: NodeJS.ProcessEnv, args: string[] = []): { child: Child; out: () => string; err: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [cliPath, 'demo', '--port', '0', '--mqtt-port', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}


describe('lookout demo (npm start)', function () {
  this.timeout(120000);
  const tmp = useTmpDir('lookout-demo-');

  it('serves the dashboard, sees the person walk in, and speaks MQTT; stops on SIGINT with exit 0', async function () {
    requireAsset(this, 'media/one-by-one-person-detection.mp4');
    requireAsset(this, 'models/yolox_nano.onnx');
    const demo = startDemo({ LOOKOUT_ASSETS: assetsDir, LOOKOUT_CACHE: tmp() });
    try {
      const dashboard = await until('the dashboard URL', () => /Dashboard:\s+(http:\/\/\S+?)\/?$/m.exec(demo.out())?.[1], 30000);
      const broker = await until('the MQTT command', () => /mosquitto_sub -h (\S+) -p (\d+)/.exec(demo.out()) ?? undefined, 5000);
      assert.notEqual(broker[2], '0', 'the printed MQTT port is the real one');
      assert.match(demo.out(), /mosquitto_sub .* -T 'lookout\/\+\/\+\/snapshot'/, 'the suggested command leaves the JPEG snapshot topics out');
      const client = await mqtt.connectAsync(`mqtt://${broker[1]}:${broker[2]}`);
      const messages: { topic: string; payload: string; bytes: Buffer }[] = [];
      client.on('message', (topic, payload) => messages.push({ topic, payload: payload.toString(), bytes: payload }));
      await client.subscribeAsync('lookout/#');
      try {
        const health = await until('health', async () => ((await fetch(`${dashboard}/api/health`)).status === 200 ? true : undefined), 30000);
        assert.equal(health, true);
        // the first person walks in about 6 s into the clip
        const event = await until(
          'a person event on MQTT',
          () => messages.find((m) => m.topic === 'lookout/room/events' && (JSON.parse(m.payload) as { type: string }).type === 'new'),
          40000,
        );
        const payload = JSON.parse(event.payload) as { after: { label: string; camera: string } };
        assert.equal(payload.after.label, 'person');
        assert.equal(payload.after.camera, 'room');
        assert.ok(messages.some((m) => m.topic === 'lookout/available' && m.payload === 'online'));
        // the snapshot of the person, a JPEG, retained on MQTT
        const snapshot = await until('a snapshot on MQTT', () => messages.find((m) => m.topic === 'lookout/room/person/snapshot'), 10000);
        assert.deepEqual([...snapshot.bytes.subarray(0, 3)], [0xff, 0xd8, 0xff]);
        const api = (await (await fetch(`${dashboard}/api/events?camera=room`)).json()) as { object: { label: string } }[];
        assert.ok(api.some((e) => e.object.label === 'person'), 'the API lists the event too');
        const page = await fetch(`${dashboard}/`);
        assert.match(await page.text(), /<title>Lookout<\/title>/);
      } finally {
        await client.endAsync();
      }
    } finally {
      demo.child.kill('SIGINT');
    }
    assert.equal(await demo.exited, 0, demo.err());
  });

  it('offline without LOOKOUT_ASSETS: exit 1 with a paragraph on how to point it at local files', async () => {
    // a mirror on a closed loopback port stands in for an unreachable internet
    const port = await freePort();
    const demo = startDemo({ LOOKOUT_ASSETS: '', LOOKOUT_CACHE: tmp(), LOOKOUT_REGISTRY_MIRROR: `http://127.0.0.1:${port}` });
    assert.equal(await demo.exited, 1);
    assert.match(demo.err(), /LOOKOUT_ASSETS=DIR npm start/);
    assert.match(demo.err(), /models\/yolox_nano\.onnx/);
    assert.doesNotMatch(demo.err(), /\n\s+at /);
  });
});
