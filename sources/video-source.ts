// One ffmpeg input as a FrameSource: probe, then one ffmpeg per subscription writing planar frames into pooled
// buffers. Files and lavfi graphs are used directly; live cameras are wrapped by LiveSource, which restarts this one.
import { Observable } from 'rxjs';
import { access, stat } from 'node:fs/promises';
import { redactSecrets } from '../config/redact.js';
import { computeTransform } from '../core/letterbox.js';
import { LookoutError, type ErrorCode } from '../core/errors.js';
import type { Frame, FrameFormat } from '../core/types.js';
import { BufferPool } from './buffer-pool.js';
import { FfmpegProcess, probeStream, probeVideo, type ExitInfo, type VideoProbe } from './ffmpeg.js';
import { buildAheadFfmpegArgs, buildFfmpegArgs, buildPictureArgs, decodeThreadsFor, frameBytes, GRAPH_FD, probeArgs, singleOutputFilter, type FfmpegInput } from './ffmpeg-args.js';
import type { BackpressurePolicy, FrameSource, SourceCounters, SourceHooks } from '../core/frame-source.js';
import { FrameSplitter } from './frame-splitter.js';
import type { RunRecorder } from './segment-recorder.js';
import { FramePairer } from './frame-pairer.js';
import { detectSize, pictureBytes, type DetectSizeRequest, type YuvMatrix } from '../core/picture.js';
import { PICTURE_FD } from './ffmpeg-args.js';
import { placementFor, type Placement } from './padded-layout.js';

export interface VideoSourceOptions {
  camera: string;
  /** a file path, `lavfi:<graph>`, or (with `stream`) a URL or device ffmpeg reads, credentials included */
  url: string;
  fps?: number;
  loop?: boolean;
  realtime?: boolean;
  policy?: BackpressurePolicy;
  /** frame buffers per camera: frames in flight between ffmpeg and the detector */
  poolSize?: number;
  /** a live stream or device: probed by a process that stops with the subscription, never checked on disk */
  stream?: boolean;
  /** input options before `-i` (protocol, demuxer, the camera's inputArgs) */
  readOptions?: readonly string[];
  /**
   * `readOptions` that make ffprobe and ffmpeg read only the stream's header (an RTSP camera's SDP names codec, size
   * and rate) instead of analysing a second of frames each: tried first, and kept for ffmpeg when that probe found the
   * size and the rate; otherwise a full probe runs with `readOptions`.
   */
  quickReadOptions?: readonly string[];
  /** `-hwaccel` to try first; software decoding takes over (with `onWarning`) when it fails to start */
  hwaccel?: string;
  /** how messages name the input (a redacted URL); default: the path */
  label?: string;
  /** removed from every message (ffmpeg echoes URLs with their passwords) */
  secrets?: readonly string[];
  /** deliver a detect-resolution picture with every frame (`Frame.picture`) at this size (core/picture.ts) */
  detect?: DetectSizeRequest;
  /**
   * with `detect` and a square model input: the model's inputs are cut from the picture downstream (`detectMode:
   * regions`), so ffmpeg sends the picture alone and `Frame.data` is empty (ffmpeg-args.ts `buildPictureArgs`)
   */
  inputsFromPicture?: boolean;
  /** something worked out worse than asked and the source carries on (hardware decoding fell back to software) */
  onWarning?: (code: ErrorCode, message: string) => void;
  /** records the camera's stream beside the frames, in the same ffmpeg (asked run by run) */
  recorder?: RunRecorder;
}

export class VideoSource implements FrameSource {
  readonly camera: string;
  readonly policy: BackpressurePolicy;
  readonly counters: SourceCounters = { framesIn: 0, dropped: 0 };
  private readonly input: FfmpegInput;
  private readonly poolSize: number;
  private readonly label: string;
  private seq = 0;
  /** a probe started ahead of `frames()` (`probeAhead`), used by the next subscription */
  private early: Promise<VideoProbe> | undefined;
  /** set once `hwaccel` has failed to start: later (re)starts decode in software straight away */
  private hwaccelFailed = false;
  /** an ffmpeg started with the early probe, waiting for its filter graph; owned here until a run takes it */
  private ahead: FfmpegProcess | undefined;
  private disposed = false;

  constructor(private readonly opts: VideoSourceOptions) {
    this.camera = opts.camera;
    this.policy = opts.policy ?? 'wait';
    this.poolSize = opts.poolSize ?? 5;
    const lavfi = !opts.stream && opts.url.startsWith('lavfi:');
    this.input = {
      input: lavfi ? opts.url.slice('lavfi:'.length) : opts.stream ? opts.url : opts.url.replace(/^file:\/\//, ''),
      lavfi,
      realtime: opts.realtime ?? false,
      loop: opts.loop ?? false,
      fps: opts.fps,
      readOptions: opts.readOptions,
    };
    this.label = opts.label ?? (lavfi ? 'lavfi input' : this.input.input);
  }

  private scrub(text: string): string {
    return redactSecrets(text, this.opts.secrets ?? []);
  }

  /**
   * Starts probing a file or lavfi input now, so that the probe overlaps other start-up work (loading the model);
   * the next `frames()` takes its answer instead of probing again. Where one output suffices (no picture, no
   * recording, no hwaccel) ffmpeg is started too and waits for its filter graph (`buildAheadFfmpegArgs`). Live
   * streams are probed per connection. An owner that may never subscribe calls `dispose()`.
   */
  probeAhead(): void {
    if (this.opts.stream || this.early || this.disposed) return;
    // one output, decoded in software, nothing recorded: ffmpeg itself can start too, and wait for its graph
    const startFfmpeg = !this.opts.detect && !this.opts.recorder && this.opts.hwaccel === undefined;
    const early = (async () => {
      if (!this.input.lavfi) await assertReadable(this.input.input);
      const probe = await this.probeFile();
      if (startFfmpeg && !this.disposed) {
        const ahead = await FfmpegProcess.spawnDirect(buildAheadFfmpegArgs({ ...this.input, decodeThreads: decodeThreadsFor(probe) }), [1], undefined, 1);
        if (this.disposed) void ahead.stop();
        else this.ahead = ahead;
      }
      return probe;
    })();
    // a failure is reported by the subscription that takes it, not as an unhandled rejection before it
    early.catch(() => undefined);
    this.early = early;
  }

  /** Stops what `probeAhead` started if no subscription took it (the owner gave up before reading frames). */
  dispose(): void {
    this.disposed = true;
    void this.takeAhead()?.stop();
  }

  private takeAhead(): FfmpegProcess | undefined {
    const p = this.ahead;
    this.ahead = undefined;
    return p;
  }

  private probeFile(): Promise<VideoProbe> {
    return probeVideo(this.input.input, probeArgs(this.input), this.label).catch((err: unknown) => {
      throw err instanceof LookoutError ? new LookoutError(err.code, this.scrub(err.message)) : err;
    });
  }

  /** The input's geometry and the read options ffmpeg is to use with it. */
  private async probe(signal: AbortSignal): Promise<{ probe: VideoProbe; readOptions: readonly string[] | undefined }> {
    const readOptions = this.input.readOptions;
    if (!this.opts.stream) {
      const early = this.early;
      this.early = undefined;
      if (early) return { probe: await early, readOptions };
      if (!this.input.lavfi) await assertReadable(this.input.input);
      return { probe: await this.probeFile(), readOptions };
    }
    const probeWith = (options: readonly string[] | undefined) => probeStream(this.input.input, probeArgs({ ...this.input, readOptions: options }), { label: this.label, signal, scrub: (t) => this.scrub(t) });
    const quick = this.opts.quickReadOptions;
    if (quick) {
      try {
        const probe = await probeWith(quick);
        if (probe.fps !== undefined || this.input.fps !== undefined) return { probe, readOptions: quick };
      } catch (err) {
        // the header did not say enough (no size in the SDP): analyse frames as usual; any other failure is the camera's
        if (!(err instanceof LookoutError && INCOMPLETE_HEADER.test(err.message))) throw err;
      }
    }
    return { probe: await probeWith(readOptions), readOptions };
  }

  frames(format: FrameFormat, hooks: SourceHooks = {}): Observable<Frame> {
    return new Observable<Frame>((subscriber) => {
      let proc: FfmpegProcess | undefined;
      let splitters: FrameSplitter[] = [];
      let disposePairs: () => void = () => undefined;
      let detachRelease: (() => void)[] = [];
      let closed = false;
      const abort = new AbortController();

      /** Runs one ffmpeg until it exits; resolves with how it ended and whether it wrote anything. */
      const run = async (pools: Pools, hwaccel: string | undefined, transform: ReturnType<typeof computeTransform>, rate: number | undefined, probe: VideoProbe, readOptions: readonly string[] | undefined): Promise<{ exit: ExitInfo; wrote: boolean; proc: FfmpegProcess; again: boolean }> => {
        const { srcWidth, srcHeight, scaleX, scaleY, padX, padY } = transform;
        const frameTransform = { srcWidth, srcHeight, scaleX, scaleY, padX, padY };
        const { pool, pictures, pictureSize, placement, pictureOnly } = pools;
        // ffmpeg's planes are in the stream's matrix (a yuv→yuv scale keeps it); streams that do not say are BT.601, as
        // ffmpeg itself assumes
        const matrix: YuvMatrix = probe.colorSpace === 'bt709' ? 'bt709' : 'bt601';
        const recorder = this.opts.recorder;
        const extraOutput = recorder?.begin(probe.codec);
        const args = { ...this.input, readOptions, hwaccel, extraOutput, padInReader: placement !== undefined, decodeThreads: decodeThreadsFor(probe) };
        // probeAhead starts one only for a source whose runs have one output (no picture, recording or hwaccel)
        const ahead = this.takeAhead();
        ahead?.writeAndClose(GRAPH_FD, singleOutputFilter(args, format, transform));
        const p = ahead ?? (await FfmpegProcess.spawnDirect(pictureOnly && pictureSize ? buildPictureArgs(args, pictureSize) : buildFfmpegArgs(args, format, transform, pictureSize), pictures ? [1, PICTURE_FD] : [1], undefined, pictures ? 1 : 0));
        proc = p;
        // unsubscribed while it started: the teardown did not see it
        if (closed) void p.stop();
        const dropBase = this.counters.dropped;
        const emit = (data: Uint8Array, picture: Uint8Array | undefined, index: number) => {
          // this run's stream time of the frame: where the recorded segments' clock stands
          if (extraOutput && rate) recorder?.frameAt((index - base) / rate, Date.now());
          const seq = this.seq++;
          this.counters.framesIn++;
          let holders = 1;
          subscriber.next({
            camera: this.camera,
            seq,
            pts: rate ? index / rate : 0,
            capturedAt: Date.now(),
            format,
            transform: frameTransform,
            data,
            ...(picture && pictureSize ? { picture: { width: pictureSize.width, height: pictureSize.height, data: picture, format: 'yuv420p', matrix } } : {}),
            retain: () => void holders++,
            release: () => {
              if (holders === 0 || --holders > 0) return;
              // picture alone: its buffer is the one from `pool`
              if (pictureOnly) pool.release(picture!);
              else pool.release(data);
              if (picture && pictures) pictures.release(picture);
            },
          });
        };
        // stream time counts every frame ffmpeg wrote, also those dropped for want of a buffer ('latest' policy)
        const base = this.seq + dropBase;
        let pairer: FramePairer | undefined;
        if (pictures) {
          pairer = new FramePairer(
            (i, data, picture) => emit(data, picture, base + i),
            (b) => pool.release(b),
            (b) => pictures.release(b),
            () => this.counters.dropped++,
          );
        }
        const indexOf = (sp: FrameSplitter) => sp.counters.frames + sp.counters.dropped - 1;
        const split = new FrameSplitter(
          pool,
          (data) => (pairer ? pairer.addLeft(indexOf(split), data) : pictureOnly ? emit(NO_PIXELS, data, base + indexOf(split)) : emit(data, undefined, base + indexOf(split))),
          this.policy,
          () => (pairer ? pairer.dropLeft(indexOf(split)) : this.counters.dropped++),
          placement,
        );
        const pictureSplit = pictures ? new FrameSplitter(pictures, (data) => pairer!.addRight(indexOf(pictureSplit!), data), this.policy, () => pairer!.dropRight(indexOf(pictureSplit!))) : undefined;
        splitters = pictureSplit ? [split, pictureSplit] : [split];
        disposePairs = () => pairer?.dispose();
        let wrote = false;
        /** Reads output `fd` into the splitter: straight into its buffers through a named pipe, else chunk by chunk. */
        const feed = (sp: FrameSplitter, fd: number): { resume(): void } => {
          const direct = p.readInto(fd, {
            target: () => sp.target(),
            received: (buf, n) => {
              wrote = true;
              hooks.onData?.();
              return sp.received(buf, n);
            },
          });
          if (direct) return direct;
          const stream = fd === 1 ? p.stdout : p.output(fd);
          stream.on('data', (chunk: Buffer) => {
            wrote = true;
            hooks.onData?.();
            sp.write(chunk);
            if (sp.blocked) stream.pause();
          });
          return stream;
        };
        const stdout = feed(split, 1);
        const pictureOut = pictureSplit ? feed(pictureSplit, PICTURE_FD) : undefined;
        for (const off of detachRelease) off();
        detachRelease = [];
        if (this.policy === 'wait') {
          detachRelease.push(pool.onRelease(() => {
            if (split.blocked && split.drain() && !closed) stdout.resume();
          }));
          if (pictures && pictureSplit && pictureOut) {
            detachRelease.push(pictures.onRelease(() => {
              if (pictureSplit.blocked && pictureSplit.drain() && !closed) pictureOut.resume();
            }));
          }
        }
        // a run without the recording while it is paused is restarted with it once it may go on (same frames, new output)
        let resumed = false;
        const offResume = recorder && !extraOutput ? recorder.onResume(() => ((resumed = true), void p.stop())) : undefined;
        // ffmpeg goes on when a segment cannot be written: the recorder hears it, pauses, and the run restarts without
        let paused = false;
        const offLines = extraOutput && recorder ? p.onStderrLine((l) => recorder.stderrLine(l)) : undefined;
        const offPause = extraOutput && recorder ? recorder.onPause(() => ((paused = true), void p.stop())) : undefined;
        const exit = await p.exited;
        offResume?.();
        offLines?.();
        offPause?.();
        const recordingFailed = extraOutput !== undefined && recorder !== undefined && recorder.end(p.stderrTail);
        return { exit, wrote, proc: p, again: !closed && (resumed || paused || (recordingFailed && !exit.stopped)) };
      };

      const start = async () => {
        const { probe, readOptions } = await this.probe(abort.signal);
        if (closed) {
          void this.takeAhead()?.stop();
          return;
        }
        const transform = computeTransform(format, probe.width, probe.height);
        const rate = this.input.fps ?? probe.fps;
        const pictureSize = this.opts.detect ? detectSize(probe.width, probe.height, this.opts.detect) : undefined;
        // the detector cuts square inputs only from a picture (models/worker-session.ts)
        const pictureOnly = this.opts.inputsFromPicture === true && pictureSize !== undefined && format.width === format.height;
        const placement = pictureOnly ? undefined : placementFor(format, transform);
        const pools: Pools = pictureOnly
          ? { pool: new BufferPool(pictureBytes(pictureSize, 'yuv420p'), this.poolSize), placement, pictures: undefined, pictureSize, pictureOnly }
          : {
              // with the reader padding, a buffer's padding is filled once here and never written again
              pool: new BufferPool(frameBytes(format), this.poolSize, placement ? format.padValue : 0),
              placement,
              // as many pictures as frames: a frame holds one of each
              pictures: pictureSize ? new BufferPool(pictureBytes(pictureSize, 'yuv420p'), this.poolSize) : undefined,
              pictureSize,
              pictureOnly,
            };
        const { pool } = pools;
        let hwaccel = this.hwaccelFailed ? undefined : this.opts.hwaccel;
        let ran = await run(pools, hwaccel, transform, rate, probe, readOptions);
        if (closed || (ran.exit.stopped && !ran.again)) return;
        if (hwaccel !== undefined && ran.exit.code !== 0 && !ran.wrote && ran.proc.stderrTail.some((l) => HWACCEL_TROUBLE.test(l))) {
          // The input was probed fine and ffmpeg blames the device before its first frame: the hardware's doing.
          this.hwaccelFailed = true;
          const why = this.scrub(ran.proc.stderrTail.at(-1) ?? `exit code ${ran.exit.code}`);
          this.opts.onWarning?.('LOOKOUT_ERR_HWACCEL', `${this.camera}: hardware decoding (${hwaccel}) failed to start (${why}); decoding in software`);
          hwaccel = undefined;
          for (const sp of splitters) sp.dispose();
          disposePairs();
          ran = await run(pools, undefined, transform, rate, probe, readOptions);
          if (closed || (ran.exit.stopped && !ran.again)) return;
        }
        // the recording failed (disk full) or may go on again: detection goes on in a new run, without or with it
        while (ran.again && !closed) {
          for (const sp of splitters) sp.dispose();
          disposePairs();
          ran = await run(pools, hwaccel, transform, rate, probe, readOptions);
        }
        if (closed || ran.exit.stopped) return;
        if (ran.exit.code === 0) {
          // the last frame may still wait for a buffer: the stream ends once it is out
          for (const [split, from] of splitters.map((sp, i) => [sp, i === 0 ? pool : pools.pictures!] as const)) {
            if (!split.blocked) continue;
            await new Promise<void>((resolve) => {
              const off = from.onRelease(() => {
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
        const { exit } = ran;
        const why = this.scrub(ran.proc.stderrTail.at(-1) ?? (exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`));
        subscriber.error(new LookoutError('LOOKOUT_ERR_MEDIA', `${this.camera}: ffmpeg failed on ${this.label}: ${why}`));
      };

      start().catch((err: unknown) => {
        if (!closed) subscriber.error(err);
      });

      return () => {
        closed = true;
        abort.abort();
        for (const off of detachRelease) off();
        for (const sp of splitters) sp.dispose();
        disposePairs();
        void proc?.stop();
      };
    });
  }
}

interface Pools {
  /** what stdout fills: the model's frames, or the pictures when ffmpeg sends the picture alone */
  pool: BufferPool;
  /** the pictures on fd 3 beside the model's frames */
  pictures: BufferPool | undefined;
  pictureSize: { width: number; height: number } | undefined;
  placement: Placement | undefined;
  pictureOnly: boolean;
}

/** `Frame.data` of a frame whose source sent the picture alone (shared: nothing writes to it) */
const NO_PIXELS = new Uint8Array(new SharedArrayBuffer(0));

/** What `toProbe` says when a stream's header lacks the size or a codec it could name (ffmpeg would find them in frames). */
const INCOMPLETE_HEADER = /has no video stream|is not one this ffmpeg can decode/;

/** How ffmpeg says that a hardware decoder could not be set up ("Device creation failed", "No device available for decoder" …). */
const HWACCEL_TROUBLE = /device|hwaccel|hardware|cuda|vaapi|qsv|nvdec|cuvid|libva|\bdrm\b/i;

async function assertReadable(file: string): Promise<void> {
  let empty: boolean;
  try {
    await access(file);
    const st = await stat(file);
    // only a regular file: a FIFO or a device reports size 0 and may still carry video
    empty = st.isFile() && st.size === 0;
  } catch {
    throw new LookoutError('LOOKOUT_ERR_MEDIA', `cannot open ${file}: no such file or not readable`);
  }
  if (empty) throw new LookoutError('LOOKOUT_ERR_MEDIA', `cannot open ${file}: the file is empty (0 bytes)`);
}
