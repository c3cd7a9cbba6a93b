// What collecting costs the camera path (sinks/collect): copying a crop out of a 1280×720 picture and its near-duplicate
// descriptor, both on the event loop; and, for scale, the JPEG encode that runs in libvips' threads when it is saved.
// Run: node dist/bench/collect-crop.js
import sharp from 'sharp';
import { copyCrop, describeCrop, similarity } from '../sinks/collect/crop.js';

const W = 1280;
const H = 720;
const picture = { width: W, height: H, data: new Uint8Array(W * H * 3) };
for (let i = 0; i < picture.data.length; i++) picture.data[i] = (i * 2654435761) >>> 24;
const N = 300;

function time(name: string, fn: () => void): void {
  for (let i = 0; i < 20; i++) fn();
  const t = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < N; i++) fn();
  const used = process.cpuUsage(cpu);
  console.log(`${name}: ${((performance.now() - t) / N).toFixed(3)} ms wall, ${((used.user + used.system) / 1000 / N).toFixed(3)} ms CPU`);
}

for (const [name, rect] of [
  ['person 120×300', { x: 400, y: 200, width: 120, height: 300 }],
  ['car 400×250', { x: 600, y: 300, width: 400, height: 250 }],
  ['whole picture 1280×720', { x: 0, y: 0, width: W, height: H }],
] as const) {
  time(`${name}: copy`, () => copyCrop(picture, rect));
  const crop = copyCrop(picture, rect);
  time(`${name}: descriptor`, () => describeCrop(crop));
  const d = describeCrop(crop);
  const recent = Array.from({ length: 64 }, () => d);
  time(`${name}: compare with 64 recent`, () => recent.some((r) => similarity(r, d) > 2));
  const t = performance.now();
  for (let i = 0; i < 20; i++) await sharp(crop.rgb, { raw: { width: rect.width, height: rect.height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
  console.log(`${name}: JPEG encode (libvips threads) ${((performance.now() - t) / 20).toFixed(2)} ms wall`);
}
