// One owner of shutdown, on a real broker: `lookout run` as a child process with N objects open gets SIGINT; before it
// says `stopped` it must publish an `end` for every open object and zero every retained count, and exit promptly.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cliPath } from '../helpers/assets.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttRecorder, retainedOn } from '../helpers/mqtt-recorder.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { DEFAULT_SCENE, lavfiSpec } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';
import type { LookoutEventPayload } from '../../sinks/mqtt/lookout-dialect.js';

describe('shutdown (lookout run, real mosquitto)', function () {
  this.timeout(90000);
  const tmp = useTmpDir('lookout-shutdown-');
  let broker: Mosquitto;
  before(async () => (broker = await Mosquitto.start()));
  after(async () => broker?.stop());

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} with N objects open: N ends and zeroed retained counts arrive before stopped; exit within 5 s`, async () => {
      const N = 4;
      const { model, labels } = await writeSquareModel(tmp());
      // one still square per camera: N objects that never leave by themselves
      const cameras = Array.from({ length: N }, (_, i) => ({
        name: `cam${i}-${signal.toLowerCase()}`,
        url: `lavfi:${lavfiSpec({ ...DEFAULT_SCENE, duration: 600, fps: 5, x0: 40 + 30 * i, y0: 60, vx: 0, vy: 0 })}`,
        fps: 5,
        objects: { track: ['square'] },
      }));
      const config = join(tmp(), `shutdown-${signal}.yaml`);
      await writeFile(
        config,
        JSON.stringify({
          model: { path: model, adapter: 'ultralytics', labels, threshold: 0.5 },
          cameras,
          mqtt: { url: broker.url, discovery: { enabled: false }, statsIntervalSeconds: 0 },
        }),
      );
      const rec = await MqttRecorder.connect(broker.url, ['lookout/#']);
      const child = spawn(process.execPath, [cliPath, 'run', '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('close', (code) => resolve({ code, at: performance.now() })));
      try {
        // what this run published: retained messages from an earlier run arrive on subscribe and are left out
        const live = () => rec.heard.map((h, index) => ({ ...h, index })).filter((h) => !h.retain);
        const events = () => live().filter((h) => /^lookout\/[^/]+\/events$/.test(h.topic)).map((h) => ({ ...h, e: JSON.parse(h.text) as LookoutEventPayload }));
        const stopped = () => live().find((h) => h.topic === 'lookout/available' && h.text === 'stopped');
        const opened = await rec.waitFor((r) => {
          const news = events().filter((x) => x.e.type === 'new');
          return news.length >= N && new Set(news.map((x) => x.e.after.camera)).size === N ? news : undefined;
        }, `${N} new events`, 40000);
        assert.equal(opened.length, N, 'one object per camera');
        const signalledAt = performance.now();
        child.kill(signal);
        const { code, at } = await exited;
        const exitMs = at - signalledAt;
        const stoppedIndex = (await rec.waitFor(() => stopped(), 'stopped on lookout/available')).index;
        const before = live().filter((h) => h.index < stoppedIndex);
        const ends = events().filter((x) => x.e.type === 'end');
        assert.equal(ends.length, N, `exactly ${N} end events (got ${ends.length})`);
        assert.deepEqual(ends.map((x) => x.e.after.id).sort(), opened.map((x) => x.e.after.id).sort(), 'an end for every object announced new');
        assert.ok(ends.every((x) => x.index < stoppedIndex), 'every end before stopped');
        for (const c of cameras) {
          const zero = before.filter((h) => h.topic === `lookout/${c.name}/square`).at(-1);
          assert.equal(zero?.text, '0', `lookout/${c.name}/square is 0 before stopped`);
        }
        const retained = await retainedOn(broker.url, cameras.map((c) => `lookout/${c.name}/square`), 'lookout/available');
        for (const c of cameras) assert.equal(retained.get(`lookout/${c.name}/square`), '0', `retained count of ${c.name}`);
        assert.equal(code, 0, stderr);
        assert.ok(exitMs < 5000, `exited ${exitMs.toFixed(0)} ms after ${signal}`);
        console.log(`      ${signal}: N=${N} objects open, ${ends.length} ends and ${N} zero counts before stopped, exit ${exitMs.toFixed(0)} ms after the signal`);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
        await rec.close();
      }
    });
  }
});
