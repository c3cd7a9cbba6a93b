// `node dist/bench/lines.js`: what counting lines cost per frame. The same synthetic frames (10 people walking on
// sine paths over 1280×720 at 5 fps) go through the object stage (filters, tracker, zones, events) without lines and
// with 4 lines, interleaved rounds, medians reported; the lines' share is the difference, set against the whole stage.
import { performance } from 'node:perf_hooks';
import { CameraObjects, type CameraObjectsInput } from '../pipeline/events.js';
import { seededRandom } from '../core/random.js';
import type { Detection, FrameResult } from '../core/types.js';

const FRAMES = Number(process.env.BENCH_FRAMES ?? 20000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PEOPLE = 10;

function frame(i: number): FrameResult {
  const t = i / 5;
  const detections: Detection[] = [];
  for (let p = 0; p < PEOPLE; p++) {
    const x = 60 + p * 120 + 40 * Math.sin(t / 3 + p);
    const y = 360 + 250 * Math.sin(t / (4 + p) + p);
    detections.push({ label: 'person', classId: 0, score: 0.9, box: [x - 30, y - 120, x + 30, y] });
  }
  return {
    frame: { camera: 'cam', seq: i, pts: t, capturedAt: 1_750_000_000_000 + i * 200, format: { width: 640, height: 640, layout: 'gbrp', resize: 'letterbox', padValue: 114 }, transform: { srcWidth: 1280, srcHeight: 720, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 0 } },
    detections,
    timings: { queuedMs: 0, inferenceMs: 0, postprocessMs: 0, batchSize: 1 },
  };
}

const frames = Array.from({ length: FRAMES }, (_, i) => frame(i));
const lines: CameraObjectsInput['lines'] = {
  middle: { points: [[0, 0.5], [1, 0.5]] },
  upper: { points: [[0.1, 0.3], [0.9, 0.35]] },
  door: { points: [[0.5, 0.1], [0.5, 0.9]], direction: 'a_to_b' },
  diagonal: { points: [[0.2, 0.9], [0.8, 0.2]], anchor: 'center' },
};

function run(options: CameraObjectsInput): { msPerFrame: number; crossings: number } {
  const objects = new CameraObjects('cam', options, seededRandom(3));
  let crossings = 0;
  const start = performance.now();
  for (const f of frames) crossings += objects.push(f).crossings?.length ?? 0;
  return { msPerFrame: (performance.now() - start) / frames.length, crossings };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
run({});
run({ lines });
const without: number[] = [];
const withLines: number[] = [];
let crossings = 0;
for (let r = 0; r < ROUNDS; r++) {
  without.push(run({}).msPerFrame);
  const w = run({ lines });
  withLines.push(w.msPerFrame);
  crossings = w.crossings;
}
const a = median(without);
const b = median(withLines);
console.log(`${FRAMES} frames × ${PEOPLE} tracks, ${ROUNDS} rounds (medians); ${crossings} crossings counted per round`);
console.log(`object stage without lines: ${(a * 1000).toFixed(1)} µs/frame`);
console.log(`object stage with 4 lines:  ${(b * 1000).toFixed(1)} µs/frame`);
console.log(`lines: ${((b - a) * 1000).toFixed(1)} µs/frame (${(((b - a) / a) * 100).toFixed(1)}% of the object stage; a 5 fps camera has 200000 µs per frame)`);
