// `npm run soak -- --minutes N`: the whole system under a steady load for N minutes, watched for leaks.
// 8 synthetic cameras (lavfi, real-time, 5 fps) feed the real detector (FastestDet from the shared assets, else
// yolox-nano, else the tests' tiny square detector), with the MQTT (embedded broker), HTTP and WebSocket sinks on and a
// client on each. Every few seconds it samples RSS, heap used (after a full GC), active handles, child processes and
// the event-loop delay; after a warm-up it fits a least-squares line to RSS and heap and fails (exit 1) when either
// grows faster than --max-slope MB/min (default 1).
//
//   --minutes N         run time (default 5)
//   --cameras N         cameras (default 8)
//   --fps N             detection rate per camera (default 5)
//   --sample-seconds N  sampling interval (default 5)
//   --warmup-minutes N  samples before this are not fitted (default: a quarter of the run, 1 to 5 minutes)
//   --max-slope N       MB/min allowed for RSS and heap (default 1)
//   --out FILE          also write every sample as JSON
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { connectAsync } from 'mqtt';
import { WebSocket } from 'ws';
import { parseConfig } from '../config/load.js';
import { Logger } from '../core/logger.js';
import { Runtime } from '../pipeline/runtime.js';
import { closeSinks, createSinks } from '../pipeline/create-sinks.js';
import { HttpServer } from '../sinks/http/http-server.js';
import { MqttSink } from '../sinks/mqtt/mqtt-sink.js';
import { freePort } from './support/ports.js';
import { childProcesses } from './support/processes.js';
import { writeSquareDetector } from '../models/square-detector.js';
import { lavfiSpec } from './support/synthetic.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    cameras: { type: 'string', default: '8' },
    fps: { type: 'string', default: '5' },
    'sample-seconds': { type: 'string', default: '5' },
    'warmup-minutes': { type: 'string' },
    'max-slope': { type: 'string', default: '1' },
    out: { type: 'string' },
  },
  strict: true,
});
const positive = (name: string, v: string | undefined): number => {
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0)) {
    console.error(`soak: --${name} must be a positive number, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
};
const minutes = positive('minutes', values.minutes);
const cameraCount = Math.round(positive('cameras', values.cameras));
const fps = positive('fps', values.fps);
const sampleSeconds = positive('sample-seconds', values['sample-seconds']);
const warmupMinutes = values['warmup-minutes'] !== undefined ? Number(values['warmup-minutes']) : Math.min(5, Math.max(1, minutes / 4));
const maxSlope = positive('max-slope', values['max-slope']);

// a full GC before each memory sample, so the heap figure is what is live, not what the collector has not reached yet
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const root = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const assets = process.env.LOOKOUT_ASSETS ?? resolve(root, '..', 'shared', 'assets');
const clip = join(assets, 'media', 'one-by-one-person-detection.mp4');
const labels = join(assets, 'models', 'coco.names');
const tmp = await mkdtemp(join(tmpdir(), 'lookout-soak-'));

/** The model, its adapter and labels, and what each camera shows. */
async function workload(): Promise<{ what: string; model: Record<string, unknown>; url: (i: number) => string; track: string[] }> {
  // people walking through a room, looped by lavfi's movie source, each camera from a different point of the clip
  const footage = existsSync(clip) && existsSync(labels);
  const movie = (i: number) => `lavfi:movie=${clip}:loop=0:seek_point=${(i * 17) % 130},setpts=N/FRAME_RATE/TB`;
  for (const [file, adapter, name] of [['FastestDet.onnx', 'fastestdet', 'FastestDet'], ['yolox_nano.onnx', 'yolox', 'yolox-nano']] as const) {
    const path = join(assets, 'models', file);
    if (footage && existsSync(path)) {
      return { what: `${name} (${path}) on ${clip}`, model: { path, adapter, labels, threshold: adapter === 'fastestdet' ? 0.65 : 0.3 }, url: movie, track: ['person'] };
    }
  }
  // no shared assets: the tests' square detector on the moving-square scene (events still flow)
  const path = await writeSquareDetector(tmp, { width: 160, height: 160, dynamicBatch: true });
  const squareLabels = join(tmp, 'labels.txt');
  await writeFile(squareLabels, 'square\n');
  const scene = { width: 320, height: 240, fps: 10, duration: 10 * 365 * 24 * 3600, size: 40, x0: 0, y0: 100, vx: 0, vy: 0 };
  return {
    what: `the tiny square detector (shared assets not found under ${assets})`,
    model: { path, adapter: 'ultralytics', labels: squareLabels, threshold: 0.5 },
    url: (i) => `lavfi:${lavfiSpec({ ...scene, x0: 20 + i * 10, vx: 3 + i })}`,
    track: ['square'],
  };
}

const load = await workload();
const [mqttPort, httpPort] = [await freePort(), await freePort()];
const config = parseConfig(
  {
    model: load.model,
    cameras: Array.from({ length: cameraCount }, (_, i) => ({ name: `cam${i + 1}`, url: load.url(i), fps, realtime: true, objects: { track: load.track } })),
    mqtt: { embedded: { host: '127.0.0.1', port: mqttPort }, statsIntervalSeconds: 10 },
    http: { host: '127.0.0.1', port: httpPort },
    websocket: { statsIntervalSeconds: 10 },
    log: { level: 'warn' },
  },
  { env: {} },
);

const logger = new Logger({ level: 'warn', json: false });
const runtime = await Runtime.create(config, { logger });
const sinks = await createSinks(runtime, config, { logger, json: false });
const http = sinks.find((s): s is HttpServer => s instanceof HttpServer)!;
const broker = sinks.find((s): s is MqttSink => s instanceof MqttSink)!;
let events = 0;
runtime.updates$.subscribe((u) => (events += u.events.length));
runtime.start();

// one client on each output, as a home automation box and an open dashboard would be
let mqttMessages = 0;
const mqtt = await connectAsync(broker.url, { clientId: 'soak-watcher', reconnectPeriod: 1000 });
mqtt.on('message', () => mqttMessages++);
await mqtt.subscribeAsync('lookout/#', { qos: 1 });
let wsMessages = 0;
const ws = new WebSocket(`${http.url.replace('http', 'ws')}/ws`);
ws.on('message', () => wsMessages++);
ws.on('error', (err) => console.error(`soak: websocket client: ${err.message}`));

interface Sample {
  t: number;
  rssMB: number;
  heapMB: number;
  externalMB: number;
  handles: number;
  children: number;
  eldP99Ms: number;
  eldMaxMs: number;
  framesDetected: number;
  dropped: number;
  events: number;
  mqtt: number;
  ws: number;
  detectorRestarts: number;
}

const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();
const samples: Sample[] = [];
const started = performance.now();
const MB = 1024 * 1024;
const round = (v: number, d = 1) => Number(v.toFixed(d));

async function sample(): Promise<Sample> {
  // the dashboard's requests, so the HTTP paths (stats, metrics, a live JPEG) are part of what is watched
  for (const path of ['/api/stats', '/metrics', '/api/health', `/api/cameras/cam1/latest.jpg`]) {
    const res = await fetch(`${http.url}${path}`).catch(() => undefined);
    await res?.arrayBuffer();
  }
  const eldP99Ms = eld.percentile(99) / 1e6;
  const eldMaxMs = eld.max / 1e6;
  gc();
  const mem = process.memoryUsage();
  // the GC pause just taken is ours, not the pipeline's
  eld.reset();
  const snap = runtime.snapshot();
  const cams = Object.values(snap.cameras);
  return {
    t: (performance.now() - started) / 60_000,
    rssMB: round(mem.rss / MB),
    heapMB: round(mem.heapUsed / MB),
    externalMB: round(mem.external / MB),
    handles: process.getActiveResourcesInfo().length,
    children: childProcesses().length,
    eldP99Ms: round(eldP99Ms),
    eldMaxMs: round(eldMaxMs),
    framesDetected: cams.reduce((a, c) => a + c.framesDetected, 0),
    dropped: cams.reduce((a, c) => a + c.dropped, 0),
    events,
    mqtt: mqttMessages,
    ws: wsMessages,
    detectorRestarts: snap.detector.restarts,
  };
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const sxy = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const sxx = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

console.log(`soak: ${cameraCount} cameras at ${fps} fps for ${minutes} min, ${load.what}`);
console.log(`soak: sampling every ${sampleSeconds} s, fitting after ${warmupMinutes} min of warm-up, failing above ${maxSlope} MB/min`);
console.log('   min    rss MB  heap MB  handles  children  eld p99 ms  frames  dropped  events   mqtt     ws');
let stopping = false;
const onSignal = () => (stopping = true);
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
const endAt = started + minutes * 60_000;
while (!stopping && performance.now() < endAt) {
  await new Promise((r) => setTimeout(r, Math.min(sampleSeconds * 1000, Math.max(0, endAt - performance.now()))));
  const s = await sample();
  samples.push(s);
  const pad = (v: number | string, w: number) => String(v).padStart(w);
  console.log(`${pad(s.t.toFixed(2), 6)} ${pad(s.rssMB, 9)} ${pad(s.heapMB, 8)} ${pad(s.handles, 8)} ${pad(s.children, 9)} ${pad(s.eldP99Ms, 11)} ${pad(s.framesDetected, 7)} ${pad(s.dropped, 8)} ${pad(s.events, 7)} ${pad(s.mqtt, 6)} ${pad(s.ws, 6)}`);
}

const failure = runtime.failure;
ws.close();
await mqtt.endAsync();
await runtime.stop();
await closeSinks(sinks, logger);
eld.disable();
// stop() sends every ffmpeg SIGTERM; give them the bounded wait it allows before counting what is left
const leftBy = performance.now() + 5000;
while (childProcesses().length > 0 && performance.now() < leftBy) await new Promise((r) => setTimeout(r, 50));
await rm(tmp, { recursive: true, force: true });
if (values.out) await writeFile(values.out, JSON.stringify(samples, null, 1));

const fitted = samples.filter((s) => s.t >= warmupMinutes);
const rssSlope = slope(fitted.map((s) => [s.t, s.rssMB]));
const heapSlope = slope(fitted.map((s) => [s.t, s.heapMB]));
const range = (k: keyof Sample, from = samples) => (from.length ? `${Math.min(...from.map((s) => s[k]))}–${Math.max(...from.map((s) => s[k]))}` : 'n/a');
const last = samples.at(-1);
const elapsed = last?.t ?? 0;
const summary = {
  minutes: round(elapsed, 2),
  cameras: cameraCount,
  fps,
  workload: load.what,
  samplesFitted: fitted.length,
  rssSlopeMBPerMin: round(rssSlope, 3),
  heapSlopeMBPerMin: round(heapSlope, 3),
  rssMB: range('rssMB', fitted),
  heapMB: range('heapMB', fitted),
  handles: range('handles'),
  children: range('children'),
  eldP99Ms: { median: round([...samples.map((s) => s.eldP99Ms)].sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? 0), max: Math.max(0, ...samples.map((s) => s.eldP99Ms)) },
  framesDetected: last?.framesDetected ?? 0,
  detectFps: round((last?.framesDetected ?? 0) / Math.max(1e-9, elapsed * 60), 1),
  dropped: last?.dropped ?? 0,
  events: last?.events ?? 0,
  mqttMessages: last?.mqtt ?? 0,
  wsMessages: last?.ws ?? 0,
  detectorRestarts: last?.detectorRestarts ?? 0,
  childrenAfterStop: childProcesses().length,
};
console.log(`\nsoak summary: ${JSON.stringify(summary, null, 2)}`);
const problems: string[] = [];
if (fitted.length < 3) problems.push(`only ${fitted.length} samples after the warm-up: run longer than ${warmupMinutes} min`);
if (rssSlope > maxSlope) problems.push(`RSS grows ${rssSlope.toFixed(3)} MB/min (limit ${maxSlope})`);
if (heapSlope > maxSlope) problems.push(`heap grows ${heapSlope.toFixed(3)} MB/min (limit ${maxSlope})`);
if (failure) problems.push(`the pipeline failed: ${String(failure)}`);
if (summary.framesDetected === 0) problems.push('no frame was detected');
if (summary.childrenAfterStop > 0) problems.push(`${summary.childrenAfterStop} child processes outlived the stop`);
if (problems.length > 0) {
  console.log(`soak: FAIL: ${problems.join('; ')}`);
  process.exitCode = 1;
} else {
  console.log(`soak: PASS: RSS ${rssSlope.toFixed(3)} MB/min, heap ${heapSlope.toFixed(3)} MB/min over ${round(elapsed - warmupMinutes, 1)} min after warm-up`);
}
