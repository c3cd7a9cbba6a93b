// `node dist/bench/cameras.js`: many live cameras on one detector, measured from the outside.
//   N synthetic cameras (ffmpeg lavfi testsrc2, realtime, like a camera's substream) detected at 5 fps each by FastestDet,
//   for a measuring window after a warm-up. Reports per camera: detection fps, frames in, dropped; for the run:
//   CPU of the Lookout process (all its threads, the inference worker included) and of its ffmpeg processes (from
//   /proc), capture → result latency p50/p99, and the detector's batch and inference figures.
//   Then, as the bare baseline in the same run, the same N ffmpeg command lines writing to /dev/null: what decoding
//   alone costs, so the ffmpeg share of Lookout's CPU reads as a ratio.
// Options (env): BENCH_CAMERAS (8), BENCH_SECONDS (60), BENCH_WARMUP_SECONDS (5), BENCH_FPS (5),
//   BENCH_SOURCE (lavfi graph, default testsrc2 640x360 at 15 fps), BENCH_BASELINE_SECONDS (15, 0 skips),
//   BENCH_MODEL (FastestDet.onnx under LOOKOUT_ASSETS or ../shared/assets), BENCH_DETECT_MODE (regions, the default,
//   or full).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../config/load.js';
import { computeTransform } from '../core/letterbox.js';
import { Logger } from '../core/logger.js';
import { Runtime } from '../pipeline/runtime.js';
import type { StatsSnapshot } from '../pipeline/stats.js';
import { buildFfmpegArgs } from '../sources/ffmpeg-args.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const assets = process.env.LOOKOUT_ASSETS ?? resolve(root, '..', 'shared', 'assets');
const env = (name: string, fallback: number) => (process.env[name] === undefined ? fallback : Number(process.env[name]));
const CAMERAS = env('BENCH_CAMERAS', 8);
const SECONDS = env('BENCH_SECONDS', 60);
const WARMUP = env('BENCH_WARMUP_SECONDS', 5);
const FPS = env('BENCH_FPS', 5);
const BASELINE = env('BENCH_BASELINE_SECONDS', 15);
const SOURCE = process.env.BENCH_SOURCE ?? 'testsrc2=size=640x360:rate=15';
const DETECT_MODE = process.env.BENCH_DETECT_MODE ?? 'regions';
const MODEL = process.env.BENCH_MODEL ?? join(assets, 'models', 'FastestDet.onnx');
const LABELS = join(dirname(MODEL), 'coco.names');
/** kernel clock ticks per second for /proc/<pid>/stat (USER_HZ, 100 on every Linux Lookout runs on) */
const CLK_TCK = 100;

/** CPU seconds (user + system) a process has used so far, or undefined once it is gone. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11], fields[12] are utime and stime (stat fields 14 and 15)
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** Direct children of `pid` whose executable is `comm`. */
function childrenNamed(pid: number, comm: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && name === comm) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Busy and total jiffies of the whole machine, for its overall load. */
function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  const idle = cpu[3] + (cpu[4] ?? 0);
  return { busy: total - idle, total };
}

/** CPU use of a set of processes over a window, as % of one core (100 % = one core busy). */
class CpuWindow {
  private readonly start = new Map<number, number>();
  private readonly t0 = performance.now();
  constructor(pids: number[]) {
    for (const p of pids) this.start.set(p, cpuSeconds(p) ?? 0);
  }
  percent(): number {
    let used = 0;
    for (const [pid, s] of this.start) used += (cpuSeconds(pid) ?? s) - s;
    return (100 * used) / ((performance.now() - this.t0) / 1000);
  }
}

const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f1 = (v: number) => v.toFixed(1);

async function lookoutRun(): Promise<{ ffmpegArgs: string[] }> {
  const config = parseConfig(
    {
      model: { path: MODEL, adapter: 'fastestdet', labels: LABELS },
      cameras: Array.from({ length: CAMERAS }, (_, i) => ({ name: `cam${i}`, url: `lavfi:${SOURCE}`, fps: FPS, realtime: true, detectMode: DETECT_MODE })),
    },
    { env: {} },
  );
  const logger = new Logger({ level: 'warn', json: false });
  const runtime = await Runtime.create(config, { logger });
  const info = runtime.detector.info;
  console.log(`model ${MODEL} on ${info.provider}, input ${info.format.width}x${info.format.height}, ${info.dynamicBatch ? `batches of up to ${info.maxBatch}` : 'fixed batch 1'}; ${availableParallelism()} CPUs`);
  console.log(`${CAMERAS} cameras: lavfi ${SOURCE}, realtime, detected at ${FPS} fps, detectMode ${DETECT_MODE}; warm-up ${WARMUP} s, measuring ${SECONDS} s`);
  const latencies: number[] = [];
  let measuring = false;
  const sub = runtime.results$.subscribe((r) => {
    if (measuring) latencies.push(Date.now() - r.frame.capturedAt);
  });
  runtime.start();
  await sleep(WARMUP * 1000);
  const ffmpegs = childrenNamed(process.pid, 'ffmpeg');
  const before: StatsSnapshot = runtime.snapshot();
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const machine0 = machineTicks();
  const ffmpegCpu = new CpuWindow(ffmpegs);
  measuring = true;
  await sleep(SECONDS * 1000);
  measuring = false;
  const window = (performance.now() - t0) / 1000;
  const self = process.cpuUsage(self0);
  const lookoutCpu = (100 * (self.user + self.system)) / 1e6 / window;
  const ffCpu = ffmpegCpu.percent();
  const machine1 = machineTicks();
  const machineBusy = (100 * (machine1.busy - machine0.busy)) / (machine1.total - machine0.total);
  const after = runtime.snapshot();
  sub.unsubscribe();
  await runtime.stop();

  console.log('\ncamera   det fps   frames in   detected   dropped   dropped %   reconnects   status');
  let totalDet = 0;
  let totalDropped = 0;
  let totalIn = 0;
  for (const [name, c] of Object.entries(after.cameras)) {
    const b = before.cameras[name];
    const det = c.framesDetected - (b?.framesDetected ?? 0);
    const dropped = c.dropped - (b?.dropped ?? 0);
    const fin = c.framesIn - (b?.framesIn ?? 0);
    totalDet += det;
    totalDropped += dropped;
    totalIn += fin;
    console.log(
      `${name.padEnd(8)} ${f1(det / window).padStart(7)}   ${String(fin).padStart(9)}   ${String(det).padStart(8)}   ${String(dropped).padStart(7)}   ${f1((100 * dropped) / Math.max(1, fin)).padStart(8)}%   ${String(c.reconnects).padStart(10)}   ${c.status}`,
    );
  }
  const d = after.detector;
  const batches = d.batches - before.detector.batches;
  console.log(`all      ${f1(totalDet / window).padStart(7)}   ${String(totalIn).padStart(9)}   ${String(totalDet).padStart(8)}   ${String(totalDropped).padStart(7)}   ${f1((100 * totalDropped) / Math.max(1, totalIn)).padStart(8)}%`);
  console.log(`\nasked for ${CAMERAS} × ${FPS} = ${CAMERAS * FPS} fps; detected ${f1(totalDet / window)} fps (${f1((100 * totalDet) / window / (CAMERAS * FPS))} %)`);
  console.log(`latency capture → result: p50 ${f1(percentile(latencies, 50))} ms, p99 ${f1(percentile(latencies, 99))} ms (${latencies.length} results)`);
  console.log(`inference: p50 ${f1(d.inferenceMsP50)} ms, p95 ${f1(d.inferenceMsP95)} ms per batch; ${batches} batches, average batch ${f1((d.frames - before.detector.frames) / Math.max(1, batches))}`);
  console.log(`CPU (100 % = one core): Lookout process ${f1(lookoutCpu)} %, its ${ffmpegs.length} ffmpeg ${f1(ffCpu)} % (${f1(ffCpu / Math.max(1, ffmpegs.length))} % each); machine ${f1(machineBusy)} % busy of ${availableParallelism() * 100} %`);
  const args = buildFfmpegArgs({ input: SOURCE, lavfi: true, realtime: true, loop: false, fps: FPS }, info.format, computeTransform(info.format, 640, 360));
  console.log(
    `RESULT ${JSON.stringify({ cameras: CAMERAS, fps: FPS, seconds: window, detectFps: totalDet / window, perCameraFps: totalDet / window / CAMERAS, dropped: totalDropped, framesIn: totalIn, latencyP50: percentile(latencies, 50), latencyP99: percentile(latencies, 99), lookoutCpu, ffmpegCpu: ffCpu, machineBusy, avgBatch: (d.frames - before.detector.frames) / Math.max(1, batches), inferenceP50: d.inferenceMsP50 })}`,
  );
  return { ffmpegArgs: args };
}

/** The same ffmpeg command lines alone, writing to /dev/null: the cost of decoding without Lookout. */
async function bareFfmpeg(args: string[]): Promise<void> {
  const children: ChildProcess[] = [];
  for (let i = 0; i < CAMERAS; i++) children.push(spawn('ffmpeg', args.slice(0, -1).concat(['-y', '/dev/null']), { stdio: 'ignore' }));
  await sleep(2000);
  const cpu = new CpuWindow(children.map((c) => c.pid!));
  await sleep(BASELINE * 1000);
  const pct = cpu.percent();
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
  console.log(`bare ffmpeg baseline (${CAMERAS} of the same command lines to /dev/null, ${BASELINE} s): ${f1(pct)} % (${f1(pct / CAMERAS)} % each)`);
}

async function main(): Promise<void> {
  if (!existsSync(MODEL)) {
    console.error(`bench: needs ${MODEL}; set LOOKOUT_ASSETS to the folder holding models/ (or BENCH_MODEL)`);
    process.exit(2);
  }
  const { ffmpegArgs } = await lookoutRun();
  if (BASELINE > 0) await bareFfmpeg(ffmpegArgs);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
