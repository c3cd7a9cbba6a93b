// `node dist/bench/teach-figures.js [WORKDIR]`: the few-shot figures of issue 13 on real footage. Frames of
// vtest_20s.mp4 (../shared/assets) go through yolox-nano; person and vehicle boxes (with a 10 % margin) and random
// background boxes away from every detection become 224×224 crops, frames 1–100 (first 10 s) for teaching and 101–200
// for testing. Then: k = 1, 3, 5, 20 examples per class drawn (5 seeded draws each) → a head on MobileNetV2 int8
// features → accuracy and per-class recall on every test crop. A state model on the fixed region of the clip whose
// occupancy (a person's box centre inside, by the detector) is most balanced: trained on the first half, tested on the
// second. Finally a 1,000-crop dataset is written under WORKDIR/dataset-1000 for timing `lookout train --arch head`.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { Detection } from '../core/types.js';
import { BACKBONE, resolveBackbone } from '../models/backbone.js';
import { Embedder } from '../models/embedder.js';
import { headProbabilities, trainHead } from '../models/heads/linear-head.js';
import { resolveModel } from '../models/model-spec.js';
import { OnnxDetector } from '../models/onnx-detector.js';
import { seededRandom } from '../core/random.js';
import { decodeImage } from '../sources/image-decoder.js';

const repo = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const assets = process.env.LOOKOUT_ASSETS ?? resolve(repo, '..', 'shared', 'assets');
const CLASSES = ['background', 'person', 'vehicle'] as const;
const VEHICLES = new Set(['car', 'truck', 'bus']);
const HALF = 100;

type Box = [number, number, number, number];
interface Crop { frame: number; cls: number; file: string }

async function main(): Promise<void> {
  const work = process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'lookout-teach-')));
  const framesDir = join(work, 'frames');
  await mkdir(framesDir, { recursive: true });
  const ff = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', join(assets, 'media', 'vtest_20s.mp4'), '-q:v', '2', join(framesDir, '%03d.jpg')]);
  if (ff.status !== 0) throw new Error(`ffmpeg: ${ff.stderr}`);
  const frames = (await readdir(framesDir)).filter((f) => f.endsWith('.jpg')).sort();

  const model = await resolveModel({ path: 'yolox-nano' }, { from: assets });
  const detector = await OnnxDetector.create({ ...model, threshold: 0.3, iou: 0.45, providers: ['cpu'], maxBatch: 1 });
  const random = seededRandom(13);
  const crops: Crop[] = [];
  const regions = Array.from({ length: 12 }, (_, i): Box => [(i % 4) * 192, Math.floor(i / 4) * 192, (i % 4) * 192 + 192, Math.floor(i / 4) * 192 + 192]);
  const occupancy: boolean[][] = [];
  const cropDir = join(work, 'crops');
  for (const c of CLASSES) await mkdir(join(cropDir, c), { recursive: true });
  for (let f = 0; f < frames.length; f++) {
    const bytes = await readFile(join(framesDir, frames[f]!));
    const image = await decodeImage(bytes, detector.info.format);
    const [out] = (await detector.detect([{ data: image.data, transform: image.transform }])).results;
    const dets: Detection[] = out!.detections;
    const { width, height } = image;
    const crop = async (box: Box, cls: number, i: number, margin = 0.1) => {
      const mx = (box[2] - box[0]) * margin;
      const my = (box[3] - box[1]) * margin;
      const left = Math.max(0, Math.floor(box[0] - mx));
      const top = Math.max(0, Math.floor(box[1] - my));
      const right = Math.min(width, Math.ceil(box[2] + mx));
      const bottom = Math.min(height, Math.ceil(box[3] + my));
      if (right - left < 8 || bottom - top < 8) return;
      const file = join(cropDir, CLASSES[cls]!, `f${String(f + 1).padStart(3, '0')}-${i}.jpg`);
      await sharp(bytes).extract({ left, top, width: right - left, height: bottom - top }).resize(224, 224, { fit: 'fill' }).jpeg({ quality: 92 }).toFile(file);
      crops.push({ frame: f + 1, cls, file });
    };
    let i = 0;
    for (const d of dets) {
      if (d.label === 'person' && d.score >= 0.5) await crop(d.box, 1, i++);
      else if (VEHICLES.has(d.label) && d.score >= 0.4) await crop(d.box, 2, i++);
    }
    // background: boxes shaped like people, kept 10 px clear of anything the detector saw at all
    let made = 0;
    for (let tries = 0; made < 4 && tries < 200; tries++) {
      const w = 40 + random() * 80;
      const h = 80 + random() * 120;
      const x = random() * (width - w);
      const y = random() * (height - h);
      const box: Box = [x, y, x + w, y + h];
      if (dets.some((d) => d.box[0] - 10 < box[2] && box[0] < d.box[2] + 10 && d.box[1] - 10 < box[3] && box[1] < d.box[3] + 10)) continue;
      await crop(box, 0, i++, 0);
      made++;
    }
    occupancy.push(regions.map((r) => dets.some((d) => d.label === 'person' && d.score >= 0.5 && (d.box[0] + d.box[2]) / 2 >= r[0] && (d.box[0] + d.box[2]) / 2 < r[2] && (d.box[1] + d.box[3]) / 2 >= r[1] && (d.box[1] + d.box[3]) / 2 < r[3])));
    await writeFile(join(framesDir, `${frames[f]}.boxes.json`), JSON.stringify(dets));
  }
  await detector.close();

  const backbone = await resolveBackbone({ from: assets });
  const embedder = await Embedder.create(backbone.path);
  const embedFiles = async (files: readonly string[], region?: Box) => {
    const rgb = new Uint8Array(files.length * 224 * 224 * 3);
    for (let i = 0; i < files.length; i++) {
      let s = sharp(await readFile(files[i]!));
      if (region) s = s.extract({ left: region[0], top: region[1], width: region[2] - region[0], height: region[3] - region[1] });
      rgb.set(await s.resize(224, 224, { fit: 'fill' }).removeAlpha().raw().toBuffer(), i * 224 * 224 * 3);
    }
    return embedder.embed(rgb, files.length);
  };
  const t0 = performance.now();
  const features = await embedFiles(crops.map((c) => c.file));
  const embedMsPerCrop = (performance.now() - t0) / crops.length;
  const F = BACKBONE.featureSize;
  const rows = (idx: readonly number[]) => {
    const x = new Float32Array(idx.length * F);
    idx.forEach((k, r) => x.set(features.subarray(k * F, (k + 1) * F), r * F));
    return { x, y: Int32Array.from(idx, (k) => crops[k]!.cls) };
  };
  const teach = crops.map((_, i) => i).filter((i) => crops[i]!.frame <= HALF);
  const test = rows(crops.map((_, i) => i).filter((i) => crops[i]!.frame > HALF));
  const count = (idx: readonly number[], cls: number) => idx.filter((i) => crops[i]!.cls === cls).length;
  console.log(`crops: teach ${CLASSES.map((c, k) => `${c} ${count(teach, k)}`).join(', ')}; test ${CLASSES.map((c, k) => `${c} ${test.y.filter((y) => y === k).length}`).join(', ')}; embedding ${embedMsPerCrop.toFixed(2)} ms/crop (incl. JPEG decode)`);

  const score = (p: Float32Array, y: Int32Array, classes: number) => {
    const recall = new Array<number>(classes).fill(0);
    const total = new Array<number>(classes).fill(0);
    let correct = 0;
    for (let i = 0; i < y.length; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (p[i * classes + c]! > p[i * classes + best]!) best = c;
      total[y[i]!]!++;
      if (best === y[i]) { correct++; recall[y[i]!]!++; }
    }
    return { accuracy: correct / y.length, recall: recall.map((r, c) => r / Math.max(1, total[c]!)) };
  };
  const DRAWS = 5;
  console.log('\nfew-shot, person / vehicle / background (taught on frames 1-100, tested on every crop of 101-200), mean of 5 draws');
  console.log('k   | head | accuracy | recall background | person | vehicle');
  for (const k of [1, 3, 5, 20]) {
    let acc = 0;
    const rec = [0, 0, 0];
    let kind = '';
    for (let d = 0; d < DRAWS; d++) {
      const r = seededRandom(1000 * k + d);
      const pick: number[] = [];
      const val: number[] = [];
      for (let c = 0; c < CLASSES.length; c++) {
        const pool = teach.filter((i) => crops[i]!.cls === c);
        for (let j = pool.length - 1; j > 0; j--) { const s = Math.floor(r() * (j + 1)); [pool[j], pool[s]] = [pool[s]!, pool[j]!]; }
        const chosen = pool.slice(0, k);
        // with 20, a fifth watches early stopping, as lookout train would hold it back
        if (k >= 10) { val.push(...chosen.slice(0, Math.round(k / 5))); pick.push(...chosen.slice(Math.round(k / 5))); } else pick.push(...chosen);
      }
      const t = trainHead(rows(pick), rows(val), CLASSES.length, F);
      kind = t.kind;
      const s = score(headProbabilities(t.head, test.x), test.y, CLASSES.length);
      acc += s.accuracy / DRAWS;
      s.recall.forEach((v, c) => (rec[c]! += v / DRAWS));
    }
    console.log(`${String(k).padEnd(3)} | ${kind.padEnd(4)} | ${(acc * 100).toFixed(1)} %   | ${rec.map((v) => `${(v * 100).toFixed(1)} %`).join(' | ')}`);
  }

  // state model: the region whose occupancy is most balanced in both halves
  const balance = (ri: number, from: number, to: number) => occupancy.slice(from, to).filter((o) => o[ri]).length / (to - from);
  let best = 0;
  let bestScore = Infinity;
  for (let ri = 0; ri < regions.length; ri++) {
    const s = Math.abs(balance(ri, 0, HALF) - 0.5) + Math.abs(balance(ri, HALF, occupancy.length) - 0.5);
    if (s < bestScore) { bestScore = s; best = ri; }
  }
  const region = regions[best]!;
  const stateFeatures = await embedFiles(frames.map((f) => join(framesDir, f)), region);
  await embedder.close();
  const stateLabels = Int32Array.from(occupancy, (o) => (o[best] ? 1 : 0));
  const part = (from: number, to: number) => ({ x: stateFeatures.slice(from * F, to * F), y: stateLabels.slice(from, to) });
  // teach on the first half (its last fifth for early stopping), test on the second
  const st = trainHead(part(0, 80), part(80, HALF), 2, F);
  const ss = score(headProbabilities(st.head, part(HALF, occupancy.length).x), part(HALF, occupancy.length).y, 2);
  console.log(`\nstate model, region [${region.join(', ')}] occupied/empty by the detector (occupied: first half ${(balance(best, 0, HALF) * 100).toFixed(0)} %, second ${(balance(best, HALF, occupancy.length) * 100).toFixed(0)} %): ` +
    `head ${st.kind}, test accuracy ${(ss.accuracy * 100).toFixed(1)} %, recall empty ${(ss.recall[0]! * 100).toFixed(1)} %, occupied ${(ss.recall[1]! * 100).toFixed(1)} %`);

  // a 1,000-crop dataset (teaching half) for timing lookout train --arch head
  const ds = join(work, 'dataset-1000');
  const quota = [300, 400, 300];
  for (let c = 0; c < CLASSES.length; c++) {
    await mkdir(join(ds, CLASSES[c]!), { recursive: true });
    const pool = crops.filter((x) => x.cls === c);
    const chosen = pool.filter((_, i) => i % Math.max(1, Math.floor(pool.length / quota[c]!)) === 0).slice(0, quota[c]);
    for (const x of chosen) await writeFile(join(ds, CLASSES[c]!, x.file.split('/').pop()!), await readFile(x.file));
  }
  console.log(`\n1,000-crop dataset: ${ds}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
