// Crop + resize of one region into a model's planar input (issue 12 step 3's target: ≤ 1 ms per 416² region).
// Run: node dist/bench/crop-resize.js
import { cropResize } from '../models/crop-resize.js';

const W = 1280;
const H = 720;
const data = new Uint8Array(W * H * 3);
for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
const out = new Uint8Array(416 * 416 * 3);
const N = 300;
for (const [name, region] of [
  ['416² at source scale (copy)', [300, 100, 716, 516]],
  ['720² → 416² (downscale)', [200, 0, 920, 720]],
  ['208² → 416² (upscale)', [600, 300, 808, 508]],
] as const) {
  for (let i = 0; i < 20; i++) cropResize({ width: W, height: H, data }, region, 416, 'gbrp', out);
  const t = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < N; i++) cropResize({ width: W, height: H, data }, region, 416, 'gbrp', out);
  const used = process.cpuUsage(cpu);
  // CPU time as well as wall time: on a shared box the wall clock also counts other processes' turns
  console.log(`${name}: ${((performance.now() - t) / N).toFixed(3)} ms wall, ${((used.user + used.system) / 1000 / N).toFixed(3)} ms CPU per region`);
}
