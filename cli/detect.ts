// `lookout detect FILE...`: images give one JSON line each; a video gives a line per frame and a summary line.
// Images are decoded in-process (several at once, while the worker infers) and batched like eval's; an image that cannot
// be decoded is one error line naming it, and the other files go on (the command then exits 1).
import { extname, resolve } from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import type { ExecutionProviderName } from '../config/defaults.js';
import { resolveModel } from '../models/model-spec.js';
import type { PreprocessSettings } from '../config/preprocess.js';
import { OnnxDetector } from '../models/onnx-detector.js';
import { chooseInferenceThreads } from '../models/inference-threads.js';
import type { ResolveOptions } from '../models/registry.js';
import { inferFrames } from '../pipeline/infer.js';
import type { Detector } from '../core/detector.js';
import type { Detection } from '../core/types.js';
import type { Logger } from '../core/logger.js';
import { roundDetection } from '../sinks/log-sink.js';
import { VideoSource } from '../sources/video-source.js';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff', '.gif']);

export interface DetectOptions {
  files: string[];
  model: string;
  adapter?: string;
  labels?: string;
  /** classifiers: preset and overrides from the command line */
  preprocess?: PreprocessSettings;
  threshold: number;
  iou: number;
  providers: ExecutionProviderName[];
  batch: number;
  registry?: ResolveOptions;
  logger: Logger;
  write?: (line: string) => void;
}

export interface DetectOutcome {
  /** image files that could not be decoded (each logged as one error line) */
  unreadable: number;
}

export async function detectCommand(opts: DetectOptions): Promise<DetectOutcome> {
  const write = opts.write ?? ((line: string) => process.stdout.write(line + '\n'));
  // the first video is probed while the model loads: its first result then waits for the model alone
  const first = opts.files[0];
  const early = first !== undefined && !isImage(first) ? videoSource(first, opts.batch) : undefined;
  early?.probeAhead();
  try {
    return await detectWith(opts, early, write);
  } finally {
    // the ffmpeg started ahead waits for its graph: a model that failed to load must not leave it waiting
    early?.dispose();
  }
}

async function detectWith(opts: DetectOptions, early: VideoSource | undefined, write: (line: string) => void): Promise<DetectOutcome> {
  const model = await resolveModel({ path: opts.model, adapter: opts.adapter, labels: opts.labels, preprocess: opts.preprocess }, opts.registry);
  // files run one after another: one stream to decode at a time
  const threads = chooseInferenceThreads({ streams: 1 });
  // debug: detect's stderr carries only what went wrong unless --verbose
  opts.logger.debug(`inference threads: ${threads.threads ?? 'auto'} (${threads.reason})`, { component: 'detector' });
  const detector = await OnnxDetector.create({
    intraOpThreads: threads.threads,
    modelPath: model.modelPath,
    adapter: model.adapter,
    labels: model.labels,
    preprocess: model.preprocess,
    threshold: opts.threshold,
    iou: opts.iou,
    providers: opts.providers,
    maxBatch: opts.batch,
  });
  // bench/startup.ts reads this line: the first result's latency is measured from it
  opts.logger.debug(`model loaded ${Math.round(performance.now())} ms after start`, { component: 'detector' });
  for (const w of detector.info.warnings) opts.logger.warn(w, { component: 'detector' });
  let unreadable = 0;
  try {
    for (let i = 0; i < opts.files.length; ) {
      let end = i;
      while (end < opts.files.length && isImage(opts.files[end]!)) end++;
      if (end > i) {
        unreadable += await detectImages(detector, opts.files.slice(i, end), opts.batch, write, opts.logger);
        i = end;
      } else {
        await detectVideo(detector, i === 0 && early ? early : videoSource(opts.files[i]!, opts.batch), opts.files[i]!, opts.batch, write);
        i++;
      }
    }
  } finally {
    await detector.close();
  }
  return { unreadable };
}

function isImage(file: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(file).toLowerCase());
}

/**
 * Consecutive image files through the still-image loop; lines come out in the order the files were given. Returns how
 * many could not be decoded.
 */
async function detectImages(detector: Detector, files: readonly string[], batch: number, write: (line: string) => void, logger: Logger): Promise<number> {
  const paths = files.map((f) => resolve(f));
  const outcomes: ({ detections: Detection[]; width: number; height: number } | { error: string } | undefined)[] = new Array(files.length);
  const sizes: { width: number; height: number }[] = new Array(files.length);
  // the image decoder (sharp) loads only when there are images: a video's first result does not wait for it
  const { fileLoader, inferAll } = await import('../pipeline/eval/run-eval.js');
  const loader = fileLoader(paths, detector.info.format);
  let unreadable = 0;
  let next = 0;
  // results arrive batch by batch, not in file order: print each once every file before it is printed
  const flush = () => {
    for (let o = outcomes[next]; o !== undefined; o = outcomes[++next]) {
      if ('error' in o) logger.error(o.error, { component: 'detect', code: 'LOOKOUT_ERR_MEDIA' });
      else write(JSON.stringify({ file: files[next], width: o.width, height: o.height, detections: o.detections.map(roundDetection) }));
      outcomes[next] = undefined;
    }
  };
  await inferAll(
    detector,
    files.length,
    {
      load: async (index) => {
        const frame = await loader.load(index);
        sizes[index] = { width: frame.transform.srcWidth, height: frame.transform.srcHeight };
        return frame;
      },
    },
    (index, detections) => {
      outcomes[index] = { detections, ...sizes[index]! };
      flush();
    },
    {
      batch,
      onUnreadable: (index, err) => {
        unreadable++;
        outcomes[index] = { error: err.message };
        flush();
      },
    },
  );
  return unreadable;
}

function videoSource(file: string, batch: number): VideoSource {
  return new VideoSource({ camera: 'detect', url: resolve(file), realtime: false, loop: false, policy: 'wait', poolSize: Math.max(4, batch * 2) });
}

async function detectVideo(detector: Detector, source: VideoSource, file: string, batch: number, write: (line: string) => void): Promise<void> {
  const started = performance.now();
  let frames = 0;
  let firstAt = 0;
  let lastAt = 0;
  await lastValueFrom(
    source.frames(detector.info.format).pipe(
      inferFrames(detector, { maxSize: batch, maxWaitMs: 0, cameras: 1 }),
      tap((r) => {
        lastAt = performance.now();
        if (frames === 0) firstAt = lastAt;
        frames++;
        const detections = r.detections.map(roundDetection);
        const { srcWidth: width, srcHeight: height } = r.frame.transform;
        write(JSON.stringify({ file, frame: r.frame.seq, pts: Number(r.frame.pts.toFixed(3)), width, height, detections }));
      }),
    ),
    { defaultValue: undefined },
  );
  const seconds = (performance.now() - started) / 1000;
  // steady: between the first and the last result, i.e. without probing and ffmpeg's start (startupMs)
  const steadyFps = frames > 1 && lastAt > firstAt ? (frames - 1) / ((lastAt - firstAt) / 1000) : 0;
  write(
    JSON.stringify({
      summary: { file, frames, seconds: Number(seconds.toFixed(3)), fps: Number((frames / seconds).toFixed(2)), steadyFps: Number(steadyFps.toFixed(2)), startupMs: Math.round(firstAt - started) },
    }),
  );
}
