// `node dist/bench/regions-small.js`: small people in a big picture, `full` against `regions` (issue 12's small-object
// figure). A 1920×1080 grey scene with the darknet person photo (person, dog, horse; yolox-nano finds the person at
// 0.88 at its own 640×424) pasted at BENCH_PHOTO_HEIGHT px high (default 140: the person about 110 px tall), drifting
// right so motion sees it, detected at 5 fps. Counts the frames where a person is found, per mode; the reference is the
// photo at full size through the same detector (1 person in 1 image = 100 %).
// Options (env): BENCH_PHOTO_HEIGHT (140), BENCH_SECONDS (12), BENCH_DETECT_WIDTH (1920: regions crop at native scale).
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../config/load.js';
import { Logger } from '../core/logger.js';
import type { FrameResult } from '../core/types.js';
import { Runtime } from '../pipeline/runtime.js';

const root = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const assets = process.env.LOOKOUT_ASSETS ?? resolve(root, '..', 'shared', 'assets');
const PHOTO = join(assets, 'media', 'darknet_person.jpg');
const HEIGHT = Number(process.env.BENCH_PHOTO_HEIGHT ?? 140);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 12);
const DETECT_WIDTH = Number(process.env.BENCH_DETECT_WIDTH ?? 1920);
const scene =
  `lavfi:color=c=gray:s=1920x1080:r=10:d=${SECONDS}[bg];movie=${PHOTO},scale=-2:${HEIGHT},loop=-1:1:0,setpts=N/10/TB[p];` +
  `[bg][p]overlay=x='300+60*t':y=700:eval=frame:shortest=1`;

async function run(mode: 'full' | 'regions' | 'photo'): Promise<{ frames: number; withPerson: number; regions?: unknown }> {
  const config = parseConfig(
    {
      model: { path: join(assets, 'models', 'yolox_nano.onnx'), adapter: 'yolox', labels: join(assets, 'models', 'coco.names'), threshold: 0.3 },
      cameras: [{ name: 'far', url: scene, fps: 5, realtime: false, detectMode: mode === 'photo' ? 'full' : mode, detect: { width: DETECT_WIDTH }, objects: { track: ['person'] } }],
    },
    { env: {} },
  );
  const runtime = await Runtime.create(config, { logger: new Logger({ level: 'error', json: false }) });
  if (mode === 'photo') {
    runtime.start();
    const r = await runtime.detectImage(await readFile(PHOTO), 'photo');
    await runtime.stop();
    return { frames: 1, withPerson: r.detections.some((d) => d.label === 'person') ? 1 : 0 };
  }
  const results: FrameResult[] = [];
  runtime.results$.subscribe((r) => results.push(r));
  runtime.start();
  await runtime.done;
  await runtime.stop();
  // skipped frames (nothing moved) are left out: the photo drifts, so there are none but the first calibration
  const looked = results.filter((r) => r.regions === undefined || r.regions.length > 0);
  return { frames: looked.length, withPerson: looked.filter((r) => r.detections.some((d) => d.label === 'person')).length, regions: runtime.snapshot().regions?.far };
}

const { loadavg } = await import('node:os');
console.log(`load ${loadavg().map((v) => v.toFixed(1)).join(' ')}; photo ${HEIGHT} px high in 1920×1080, pictures ${DETECT_WIDTH} wide`);
const photo = await run('photo');
console.log(`photo at full size: person found ${photo.withPerson ? 'yes' : 'NO'}`);
for (const mode of ['full', 'regions'] as const) {
  const r = await run(mode);
  console.log(`${mode.padEnd(8)} person found in ${r.withPerson}/${r.frames} frames (${((100 * r.withPerson) / Math.max(1, r.frames)).toFixed(0)} %)${r.regions ? `; ${JSON.stringify(r.regions)}` : ''}`);
}
