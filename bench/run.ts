// `npm run bench`: the pipeline against the bare parts it is built from, side by side in one run, on the same input.
//   bare onnxruntime: session.run in a loop on one prepared tensor (the ceiling for inference)
//   bare ffmpeg:      decode + scale + letterbox to the model's input, bytes thrown away (the ceiling for decoding)
//   lookout detect:   the CLI end to end (ffmpeg → worker → decode → JSON lines), throughput after model load
// Rounds are interleaved so that machine noise hits every contender alike; medians are reported.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { computeTransform } from '../core/letterbox.js';
import { chooseInferenceThreads } from '../models/inference-threads.js';
import { probeVideo } from '../sources/ffmpeg.js';
import { buildFfmpegArgs, frameBytes } from '../sources/ffmpeg-args.js';
import type { FrameFormat } from '../core/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const assets = process.env.LOOKOUT_ASSETS ?? resolve(root, '..', 'shared', 'assets');
const model = join(assets, 'models', 'yolox_nano.onnx');
const clip = join(assets, 'media', 'vtest_20s.mp4');
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function bareOrt(frames: number, threads?: number): Promise<number> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', ...(threads ? { intraOpNumThreads: threads } : {}) });
  const data = new Float32Array(3 * 416 * 416).fill(114);
  const input = new ort.Tensor('float32', data, [1, 3, 416, 416]);
  await session.run({ images: input });
  const t0 = performance.now();
  for (let i = 0; i < frames; i++) {
    const out = await session.run({ images: input });
    for (const t of Object.values(out)) t.dispose();
  }
  const fps = frames / ((performance.now() - t0) / 1000);
  await session.release();
  return fps;
}

async function bareFfmpeg(): Promise<{ fps: number; frames: number }> {
  const format: FrameFormat = { width: 416, height: 416, layout: 'gbrp', resize: 'letterbox', padValue: 114 };
  const probe = await probeVideo(clip);
  const args = buildFfmpegArgs({ input: clip, lavfi: false, realtime: false, loop: false, fps: undefined }, format, computeTransform(format, probe.width, probe.height));
  const t0 = performance.now();
  let bytes = 0;
  await new Promise<void>((res, rej) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (c: Buffer) => (bytes += c.length));
    child.on('error', rej);
    child.on('close', (code) => (code === 0 ? res() : rej(new Error(`ffmpeg exited ${code}`))));
  });
  const frames = bytes / frameBytes(format);
  return { fps: frames / ((performance.now() - t0) / 1000), frames };
}

async function lookoutDetect(): Promise<{ fps: number; steadyFps: number; startupMs: number; frames: number; wallSeconds: number }> {
  const cli = join(root, 'dist', 'cli.js');
  const t0 = performance.now();
  const output = await new Promise<string>((res, rej) => {
    const child = spawn(process.execPath, [cli, 'detect', clip, '--model', model, '--adapter', 'yolox', '--labels', join(assets, 'models', 'coco.names')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => (text += c));
    child.on('error', rej);
    child.on('close', (code) => (code === 0 ? res(text) : rej(new Error(`lookout detect exited ${code}`))));
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  const { summary } = JSON.parse(output.trim().split('\n').at(-1)!) as { summary: { fps: number; steadyFps: number; startupMs: number; frames: number } };
  return { fps: summary.fps, steadyFps: summary.steadyFps, startupMs: summary.startupMs, frames: summary.frames, wallSeconds };
}

async function main(): Promise<void> {
  if (!existsSync(model) || !existsSync(clip)) {
    console.error(`bench: needs ${model} and ${clip}; set LOOKOUT_ASSETS to the folder holding models/ and media/`);
    process.exit(2);
  }
  const ortFps: number[] = [];
  const ortSameThreadsFps: number[] = [];
  // lookout detect (one stream) runs on onnxruntime's default threads, the first bare run; the second is what several
  // cameras would get on this box
  const threads = chooseInferenceThreads({ streams: 2 }).threads ?? 1;
  const ffFps: number[] = [];
  const e2eFps: number[] = [];
  const e2eSteady: number[] = [];
  const e2eStartup: number[] = [];
  const e2eWall: number[] = [];
  let frames = 0;
  for (let r = 0; r < rounds; r++) {
    const ff = await bareFfmpeg();
    frames = ff.frames;
    ffFps.push(ff.fps);
    ortFps.push(await bareOrt(frames));
    ortSameThreadsFps.push(await bareOrt(frames, threads));
    const e2e = await lookoutDetect();
    e2eFps.push(e2e.fps);
    e2eSteady.push(e2e.steadyFps);
    e2eStartup.push(e2e.startupMs);
    e2eWall.push(e2e.wallSeconds);
    console.log(`round ${r + 1}/${rounds}: onnxruntime ${ortFps[r].toFixed(1)} fps (${ortSameThreadsFps[r].toFixed(1)} with ${threads} thread${threads === 1 ? '' : 's'}), ffmpeg ${ff.fps.toFixed(1)} fps, lookout detect ${e2e.steadyFps.toFixed(1)} fps steady, ${e2e.fps.toFixed(1)} with its ${e2e.startupMs} ms start (${e2e.frames} frames, ${e2e.wallSeconds.toFixed(2)} s with model load)`);
  }
  // against the faster of the two bare runs: onnxruntime's own default, and what several cameras get
  const bestOrt = Math.max(median(ortFps), median(ortSameThreadsFps));
  const ratio = median(e2eSteady) / bestOrt;
  const ratioWithStart = median(e2eFps) / bestOrt;
  console.log('');
  console.log(`input: vtest_20s.mp4 (${frames} frames, 768x576) → yolox_nano 416x416, CPU, ${rounds} interleaved rounds, medians:`);
  console.log(`  bare onnxruntime (prepared tensor)   ${median(ortFps).toFixed(1).padStart(7)} fps   (onnxruntime's default threads)`);
  console.log(`  bare onnxruntime, ${threads} thread${threads === 1 ? ' ' : 's'}         ${median(ortSameThreadsFps).toFixed(1).padStart(7)} fps   (what several cameras get here)`);
  console.log(`  bare ffmpeg (decode+letterbox)       ${median(ffFps).toFixed(1).padStart(7)} fps`);
  console.log(`  lookout detect, steady state          ${median(e2eSteady).toFixed(1).padStart(7)} fps   (first result → last result)`);
  console.log(`  lookout detect, with its start        ${median(e2eFps).toFixed(1).padStart(7)} fps   (probe + ffmpeg start ${median(e2eStartup)} ms; wall with model load ${median(e2eWall).toFixed(2)} s)`);
  console.log(`  ratio end-to-end / best bare onnxruntime  ${ratio.toFixed(3)} steady, ${ratioWithStart.toFixed(3)} with the start   (target >= 0.9)`);
}

void main();
