// The synthetic scene: a pure red square moving on a straight line over black, rendered by ffmpeg's lavfi at test
// time. Its position in every frame is known in closed form, so tests can assert detections to the pixel.
import { spawn } from 'node:child_process';

export interface SquareScene {
  /** frame size in pixels */
  width: number;
  height: number;
  /** frames per second; keep it an integer so frame times match ffmpeg's exactly */
  fps: number;
  /** clip length in seconds (frames = fps × duration) */
  duration: number;
  /** side of the square in pixels */
  size: number;
  /** top-left corner at t = 0, in pixels */
  x0: number;
  y0: number;
  /** velocity in pixels per second (may be negative; the square may leave the frame, where ffmpeg clips it) */
  vx: number;
  vy: number;
}

/** 2 s at 10 fps of a 40 px square moving right and down, staying inside 320×240 the whole time. */
export const DEFAULT_SCENE: Readonly<SquareScene> = Object.freeze({
  width: 320,
  height: 240,
  fps: 10,
  duration: 2,
  size: 40,
  x0: 21,
  y0: 31,
  vx: 63,
  vy: 27,
});

export function frameCount(scene: SquareScene): number {
  return Math.round(scene.fps * scene.duration);
}

/** Stream time of frame `n`, computed the way ffmpeg does (`pts × (1/fps)`), so truncation below agrees with it. */
export function frameTime(scene: SquareScene, n: number): number {
  return n * (1 / scene.fps);
}

/**
 * Top-left corner of the square at stream time `t`, in source pixels, exactly as ffmpeg's overlay places it: the
 * expression is evaluated in doubles and truncated towards zero. (Overlaying in RGB is what makes this exact; in the
 * default yuv420 overlay ffmpeg also rounds x and y down to even numbers.)
 */
export function squarePosition(scene: SquareScene, t: number): { x: number; y: number } {
  return { x: Math.trunc(scene.x0 + scene.vx * t), y: Math.trunc(scene.y0 + scene.vy * t) };
}

function linear(start: number, velocity: number): string {
  // written as `a+b*t` / `a-b*t`: ffmpeg's expression parser and the filter-graph parser need no escaping for these
  return `${start}${velocity < 0 ? '-' : '+'}${Math.abs(velocity)}*t`;
}

function validate(scene: SquareScene): void {
  for (const key of ['width', 'height', 'size'] as const) {
    if (!(Number.isInteger(scene[key]) && scene[key] > 0)) throw new RangeError(`scene.${key} must be a positive integer, got ${scene[key]}`);
  }
  if (!(scene.fps > 0 && scene.duration > 0)) throw new RangeError(`scene.fps and scene.duration must be positive, got ${scene.fps}, ${scene.duration}`);
  for (const key of ['x0', 'y0', 'vx', 'vy'] as const) {
    if (!Number.isFinite(scene[key])) throw new RangeError(`scene.${key} must be finite, got ${scene[key]}`);
  }
}

/**
 * The filter graph for `ffmpeg -f lavfi -i <spec>` (one argument; quote it in a shell because of `;` and `[`).
 * `format=rgb` keeps overlay from rounding positions to the chroma grid; `shortest=1` ends the clip with the
 * background's `d=`, since the square's source is endless.
 */
export function lavfiSpec(scene: SquareScene): string {
  validate(scene);
  const { width, height, fps, duration, size } = scene;
  return (
    `color=c=black:s=${width}x${height}:r=${fps}:d=${duration}[bg];` +
    `color=c=red:s=${size}x${size}:r=${fps}[sq];` +
    `[bg][sq]overlay=x=${linear(scene.x0, scene.vx)}:y=${linear(scene.y0, scene.vy)}:eval=frame:shortest=1:format=rgb`
  );
}

export interface RenderOptions {
  /** default `libx264`; `mpeg4` for a second decoder path */
  codec?: 'libx264' | 'mpeg4';
  /** keyframe interval in frames (default: one per second), small so that seeks and loops start quickly */
  gop?: number;
}

/** Runs ffmpeg to completion and resolves with its stdout; rejects with its stderr when it exits non-zero. */
function runFfmpeg(args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`ffmpeg ${args.join(' ')} exited with ${code ?? signal}: ${Buffer.concat(err).toString().trim()}`));
    });
  });
}

/**
 * Renders the scene to `outPath` (mp4, yuv420p, no B-frames so decode order is display order) and resolves with the
 * path. yuv420p halves chroma resolution, so the square's edges can blur by about one pixel after decoding.
 */
export async function renderSquareClip(scene: SquareScene, outPath: string, opts: RenderOptions = {}): Promise<string> {
  const codec = opts.codec ?? 'libx264';
  const gop = opts.gop ?? Math.max(1, Math.round(scene.fps));
  const quality = codec === 'libx264' ? ['-preset', 'ultrafast', '-crf', '12'] : ['-q:v', '2'];
  await runFfmpeg(['-y', '-f', 'lavfi', '-i', lavfiSpec(scene), '-c:v', codec, '-pix_fmt', 'yuv420p', '-g', String(gop), '-bf', '0', ...quality, outPath]);
  return outPath;
}

/** Decodes every frame of a clip to packed rgb24, one `width × height × 3` array per frame, in display order. */
export async function decodeFramesRgb(clipPath: string, width: number, height: number): Promise<Uint8Array[]> {
  // passthrough: neither duplicate nor drop frames, so index n is the clip's frame n
  const raw = await runFfmpeg(['-i', clipPath, '-fps_mode', 'passthrough', '-s', `${width}x${height}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
  const frameBytes = width * height * 3;
  if (raw.length % frameBytes !== 0) throw new Error(`decoded ${raw.length} bytes, not a multiple of a ${width}x${height} rgb24 frame`);
  const frames: Uint8Array[] = [];
  for (let at = 0; at < raw.length; at += frameBytes) frames.push(new Uint8Array(raw.buffer, raw.byteOffset + at, frameBytes));
  return frames;
}

/** Bounding box of the red pixels (R − G > 128, the model's threshold) in a packed rgb24 frame, or null. */
export function findRedBox(rgb: Uint8Array, width: number, height: number): { x: number; y: number; w: number; h: number } | null {
  let x1 = width;
  let y1 = height;
  let x2 = -1;
  let y2 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      if (rgb[i] - rgb[i + 1] > 128) {
        if (x < x1) x1 = x;
        if (x > x2) x2 = x;
        if (y < y1) y1 = y;
        if (y > y2) y2 = y;
      }
    }
  }
  return x2 < 0 ? null : { x: x1, y: y1, w: x2 - x1 + 1, h: y2 - y1 + 1 };
}
