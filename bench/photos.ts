// `node dist/bench/photos.js [N]`: still photos through the detect/eval path (sharp decodes on libuv's pool while the
// worker infers, pipeline/eval/run-eval.ts) against bare inference of the same photos, already decoded.
//   images/s:   N decodes + inferences of the asset JPEGs (768×576 … 500×335) with yolox-nano
//   bare:       detector.detect on the same frames decoded beforehand, one at a time (the inference ceiling)
// BENCH_ROUNDS (default 3) interleaved rounds, medians. Run it under different UV_THREADPOOL_SIZE / VIPS_CONCURRENCY
// to compare decode pools: libvips reads VIPS_CONCURRENCY at start.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLabels } from '../models/labels.js';
import { OnnxDetector } from '../models/onnx-detector.js';
import { fileLoader, inferAll } from '../pipeline/eval/run-eval.js';
import { decodeImageFile } from '../sources/image-decoder.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const assets = process.env.LOOKOUT_ASSETS ?? resolve(root, '..', 'shared', 'assets');
const PHOTOS = ['darknet_dog.jpg', 'darknet_person.jpg', 'fastestdet_3.jpg', 'ultraface_1.jpg'].map((f) => join(assets, 'media', f));
const count = Number(process.argv[2] ?? 200);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const decoders = process.env.BENCH_DECODERS === undefined ? undefined : Number(process.env.BENCH_DECODERS);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const detector = await OnnxDetector.create({
    modelPath: join(assets, 'models', 'yolox_nano.onnx'),
    adapter: 'yolox',
    labels: parseLabels(readFileSync(join(assets, 'models', 'coco.names'), 'utf8')),
    threshold: 0.3,
    iou: 0.45,
    maxBatch: 4,
  });
  const format = detector.info.format;
  const paths = Array.from({ length: count }, (_, i) => PHOTOS[i % PHOTOS.length]!);
  const decoded = await Promise.all(PHOTOS.map((p) => decodeImageFile(p, format)));
  const piped: number[] = [];
  const bare: number[] = [];
  console.log(`load average before: ${loadavg().map((v) => v.toFixed(2)).join(' ')}; ${count} photos, ${rounds} rounds; UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '(4)'} VIPS_CONCURRENCY=${process.env.VIPS_CONCURRENCY ?? '(1, sources/image-decoder.ts)'} decoders=${decoders ?? 'default'}`);
  for (let r = 0; r < rounds; r++) {
    let t0 = performance.now();
    let results = 0;
    await inferAll(detector, count, fileLoader(paths, format), () => results++, { batch: 4, decoders });
    piped.push(results / ((performance.now() - t0) / 1000));
    t0 = performance.now();
    for (let i = 0; i < count; i++) await detector.detect([{ data: decoded[i % decoded.length]!.data, transform: decoded[i % decoded.length]!.transform }]);
    bare.push(count / ((performance.now() - t0) / 1000));
    console.log(`round ${r + 1}: ${piped[r]!.toFixed(1)} images/s decoded and inferred, bare inference ${bare[r]!.toFixed(1)} fps`);
  }
  console.log(`medians: ${median(piped).toFixed(1)} images/s, bare ${median(bare).toFixed(1)} fps, ratio ${(median(piped) / median(bare)).toFixed(2)}; load average after: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  await detector.close();
}

void main();
