// `node dist/bench/classify.js`: what a classifier costs per crop on the cameras (pipeline/classify.ts), one crop per
// model run against crops queued together (one run of up to 16), for a trained-size model (MobileNetV2 int8 at 224²,
// the backbone every `lookout train --arch head` model carries) and the tiny colour classifier the tests use. Crops are
// cut from a 1280×720 picture with crop-resize, as the cameras do. Wall and CPU (every thread, the worker's included).
// Options (env): BENCH_CROPS (64), LOOKOUT_ASSETS.
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Box } from '../core/types.js';
import { writeColourClassifier } from '../models/colour-classifier.js';
import { ClassifierSession } from '../pipeline/classify.js';

const here = dirname(fileURLToPath(import.meta.url));
const assets = process.env.LOOKOUT_ASSETS ?? resolve(here, '..', '..', '..', 'shared', 'assets');
const CROPS = Number(process.env.BENCH_CROPS ?? 64);

const W = 1280;
const H = 720;
const picture = { width: W, height: H, data: new Uint8Array(W * H * 3) };
for (let i = 0; i < picture.data.length; i++) picture.data[i] = (i * 2654435761) >>> 24;
const regions: Box[] = Array.from({ length: CROPS }, (_, i) => [(i * 37) % 1000, (i * 53) % 500, ((i * 37) % 1000) + 120 + (i % 5) * 20, ((i * 53) % 500) + 200]);

async function measure(session: ClassifierSession, batched: boolean): Promise<{ wallMs: number; cpuMs: number; runs: number }> {
  const before = { ...session.stats };
  const cpu = process.cpuUsage();
  const t = performance.now();
  if (batched) await Promise.all(regions.map((r) => session.classifyRegion(picture, r)));
  else for (const r of regions) await session.classifyRegion(picture, r);
  const wall = performance.now() - t;
  const used = process.cpuUsage(cpu);
  return { wallMs: wall / CROPS, cpuMs: (used.user + used.system) / 1000 / CROPS, runs: session.stats.batches - before.batches };
}

const dir = await mkdtemp(join(tmpdir(), 'lookout-bench-classify-'));
try {
  const models: [string, string][] = [['colour 32² (tests)', await writeColourClassifier(dir, 'colour')]];
  const mobilenet = join(assets, 'models', 'mobilenetv2-12-int8.onnx');
  if (existsSync(mobilenet)) {
    const path = join(dir, 'mobilenet.onnx');
    await copyFile(mobilenet, path);
    await writeFile(join(dir, 'mobilenet.labels.txt'), await readFile(join(assets, 'models', 'imagenet_synset.txt'), 'utf8'));
    models.push(['MobileNetV2 int8 224² (a head model\'s backbone)', path]);
  } else console.log(`(no ${mobilenet}: MobileNetV2 skipped)`);
  console.log(`load average: ${(await readFile('/proc/loadavg', 'utf8')).trim()}`);
  for (const [name, path] of models) {
    const session = await ClassifierSession.create(path, dir);
    try {
      await measure(session, true); // warm-up
      for (const batched of [false, true, false, true]) {
        const m = await measure(session, batched);
        console.log(`${name}: ${batched ? 'batched' : 'one by one'}: ${m.wallMs.toFixed(2)} ms wall, ${m.cpuMs.toFixed(2)} ms CPU per crop (${CROPS} crops in ${m.runs} runs)`);
      }
    } finally {
      await session.close();
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
