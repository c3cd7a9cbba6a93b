// `node dist/bench/startup.js`: how long Lookout takes to give its first result, and to get a camera back.
//   model load:    a fresh node process from spawn to a loaded yolox-nano detector (imports, session, worker): the
//                  floor for any command that infers
//   detect:        `lookout detect clip.mp4` from spawn to its first result line, and from its own "model loaded"
//                  line (--verbose) to the first result (target: 0.3 s);
//                  BENCH_BASELINE_CLI names another build's dist/cli.js to measure in the same rounds
//   rtsp return:   a camera on GStreamer's RTSP server (test/helpers/rtsp-server.py); the server is killed, started
//                  again on the same port, and the time from its READY to the camera's next frame is measured
// Medians of BENCH_ROUNDS (default 5) rounds; `--load-only` is the child process of the first measure.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { filter, firstValueFrom, Subject, take } from 'rxjs';
import { parseConfig } from '../config/load.js';
import type { FrameFormat } from '../core/types.js';
import { parseLabels } from '../models/labels.js';
import { OnnxDetector } from '../models/onnx-detector.js';
import { createSource } from '../sources/create-source.js';
import { LiveSource } from '../sources/live-source.js';
import { freePort } from './support/ports.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const assets = process.env.LOOKOUT_ASSETS ?? resolve(root, '..', 'shared', 'assets');
const model = join(assets, 'models', 'yolox_nano.onnx');
const labels = join(assets, 'models', 'coco.names');
const clip = join(assets, 'media', 'vtest_20s.mp4');
const cli = process.env.BENCH_CLI ?? join(root, 'dist', 'cli.js');
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const RTSP_SERVER = join(root, 'test', 'helpers', 'rtsp-server.py');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (v: number) => `${Math.round(v)} ms`;
const load = () => loadavg().map((v) => v.toFixed(2)).join(' ');

/** Spawn → the first stdout line of `args`, in ms; `loadedMs`: spawn → the stderr line saying the model is loaded. */
function firstLine(args: string[]): Promise<number> {
  return timeLines(args).then((t) => t.firstMs);
}

function timeLines(args: string[]): Promise<{ firstMs: number; loadedMs: number | undefined }> {
  return new Promise((resolveLine, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOOKOUT_ASSETS: assets } });
    let stderr = '';
    let loadedMs: number | undefined;
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderr = (stderr + line + '\n').slice(-4000);
      if (loadedMs === undefined && /model loaded/.test(line)) loadedMs = performance.now() - t0;
    });
    let done = false;
    createInterface({ input: child.stdout }).once('line', () => {
      done = true;
      resolveLine({ firstMs: performance.now() - t0, loadedMs });
      child.kill();
    });
    child.once('close', (code) => {
      if (!done) reject(new Error(`${args.join(' ')} exited with ${code} before a line: ${stderr.trim()}`));
    });
  });
}

async function loadOnly(): Promise<void> {
  const detector = await OnnxDetector.create({ modelPath: model, adapter: 'yolox', labels: parseLabels(readFileSync(labels, 'utf8')), threshold: 0.3, iou: 0.45 });
  console.log(`loaded ${detector.info.format.width}x${detector.info.format.height}`);
  await detector.close();
}

/** The RTSP test server as a child this bench owns: started, killed and started again on one port. */
class Server {
  private child: ChildProcessByStdio<Writable, Readable, null> | undefined;
  constructor(readonly port: number) {}

  async start(): Promise<void> {
    for (let tries = 0; tries < 50; tries++) {
      const child = spawn('/usr/bin/python3', [RTSP_SERVER, '--port', String(this.port), '--mount', `cam=${clip}`], { stdio: ['pipe', 'pipe', 'ignore'] });
      const ready = await new Promise<boolean>((res) => {
        createInterface({ input: child.stdout }).on('line', (l) => l.startsWith('READY') && res(true));
        child.once('exit', () => res(false));
      });
      if (ready) {
        this.child = child;
        return;
      }
      // the port may still be held by the process just killed
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`rtsp-server.py did not start on port ${this.port}`);
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

async function rtspReturn(): Promise<{ first: number; returns: number[]; bound: string }> {
  const server = new Server(await freePort());
  await server.start();
  const config = parseConfig({ model: { path: model, adapter: 'yolox' }, cameras: [{ name: 'cam', url: `rtsp://127.0.0.1:${server.port}/cam`, fps: 5 }] }, { env: {} });
  const camera = config.cameras[0]!;
  const source = createSource(camera) as LiveSource;
  const format: FrameFormat = { width: 416, height: 416, layout: 'gbrp', resize: 'letterbox', padValue: 114 };
  const frames = new Subject<number>();
  const t0 = performance.now();
  const sub = source.frames(format).subscribe((f) => {
    frames.next(performance.now());
    f.release();
  });
  try {
    const first = (await firstValueFrom(frames)) - t0;
    const returns: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const down = firstValueFrom(source.states$.pipe(filter((s) => s.status !== 'online')));
      await server.kill();
      // the camera notices (its ffmpeg ends, frames still in flight are out) and waits out a retry; the server
      // returns a moment later, as a restart does
      await down;
      await new Promise((r) => setTimeout(r, 300));
      const next = firstValueFrom(frames.pipe(take(1)));
      await server.start();
      const readyAt = performance.now();
      returns.push((await next) - readyAt);
    }
    return { first, returns, bound: `reconnect initialMs ${camera.reconnect.initialMs}, maxMs ${camera.reconnect.maxMs}` };
  } finally {
    sub.unsubscribe();
    await server.kill();
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--load-only')) return loadOnly();
  if (!existsSync(model) || !existsSync(clip)) throw new Error(`missing ${model} or ${clip} (LOOKOUT_ASSETS)`);
  console.log(`load average before: ${load()}; ${rounds} rounds; cli ${cli}`);
  const loads: number[] = [];
  const detects: number[] = [];
  // another build's CLI (BENCH_BASELINE_CLI=/path/to/dist/cli.js), measured in the same rounds: an A/B on a busy box
  const baseline = process.env.BENCH_BASELINE_CLI;
  const baseDetects: number[] = [];
  const afterLoad: number[] = [];
  const baseAfterLoad: number[] = [];
  const detect = async (path: string, into: number[]) => {
    const t = await timeLines([path, 'detect', '--verbose', '--model', model, '--adapter', 'yolox', '--labels', labels, clip]);
    if (t.loadedMs !== undefined) into.push(t.firstMs - t.loadedMs);
    return t.firstMs;
  };
  // interleaved, so that machine noise hits all alike
  for (let i = 0; i < rounds; i++) {
    loads.push(await firstLine([fileURLToPath(import.meta.url), '--load-only']));
    detects.push(await detect(cli, afterLoad));
    if (baseline) baseDetects.push(await detect(baseline, baseAfterLoad));
  }
  const l = median(loads);
  const d = median(detects);
  console.log(`model load (spawn → detector ready): median ${ms(l)} [${loads.map(Math.round).join(', ')}]`);
  console.log(`lookout detect clip (spawn → first result): median ${ms(d)} [${detects.map(Math.round).join(', ')}]; over model load: ${ms(d - l)} (target ≤ 300 ms)`);
  if (afterLoad.length > 0) console.log(`  in the same process, its "model loaded" line → first result: median ${ms(median(afterLoad))} [${afterLoad.map(Math.round).join(', ')}] (target ≤ 300 ms)`);
  if (baseline) {
    console.log(`  baseline ${baseline}: median ${ms(median(baseDetects))} [${baseDetects.map(Math.round).join(', ')}]; over model load: ${ms(median(baseDetects) - l)}`);
    if (baseAfterLoad.length > 0) console.log(`  baseline "model loaded" → first result: median ${ms(median(baseAfterLoad))} [${baseAfterLoad.map(Math.round).join(', ')}]`);
  }
  if (process.env.BENCH_RTSP !== '0') {
    const r = await rtspReturn();
    console.log(`rtsp first frame after subscribing: ${ms(r.first)}`);
    console.log(`rtsp return (server READY → next frame): median ${ms(median(r.returns))} [${r.returns.map(Math.round).join(', ')}] (target ≤ 1500 ms; ${r.bound})`);
  }
  console.log(`load average after: ${load()}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
