// The new-user trial of issue 17, replayed on loopback only (mosquitto, GStreamer's RTSP server, `lookout run`), one
// result line per step: the README's config validates; an RTSP camera's events carry wall-clock times; a second
// Lookout on the same prefix is refused; the Home Assistant Frigate integration's key calls answer in its shapes;
// a dialect switch leaves no old discovery configs; INFO log lines a minute for 2 cameras (bench/log-lines.js).
// Each step is bounded; a failed step is reported and the next runs; the whole run is capped (--cap, seconds).
//   node dist/bench/new-user-trial.js [--seconds 60] [--cap 300]
// Measured (load 8.3 on 2 cores): 6/6 passed; event heard 0.23 s after its start_time; 7 frigate discovery configs
// before the switch, 0 after; 17 INFO lines in 60 s, 10 of them the walking square's new/end, 7 start and stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connectAsync, type MqttClient } from 'mqtt';
import { writeSquareModel } from '../models/square-detector.js';
import { Mosquitto } from './support/mosquitto.js';
import { freePort } from './support/ports.js';
import { RtspServer, rtspServerUnavailable } from './support/rtsp-server.js';
import { lavfiSpec, renderSquareClip } from './support/synthetic.js';
import { until } from './support/until.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, cap: { type: 'string', default: '300' } } });
const here = resolve(fileURLToPath(import.meta.url), '..');
const cli = join(here, '..', 'cli.js');
const root = join(here, '..', '..');
const load = () => loadavg().map((v) => v.toFixed(2)).join(' ');

const children = new Set<ChildProcess>();
const results: { step: string; ok: boolean; detail: string }[] = [];
function report(step: string, ok: boolean, detail: string): void {
  results.push({ step, ok, detail });
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${step}: ${detail}`);
}

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  stop: () => Promise<void>;
}

function lookout(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => (children.delete(child), done(code))));
  return {
    child,
    output: () => out,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** What the broker holds retained under `filter`: subscribed after a retained marker of ours, read once it is back. */
async function retainedUnder(url: string, filter: string): Promise<Map<string, string>> {
  const marker = `trial-marker/${Math.random().toString(36).slice(2)}`;
  const client = await connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  try {
    await client.publishAsync(marker, 'x', { qos: 1, retain: true });
    const heard = new Map<string, string>();
    let done!: () => void;
    const back = new Promise<void>((r) => (done = r));
    client.on('message', (topic, payload, packet) => {
      if (topic === marker) done();
      else if (packet.retain) heard.set(topic, payload.toString('utf8'));
    });
    await client.subscribeAsync(filter, { qos: 1 });
    await client.subscribeAsync(marker, { qos: 1 });
    await Promise.race([back, new Promise((_, reject) => setTimeout(() => reject(new Error('no retained marker back')), 10_000))]);
    await client.publishAsync(marker, '', { qos: 1, retain: true });
    return heard;
  } finally {
    await client.endAsync(true);
  }
}

async function readmeConfig(dir: string): Promise<void> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/^\s*```ya?ml\s*\n([\s\S]*?)^\s*```\s*$/gm)].map((m) => m[1]);
  const sample = blocks.find((b) => /^model:/m.test(b) && /^cameras:/m.test(b));
  if (!sample) return report('README config validates', false, 'no whole config sample found in README.md');
  const file = join(dir, 'readme-sample.yaml');
  await writeFile(file, sample);
  // a user sets the variables the sample names
  const env = Object.fromEntries([...sample.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => [m[1], 'trial-secret']));
  const run = lookout(['validate', '-c', file], env);
  const code = await Promise.race([run.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000))]);
  if (code === 'timeout') await run.stop();
  report('README config validates', code === 0, `lookout validate exit ${code}: ${run.output().trim().split('\n').at(-1)}`);
}

async function main(): Promise<void> {
  const seconds = Number(values.seconds);
  console.log(`new-user trial on loopback; load average ${load()}`);
  const dir = await mkdtemp(join(tmpdir(), 'lookout-trial-'));
  let broker: Mosquitto | undefined;
  let rtsp: RtspServer | undefined;
  let events: MqttClient | undefined;
  const runs: Run[] = [];
  try {
    await readmeConfig(dir);

    broker = await Mosquitto.start();
    const { model, labels } = await writeSquareModel(dir);
    const why = rtspServerUnavailable();
    let cameraUrl: string;
    if (why === null) {
      // the square always in sight: the first frames make a `new` event
      const clip = await renderSquareClip({ width: 320, height: 240, fps: 10, duration: 120, size: 40, x0: 20, y0: 100, vx: 1, vy: 0 }, join(dir, 'yard.mp4'), { gop: 5 });
      rtsp = await RtspServer.start({ mounts: { yard: clip } });
      cameraUrl = rtsp.url('yard');
    } else {
      report('RTSP server', false, `${why}; the camera is a lavfi graph instead`);
      cameraUrl = `lavfi:${lavfiSpec({ width: 320, height: 240, fps: 10, duration: 3600, size: 40, x0: 20, y0: 100, vx: 1, vy: 0 })}`;
    }
    const httpPort = await freePort();
    const api = `http://127.0.0.1:${httpPort}`;
    const configA = join(dir, 'frigate.yaml');
    await writeFile(
      configA,
      [
        `model: { path: ${JSON.stringify(model)}, adapter: ultralytics, labels: ${JSON.stringify(labels)}, threshold: 0.5 }`,
        'cameras:',
        `  - { name: yard, url: ${JSON.stringify(cameraUrl)}, fps: 5, objects: { track: [square] } }`,
        `http: { host: 127.0.0.1, port: ${httpPort} }`,
        `mqtt: { url: "${broker.url}", dialect: frigate, statsIntervalSeconds: 1 }`,
      ].join('\n') + '\n',
    );
    events = await connectAsync(broker.url, { protocolVersion: 4 });
    const heard: { type: string; after: Record<string, unknown>; at: number }[] = [];
    events.on('message', (_t, payload) => {
      try {
        heard.push({ ...(JSON.parse(payload.toString('utf8')) as { type: string; after: Record<string, unknown> }), at: Date.now() / 1000 });
      } catch {
        /* not an event */
      }
    });
    await events.subscribeAsync('frigate/events', { qos: 1 });
    const a = lookout(['run', '-c', configA]);
    runs.push(a);

    // an RTSP camera's event carries wall-clock times
    try {
      const first = await until('a new event on frigate/events', () => heard.find((e) => e.type === 'new'), 60_000);
      const start = Number(first.after.start_time);
      const frame = Number(first.after.frame_time);
      const skew = Math.abs(first.at - start);
      report('RTSP event wall-clock times', skew < 5 && Math.abs(first.at - frame) < 5, `start_time ${start.toFixed(3)} (${new Date(start * 1000).toISOString()}), frame_time ${frame.toFixed(3)}, heard ${skew.toFixed(2)} s after start_time; id ${String(first.after.id)}`);
    } catch (err) {
      report('RTSP event wall-clock times', false, `${(err as Error).message}; lookout said: ${a.output().slice(-600)}`);
    }

    // a second Lookout on the same prefix is refused
    {
      const configB = join(dir, 'second.yaml');
      await writeFile(
        configB,
        [
          `model: { path: ${JSON.stringify(model)}, adapter: ultralytics, labels: ${JSON.stringify(labels)}, threshold: 0.5 }`,
          'cameras:',
          `  - { name: porch, url: ${JSON.stringify(`lavfi:${lavfiSpec({ width: 320, height: 240, fps: 10, duration: 3600, size: 40, x0: 20, y0: 100, vx: 0, vy: 0 })}`)}, fps: 5, objects: { track: [square] } }`,
          `mqtt: { url: "${broker.url}", dialect: frigate }`,
        ].join('\n') + '\n',
      );
      const second = lookout(['run', '-c', configB]);
      const code = await Promise.race([second.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 60_000))]);
      if (code === 'running') await second.stop();
      const line = second.output().split('\n').find((l) => l.includes('LOOKOUT_ERR_MQTT_PREFIX_OWNED')) ?? second.output().trim().split('\n').at(-1) ?? '';
      report('second Lookout on the same prefix refused', code === 1 && line.includes('LOOKOUT_ERR_MQTT_PREFIX_OWNED'), `exit ${code}: ${line.trim()}`);
    }

    // the Home Assistant Frigate integration's key calls
    {
      const problems: string[] = [];
      const answered: string[] = [];
      const call = async (path: string, check: (res: Response, body: Buffer) => string | undefined) => {
        try {
          const res = await fetch(`${api}${path}`, { signal: AbortSignal.timeout(10_000) });
          const body = Buffer.from(await res.arrayBuffer());
          const wrong = res.status !== 200 ? `${res.status}` : check(res, body);
          if (wrong) problems.push(`${path}: ${wrong}`);
          else answered.push(path);
          return body;
        } catch (err) {
          problems.push(`${path}: ${(err as Error).message}`);
          return Buffer.alloc(0);
        }
      };
      const json = (b: Buffer) => JSON.parse(b.toString('utf8')) as Record<string, unknown>;
      const jpeg = (res: Response, b: Buffer) => (res.headers.get('content-type') === 'image/jpeg' && b[0] === 0xff && b[1] === 0xd8 ? undefined : 'not a JPEG');
      await call('/api/stats', (_r, b) => (typeof (json(b).cameras as Record<string, Record<string, unknown>>)?.yard?.detection_fps === 'number' ? undefined : 'no cameras.yard.detection_fps'));
      await call('/api/version', (_r, b) => (/^\d+\.\d+\.\d+/.test(b.toString()) ? undefined : `version ${b.toString()}`));
      await call('/api/config', (_r, b) => {
        const c = json(b);
        return (c.mqtt as Record<string, unknown>)?.topic_prefix === 'frigate' && (c.cameras as Record<string, unknown>)?.yard ? undefined : 'no mqtt.topic_prefix frigate or cameras.yard';
      });
      await call('/api/yard/latest.jpg?h=120', jpeg);
      const list = await call('/api/events?limit=5&include_thumbnails=0', (_r, b) => {
        const l = JSON.parse(b.toString('utf8')) as unknown;
        return Array.isArray(l) && l.length > 0 && typeof (l[0] as Record<string, unknown>).id === 'string' ? undefined : 'no event with an id';
      });
      let id: string | undefined;
      try {
        id = (JSON.parse(list.toString('utf8')) as { id: string }[])[0]?.id;
      } catch {
        /* reported above */
      }
      if (id) {
        await call(`/api/events/${id}/snapshot.jpg`, jpeg);
        await call(`/api/events/${id}/thumbnail.jpg`, jpeg);
      }
      report('HA Frigate integration calls', problems.length === 0, `${answered.length} answered (${answered.join(', ')})${problems.length ? `; wrong: ${problems.join('; ')}` : ''}`);
    }

    // a dialect switch cleans the old discovery configs
    {
      await a.stop();
      const before = [...(await retainedUnder(broker.url, 'homeassistant/#')).keys()].filter((t) => t.endsWith('/config'));
      const frigateBefore = before.filter((t) => t.includes('/frigate/')).length;
      const configL = join(dir, 'lookout.yaml');
      await writeFile(configL, readFileSync(configA, 'utf8').replace('dialect: frigate', 'dialect: lookout').replace(/^http:.*$/m, ''));
      const l = lookout(['run', '-c', configL]);
      runs.push(l);
      try {
        const record = `homeassistant/lookout/${hostname().replace(/[^a-zA-Z0-9_-]+/g, '_')}`;
        const after = await until(
          'the lookout dialect\'s discovery record',
          async () => {
            const held = await retainedUnder(broker!.url, 'homeassistant/#');
            return [...held.keys()].some((t) => t.startsWith('homeassistant/') && t.endsWith('/lookout/published')) ? held : undefined;
          },
          60_000,
          500,
        );
        const configs = [...after.keys()].filter((t) => t.endsWith('/config'));
        const frigateLeft = configs.filter((t) => t.includes('/frigate/')).length;
        const lookoutNow = configs.filter((t) => t.includes('/lookout/')).length;
        report('dialect switch cleans discovery', frigateBefore > 0 && frigateLeft === 0 && lookoutNow > 0, `frigate configs ${frigateBefore} before, ${frigateLeft} after; lookout configs ${lookoutNow} (record under ${record}…)`);
      } catch (err) {
        report('dialect switch cleans discovery', false, `${(err as Error).message}; lookout said: ${l.output().slice(-600)}`);
      }
      await l.stop();
    }

    // INFO log lines a minute for 2 cameras: bench/log-lines.js, as it is
    {
      const child = spawn(process.execPath, [join(here, 'log-lines.js'), '--seconds', String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
      const code = await new Promise<number | null>((done) => child.once('exit', done));
      children.delete(child);
      const info = /^\s*INFO\s+(\d+)\s+\(([\d.]+) a minute\)/m.exec(out);
      // the walking square's new/end lines are news; the goal is for a scene where nothing changes
      const infoLines = out.split('INFO lines:')[1]?.split('\n').filter((l) => l.trim() !== '') ?? [];
      const objectLines = infoLines.filter((l) => /\b(new|end) \S+ \d+\.\d{6}-/.test(l)).length;
      const quiet = ((infoLines.length - objectLines) * 60) / seconds;
      report(
        'INFO log lines a minute, 2 cameras (goal < 10 when nothing changes)',
        code === 0 && info !== null && quiet < 10,
        info ? `${info[1]} INFO lines in ${seconds} s = ${info[2]} a minute; ${objectLines} of them object new/end, the other ${infoLines.length - objectLines} = ${quiet.toFixed(1)} a minute` : `log-lines exit ${code}: ${out.slice(-400)}`,
      );
    }
  } finally {
    await events?.endAsync(true).catch(() => undefined);
    for (const r of runs) await r.stop();
    await rtsp?.stop();
    await broker?.close();
    await rm(dir, { recursive: true, force: true });
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`${results.length - failed}/${results.length} steps passed; load average ${load()}`);
  process.exitCode = failed === 0 ? 0 : 1;
}

const cap = setTimeout(() => {
  console.log(`FAIL  the trial took longer than --cap ${values.cap} s; stopping`);
  for (const c of children) c.kill('SIGKILL');
  process.exit(2);
}, Number(values.cap) * 1000);
cap.unref();
await main();
