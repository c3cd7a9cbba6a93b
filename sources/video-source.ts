// A file or lavfi input as a FrameSource: probe, then one ffmpeg per subscription writing planar frames into pooled buffers.
import { Observable } from 'rxjs';
import { access } from 'node:fs/promises';
import { computeTransform } from '../models/letterbox.js';
import { LookoutError } from '../pipeline/errors.js';
import type { Frame, FrameFormat } from '../pipeline/types.js';
import { BufferPool } from './buffer-pool.js';
import { FfmpegProcess, probeVideo } from './ffmpeg.js';
import { buildFfmpegArgs, frameBytes, inputArgs, type FfmpegInput } from './ffmpeg-args.js';
import type { BackpressurePolicy, FrameSource, SourceCounters } from './frame-source.js';
import { FrameSplitter } from './frame-splitter.js';

export interface VideoSourceOptions {
  camera: string;
  /** a file path, or `lavfi:<graph>` */
  url: string;
  fps?: number;
  loop?: boolean;
  realtime?: boolean;
  policy?: BackpressurePolicy;
  /** frame buffers per camera: frames in flight between ffmpeg and the detector */
  poolSize?: number;
}

export class VideoSource implements FrameSource {
  readonly camera: string;
  readonly policy: BackpressurePolicy;
  readonly counters: SourceCounters = { framesIn: 0, dropped: 0 };
  private readonly input: FfmpegInput;
  private readonly poolSize: number;
  private seq = 0;

  constructor(opts: VideoSourceOptions) {
    this.camera = opts.camera;
    this.policy = opts.policy ?? 'wait';
    this.poolSize = opts.poolSize ?? 4;
    const lavfi = opts.url.startsWith('lavfi:');
    this.input = {
      input: lavfi ? opts.url.slice('lavfi:'.length) : opts.url.replace(/^file:\/\//, ''),
      lavfi,
      realtime: opts.realtime ?? false,
      loop: opts.loop ?? false,
      fps: opts.fps,
    };
  }

  frames(format: FrameFormat): Observable<Frame> {
    return new Observable<Frame>((subscriber) => {
      let proc: FfmpegProcess | undefined;
      let splitter: FrameSplitter | undefined;
      let detachRelease: (() => void) | undefined;
      let closed = false;

      const start = async () => {
        if (!this.input.lavfi) await assertReadable(this.input.input);
        const probe = await probeVideo(this.input.input, inputArgs(this.input), this.input.lavfi ? 'lavfi input' : this.input.input);
        if (closed) return;
        const transform = computeTransform(format, probe.width, probe.height);
        const { srcWidth, srcHeight, scaleX, scaleY, padX, padY } = transform;
        const frameTransform = { srcWidth, srcHeight, scaleX, scaleY, padX, padY };
        const rate = this.input.fps ?? probe.fps;
        const pool = new BufferPool(frameBytes(format), this.poolSize);
        proc = FfmpegProcess.spawn(buildFfmpegArgs(this.input, format, transform));
        const stdout = proc.stdout;
        splitter = new FrameSplitter(
          pool,
          (data) => {
            const seq = this.seq++;
            this.counters.framesIn++;
            let released = false;
            subscriber.next({
              camera: this.camera,
              seq,
              pts: rate ? seq / rate : 0,
              capturedAt: Date.now(),
              format,
              transform: frameTransform,
              data,
              release: () => {
                if (released) return;
                released = true;
                pool.release(data);
              },
            });
          },
          this.policy,
        );
        const split = splitter;
        stdout.on('data', (chunk: Buffer) => {
          const before = split.counters.dropped;
          split.write(chunk);
          this.counters.dropped += split.counters.dropped - before;
          if (split.blocked) stdout.pause();
        });
        if (this.policy === 'wait') {
          detachRelease = pool.onRelease(() => {
            if (split.blocked && split.drain() && !closed) stdout.resume();
          });
        }
        const exit = await proc.exited;
        if (closed || exit.stopped) return;
        if (exit.code === 0) {
          // the last frame may still wait for a buffer: the stream ends once it is out
          if (split.blocked) {
            await new Promise<void>((resolve) => {
              const off = pool.onRelease(() => {
                if (!split.blocked || closed) {
                  off();
                  resolve();
                }
              });
            });
          }
          if (!closed) subscriber.complete();
          return;
        }
        const why = proc.stderrTail.at(-1) ?? (exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`);
        subscriber.error(new LookoutError('LOOKOUT_ERR_MEDIA', `${this.camera}: ffmpeg failed on ${this.input.lavfi ? 'lavfi input' : this.input.input}: ${why}`));
      };

      start().catch((err: unknown) => {
        if (!closed) subscriber.error(err);
      });

      return () => {
        closed = true;
        detachRelease?.();
        splitter?.dispose();
        void proc?.stop();
      };
    });
  }
}

async function assertReadable(file: string): Promise<void> {
  try {
    await access(file);
  } catch {
    throw new LookoutError('LOOKOUT_ERR_MEDIA', `cannot open ${file}: no such file or not readable`);
  }
}
