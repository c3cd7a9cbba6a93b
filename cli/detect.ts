// `lookout detect FILE...`: images give one JSON line each; a video gives a line per frame and a summary line.
import { extname, resolve } from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import type { ExecutionProviderName } from '../config/defaults.js';
import { resolveModel } from '../models/model-spec.js';
import { OnnxDetector } from '../models/onnx-detector.js';
import type { ResolveOptions } from '../models/registry.js';
import { inferFrames } from '../pipeline/infer.js';
import type { Logger } from '../core/logger.js';
import { roundDetection } from '../sinks/log-sink.js';
import { VideoSource } from '../sources/video-source.js';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff', '.gif']);

export interface DetectOptions {
  files: string[];
  model: string;
  adapter?: string;
  labels?: string;
  threshold: number;
  iou: number;
  providers: ExecutionProviderName[];
  batch: number;
  registry?: ResolveOptions;
  logger: Logger;
  write?: (line: string) => void;
}

export async function detectCommand(opts: DetectOptions): Promise<void> {
  const write = opts.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const model = await resolveModel({ path: opts.model, adapter: opts.adapter, labels: opts.labels }, opts.registry);
  const detector = await OnnxDetector.create({
    modelPath: model.modelPath,
    adapter: model.adapter,
    labels: model.labels,
    threshold: opts.threshold,
    iou: opts.iou,
    providers: opts.providers,
    maxBatch: opts.batch,
  });
  for (const w of detector.info.warnings) opts.logger.warn(w, { component: 'detector' });
  try {
    for (const file of opts.files) {
      const image = IMAGE_EXTENSIONS.has(extname(file).toLowerCase());
      const source = new VideoSource({ camera: 'detect', url: resolve(file), realtime: false, loop: false, policy: 'wait', poolSize: Math.max(4, opts.batch * 2) });
      const started = performance.now();
      let frames = 0;
      let firstAt = 0;
      let lastAt = 0;
      await lastValueFrom(
        source.frames(detector.info.format).pipe(
          inferFrames(detector, { maxSize: opts.batch, maxWaitMs: 0, cameras: 1 }),
          tap((r) => {
            lastAt = performance.now();
            if (frames === 0) firstAt = lastAt;
            frames++;
            const detections = r.detections.map(roundDetection);
            const { srcWidth: width, srcHeight: height } = r.frame.transform;
            if (image) write(JSON.stringify({ file, width, height, detections }));
            else write(JSON.stringify({ file, frame: r.frame.seq, pts: Number(r.frame.pts.toFixed(3)), width, height, detections }));
          }),
        ),
        { defaultValue: undefined },
      );
      if (!image) {
        const seconds = (performance.now() - started) / 1000;
        // steady: between the first and the last result, i.e. without probing and ffmpeg's start (startupMs)
        const steadyFps = frames > 1 && lastAt > firstAt ? (frames - 1) / ((lastAt - firstAt) / 1000) : 0;
        write(
          JSON.stringify({
            summary: { file, frames, seconds: Number(seconds.toFixed(3)), fps: Number((frames / seconds).toFixed(2)), steadyFps: Number(steadyFps.toFixed(2)), startupMs: Math.round(firstAt - started) },
          }),
        );
      }
    }
  } finally {
    await detector.close();
  }
}
