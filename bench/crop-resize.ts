// Crop + resize of one region into a model's planar input (issue 12 step 3's target: ≤ 1 ms per 416² region), from a
// packed RGB picture and from a yuv420p one (a video source's pictures: the part read is converted first).
// Run: node dist/bench/crop-resize.js
import { letterboxRegion } from '../core/letterbox.js';
import { pictureBytes, type Picture } from '../core/picture.js';
import { cropResize } from '../models/crop-resize.js';

const W = 1280;
const H = 720;
const noise = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 24);
const rgb: Picture = { width: W, height: H, data: noise(W * H * 3) };
const yuv: Picture = { width: W, height: H, data: noise(pictureBytes({ width: W, height: H }, 'yuv420p')), format: 'yuv420p', matrix: 'bt601' };
const out = new Uint8Array(416 * 416 * 3);
const N = 300;
const whole = letterboxRegion({ width: 416, height: 416, resize: 'letterbox' }, { width: W, height: H });
for (const [name, region, pad] of [
  ['416² at source scale (copy)', [300, 100, 716, 516], undefined],
  ['720² → 416² (downscale)', [200, 0, 920, 720], undefined],
  ['208² → 416² (upscale)', [600, 300, 808, 508], undefined],
  ['whole 1280×720 frame → 416² letterbox', whole, 114],
] as const) {
  for (const picture of [rgb, yuv]) {
    for (let i = 0; i < 20; i++) cropResize(picture, region, 416, 'gbrp', out, pad);
    const t = performance.now();
    const cpu = process.cpuUsage();
    for (let i = 0; i < N; i++) cropResize(picture, region, 416, 'gbrp', out, pad);
    const used = process.cpuUsage(cpu);
    // CPU time as well as wall time: on a shared box the wall clock also counts other processes' turns
    console.log(`${name}, ${picture.format ?? 'rgb24'}: ${((performance.now() - t) / N).toFixed(3)} ms wall, ${((used.user + used.system) / 1000 / N).toFixed(3)} ms CPU per region`);
  }
}
