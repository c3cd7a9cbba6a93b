// `node dist/bench/footage-events.js [clip] [fps] [full|regions]`: runs the event pipeline on real footage as fast as possible and
// prints each object event, so the count of person events can be compared with the people who walk through.
// Default: one-by-one-person-detection.mp4 (six people walk into an empty room one at a time) with yolox-nano.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, toArray } from 'rxjs';
import { parseConfig } from '../config/load.js';
import { Logger } from '../core/logger.js';
import { Runtime } from '../pipeline/runtime.js';

const root = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const assets = process.env.LOOKOUT_ASSETS ?? resolve(root, '..', 'shared', 'assets');
const clip = process.argv[2] || join(assets, 'media', 'one-by-one-person-detection.mp4');
const fps = Number(process.argv[3] ?? 5);
const detectMode = process.argv[4] ?? 'full';

const config = parseConfig(
  {
    model: { path: join(assets, 'models', 'yolox_nano.onnx'), adapter: 'yolox', labels: join(assets, 'models', 'coco.names'), threshold: 0.3 },
    cameras: [{ name: 'room', url: clip, fps, realtime: false, detectMode, objects: { track: ['person'] } }],
  },
  { env: {} },
);
const runtime = await Runtime.create(config, { logger: new Logger({ level: 'warn', json: false }) });
const updates = lastValueFrom(runtime.updates$.pipe(toArray()));
runtime.start();
await runtime.done;
await runtime.stop();
const events = (await updates).flatMap((u) => u.events.map((e) => ({ pts: u.pts, e })));
const persons = events.filter(({ e }) => e.after.label === 'person');
for (const { pts, e } of persons) {
  if (e.type === 'update') continue;
  const o = e.after;
  console.log(`${pts.toFixed(1).padStart(6)} s  ${e.type.padEnd(4)} ${o.id}  score ${o.score.toFixed(2)} top ${o.topScore.toFixed(2)}${e.type === 'end' ? `  seen ${o.startTime.toFixed(1)}–${o.lastSeen.toFixed(1)} s` : ''}`);
}
const count = (t: string) => persons.filter(({ e }) => e.type === t).length;
console.log(`\n${clip}: ${count('new')} person events (new), ${count('end')} ended, ${count('update')} updates, at ${fps} fps, ${detectMode}`);
const snap = runtime.snapshot();
console.log(`model inputs: ${snap.detector.frames} in ${snap.detector.batches} batches${snap.regions ? `; regions: ${JSON.stringify(snap.regions.room)}` : ''}`);
