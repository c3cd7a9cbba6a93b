// `node dist/bench/regions-capacity.js`: how many 5-fps cameras one detector keeps up with, `full` against `regions`
// (issue 12's capacity figure). Each step runs N live-paced cameras of real footage (the sample clip, looped, each
// camera started at another point of it so people pass at different times) for a warm-up and a measuring window,
// and counts frames dropped; the capacity of a mode is the largest N with no drop in the window.
// Options (env): BENCH_MODES (full,regions), BENCH_CAMERAS (2,4,6,8,12,16: the ladder; a mode stops at its first
//   step with drops; BENCH_CAMERAS_FULL and BENCH_CAMERAS_REGIONS set one mode's), BENCH_SECONDS (30), BENCH_WARMUP_SECONDS (10), BENCH_FPS (5), BENCH_CLIP (one-by-one-person-
//   detection.mp4, 768×432, 10 fps; BENCH_SCALE=1280x720 scales it as a 720p camera), BENCH_MODEL (yolox_nano.onnx).
//   By default sources are the clip looped by lavfi's movie source and paced in real time. BENCH_RTSP=1 serves them as
//   the issue asks instead: live H.264 at 1280×720 (BENCH_SCALE, default 1280x720 then) over RTSP from GStreamer's server
//   (test/helpers/rtsp-server.py), one mount per camera, each an mp4 of the clip looped and started elsewhere in it,
//   made once with ffmpeg (libx264, a key frame a second) and kept in BENCH_RTSP_DIR (the OS temp dir).
//   BENCH_FULL_SCAN_SECONDS sets regions.fullScanSeconds (default the config's). BENCH_REPEAT (1) runs each step that
//   many times; the step holds when more than half of its runs drop nothing.
//   BENCH_FOOTAGE=still (with BENCH_RTSP=1) is the issue's case instead: mostly still scenes with people passing. A
//   57 s cycle of real footage, 40 s of the clip's empty room (its first 5 s played forth and back, so there is no seam)
//   then 17 s of one person walking in, standing at the table and walking out (4–21 s of the clip, empty at both ends),
//   at the stream's own 5 fps as a camera's detect stream is set; each camera starts elsewhere in the cycle.
import { spawnSync } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../config/load.js';
import { Logger } from '../core/logger.js';
import type { StatsSnapshot } from '../core/stats.js';
import { Runtime } from '../pipeline/runtime.js';
import { RtspServer, rtspServerUnavailable } from './support/rtsp-server.js';

const root = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const assets = process.env.LOOKOUT_ASSETS ?? resolve(root, '..', 'shared', 'assets');
const env = (name: string, fallback: number) => (process.env[name] === undefined ? fallback : Number(process.env[name]));
const MODES = (process.env.BENCH_MODES ?? 'full,regions').split(',');
const LADDER = (process.env.BENCH_CAMERAS ?? '2,4,6,8,12,16').split(',').map(Number);
const SECONDS = env('BENCH_SECONDS', 30);
const WARMUP = env('BENCH_WARMUP_SECONDS', 10);
const REPEAT = env('BENCH_REPEAT', 1);
const FPS = env('BENCH_FPS', 5);
const CLIP = process.env.BENCH_CLIP ?? join(assets, 'media', 'one-by-one-person-detection.mp4');
const RTSP = process.env.BENCH_RTSP === '1';
const SCALE = process.env.BENCH_SCALE ?? (RTSP ? '1280x720' : undefined);
const MODEL = process.env.BENCH_MODEL ?? join(assets, 'models', 'yolox_nano.onnx');
const STILL = process.env.BENCH_FOOTAGE === 'still';
const FULL_SCAN = process.env.BENCH_FULL_SCAN_SECONDS === undefined ? undefined : Number(process.env.BENCH_FULL_SCAN_SECONDS);
if (STILL && !RTSP) throw new Error('BENCH_FOOTAGE=still needs BENCH_RTSP=1');
const CLIP_SECONDS = STILL ? 57 : 139;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f1 = (v: number) => v.toFixed(1);

interface Step {
  mode: string;
  cameras: number;
  detectFps: number;
  framesIn: number;
  dropped: number;
  /** of those, dropped by the sources for want of a free buffer (the rest by the inference queue) */
  sourceDropped: number;
  cpu: number;
  /** the main thread's event-loop delay in the window: a stall there holds every camera's frames */
  loopDelayMs: { p99: number; max: number };
  detector: StatsSnapshot['detector'];
  inputsPerSecond: number;
  skipped: number;
  regionsPerBatch: number;
}

/** Where in the clip camera `i` of `cameras` starts (seconds), so people pass at different times. */
const offset = (i: number, cameras: number) => Math.round((i * CLIP_SECONDS) / cameras);

function ffmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr || String(r.error)}`);
}

/**
 * The RTSP footage for `cameras` cameras (step size `n` sets the offsets, as the lavfi sources do): the clip looped,
 * scaled and encoded once, then each camera's part cut from it without re-encoding. Each RTSP client plays its mount
 * from the start, so a mount needs only a step's length (warm-up, window and start-up slack).
 */
function rtspFootage(n: number): Record<string, string> {
  const dir = process.env.BENCH_RTSP_DIR ?? join(tmpdir(), 'lookout-bench-rtsp');
  mkdirSync(dir, { recursive: true });
  const length = WARMUP + SECONDS + 30;
  const tag = `${STILL ? 'still-' : ''}${(SCALE ?? 'src').replace('x', '_')}-${CLIP_SECONDS + length}s`;
  const looped = join(dir, `looped-${tag}.mp4`);
  if (!existsSync(looped)) {
    const scale = SCALE ? `scale=${SCALE.replace('x', ':')}` : 'null';
    const source = STILL ? stillCycle(dir) : CLIP;
    const rate = STILL ? ['-r', String(FPS), '-g', String(FPS)] : ['-g', '10'];
    ffmpeg(['-stream_loop', '-1', '-i', source, '-t', String(CLIP_SECONDS + length), '-vf', scale, '-an', '-c:v', 'libx264', '-preset', 'veryfast', ...rate, '-bf', '0', '-pix_fmt', 'yuv420p', `${looped}.part.mp4`]);
    renameSync(`${looped}.part.mp4`, looped);
  }
  const mounts: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const out = join(dir, `cam-${tag}-${offset(i, n)}-${length}.mp4`);
    if (!existsSync(out)) ffmpeg(['-ss', String(offset(i, n)), '-i', looped, '-t', String(length), '-c', 'copy', '-an', out]);
    mounts[`cam${i}`] = out;
  }
  return mounts;
}

/** One 57 s cycle of the mostly-still footage (BENCH_FOOTAGE=still), lossless so the loop's encode is the only one. */
function stillCycle(dir: string): string {
  const out = join(dir, 'still-cycle-57s.mkv');
  if (!existsSync(out)) {
    const graph = [
      '[0:v]trim=0:5,setpts=PTS-STARTPTS,split=2[fwd][b]',
      '[b]reverse[back]',
      '[fwd][back]concat=n=2:v=1,split=4[s1][s2][s3][s4]',
      '[0:v]trim=4:21,setpts=PTS-STARTPTS[walk]',
      '[s1][s2][s3][s4][walk]concat=n=5:v=1[out]',
    ].join(';');
    ffmpeg(['-i', CLIP, '-filter_complex', graph, '-map', '[out]', '-an', '-c:v', 'libx264', '-qp', '0', '-preset', 'ultrafast', `${out}.part.mkv`]);
    renameSync(`${out}.part.mkv`, out);
  }
  return out;
}

async function step(mode: string, cameras: number): Promise<Step> {
  // a server per step: each step's cameras start at their own offsets
  const rtsp = RTSP ? await RtspServer.start({ mounts: rtspFootage(cameras) }) : undefined;
  try {
    return await measure(mode, cameras, rtsp);
  } finally {
    await rtsp?.stop();
  }
}

async function measure(mode: string, cameras: number, rtsp: RtspServer | undefined): Promise<Step> {
  const config = parseConfig(
    {
      model: { path: MODEL, adapter: 'yolox', labels: join(assets, 'models', 'coco.names') },
      cameras: Array.from({ length: cameras }, (_, i) => ({
        name: `cam${i}`,
        // looped endlessly by lavfi's movie source, each camera starting elsewhere in the clip; the optional scale
        // stands in for a 720p camera
        ...(rtsp
          ? { url: rtsp.url(`cam${i}`) }
          : { url: `lavfi:movie=${CLIP}:loop=0:seek_point=${offset(i, cameras)},setpts=N/10/TB${SCALE ? `,scale=${SCALE.replace('x', ':')}` : ''}`, realtime: true }),
        fps: FPS,
        detectMode: mode,
        ...(FULL_SCAN === undefined ? {} : { regions: { fullScanSeconds: FULL_SCAN } }),
        objects: { track: ['person'] },
      })),
    },
    { env: {} },
  );
  const runtime = await Runtime.create(config, { logger: new Logger({ level: 'error', json: false }) });
  runtime.start();
  await sleep(WARMUP * 1000);
  const before = runtime.snapshot();
  const sourceDropped = () => runtime.sources.reduce((sum, src) => sum + src.counters.dropped, 0);
  const sourceBefore = sourceDropped();
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const window = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  loopDelay.disable();
  const after = runtime.snapshot();
  const sourceAfter = sourceDropped();
  await runtime.stop();
  let det = 0;
  let fin = 0;
  let dropped = 0;
  for (const [name, c] of Object.entries(after.cameras)) {
    const b = before.cameras[name];
    det += c.framesDetected - (b?.framesDetected ?? 0);
    fin += c.framesIn - (b?.framesIn ?? 0);
    dropped += c.dropped - (b?.dropped ?? 0);
  }
  const regions = Object.values(after.regions ?? {});
  const skippedBefore = Object.values(before.regions ?? {}).reduce((s, r) => s + r.framesSkipped, 0);
  const inputs = after.detector.frames - before.detector.frames;
  const batches = after.detector.batches - before.detector.batches;
  return {
    mode,
    cameras,
    detectFps: det / window,
    framesIn: fin,
    dropped,
    sourceDropped: sourceAfter - sourceBefore,
    cpu: (100 * (cpu.user + cpu.system)) / 1e6 / window,
    loopDelayMs: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
    detector: after.detector,
    inputsPerSecond: inputs / window,
    skipped: regions.reduce((s, r) => s + r.framesSkipped, 0) - skippedBefore,
    regionsPerBatch: batches > 0 ? after.detector.regionsPerBatch : 0,
  };
}

if (!existsSync(MODEL) || !existsSync(CLIP)) {
  console.error(`bench: needs ${MODEL} and ${CLIP}; set LOOKOUT_ASSETS`);
  process.exit(2);
}
const unavailable = RTSP ? rtspServerUnavailable() : null;
if (unavailable) {
  console.error(`bench: BENCH_RTSP=1 ${unavailable}`);
  process.exit(2);
}
console.log(`${availableParallelism()} CPUs, load ${(await import('node:os')).loadavg().map((v) => v.toFixed(1)).join(' ')}; ${CLIP} ${STILL ? 'as mostly still footage (40 s empty room, then 17 s of a person walking in and out, looped)' : 'looped'}${RTSP ? ', H.264 over RTSP (GStreamer)' : ''}, ${FPS} fps, ${SCALE ?? 'source size'}; warm-up ${WARMUP} s, window ${SECONDS} s`);
const capacity: Record<string, number> = {};
for (const mode of MODES) {
  capacity[mode] = 0;
  // a ladder per mode (BENCH_CAMERAS_FULL, BENCH_CAMERAS_REGIONS) saves climbing from 2 where the answer is far up
  const ladder = process.env[`BENCH_CAMERAS_${mode.toUpperCase()}`]?.split(',').map(Number) ?? LADDER;
  for (const n of ladder) {
    // BENCH_REPEAT runs of a step: it holds when most of them drop nothing (one burst in a window decides a single run)
    const runs: Step[] = [];
    for (let r = 0; r < REPEAT; r++) runs.push(await step(mode, n));
    for (const s of runs) {
      console.log(
        `${mode.padEnd(8)} ${String(n).padStart(3)} cameras: ${f1(s.detectFps)} fps detected of ${n * FPS}, dropped ${s.dropped}/${s.framesIn} (${s.sourceDropped} by sources), model inputs ${f1(s.inputsPerSecond)}/s, skipped ${s.skipped}, regions/batch ${s.regionsPerBatch.toFixed(2)}, Lookout CPU ${f1(s.cpu)} %, event-loop delay p99 ${f1(s.loopDelayMs.p99)} ms, max ${f1(s.loopDelayMs.max)} ms, inference p50/p95 ${f1(s.detector.inferenceMsP50)}/${f1(s.detector.inferenceMsP95)} ms, capture to result p95 ${f1(s.detector.latencyMsP95)} ms`,
      );
    }
    const held = runs.filter((s) => s.dropped === 0 && s.framesIn > 0).length;
    if (REPEAT > 1) console.log(`${mode.padEnd(8)} ${String(n).padStart(3)} cameras: held in ${held} of ${REPEAT} runs`);
    if (held * 2 <= REPEAT) break;
    capacity[mode] = n;
  }
}
console.log(`RESULT ${JSON.stringify({ capacity, ladder: LADDER, seconds: SECONDS, fps: FPS })}`);
