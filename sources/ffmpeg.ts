// The ffmpeg process wrapper: the only module that imports fluent-ffmpeg (archived upstream), used here for ffprobe;
// processes are spawned directly so that replacing the library touches this one file.
import { spawn, type ChildProcessByStdio, type StdioOptions } from 'node:child_process';
import { accessSync, closeSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';
import { LookoutError } from '../core/errors.js';
import { DirectReader, outputFifos, type DirectSink, type OpenFifo } from './output-fifos.js';

export interface VideoProbe {
  width: number;
  height: number;
  /** frames per second of the video stream; undefined for a still image or unknown */
  fps: number | undefined;
  /** seconds; undefined for live or unknown */
  duration: number | undefined;
  codec: string;
  frames: number | undefined;
  /** the stream's YCbCr matrix as ffprobe names it (`bt709`, `smpte170m` …); undefined when it does not say */
  colorSpace?: string;
}

/** Reads the first video stream's geometry. `inputArgs` go before the input (e.g. `['-f', 'lavfi']`). */
export function probeVideo(input: string, inputArgs: readonly string[] = [], label = input): Promise<VideoProbe> {
  return new Promise((resolve, reject) => {
    ffmpeg.ffprobe(input, [...inputArgs], (err: Error | null, data: ffmpeg.FfprobeData) => {
      if (err) {
        const detail = lastMeaningfulLine(err.message) ?? err.message;
        if (/ENOENT/.test(err.message) && /spawn/.test(err.message)) {
          return reject(new LookoutError('LOOKOUT_ERR_FFMPEG', 'ffprobe was not found: install ffmpeg (Debian: apt-get install ffmpeg)'));
        }
        // ffprobe starts its line with the input ("x.mp4: Invalid data …"): the label says it already
        const why = detail.startsWith(`${input}: `) ? detail.slice(input.length + 2) : detail;
        return reject(new LookoutError('LOOKOUT_ERR_MEDIA', `cannot open ${label}: ${why}`));
      }
      try {
        resolve(toProbe(data, label));
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** The first video stream of ffprobe's answer (`-show_streams -show_format`). */
function toProbe(data: Pick<ffmpeg.FfprobeData, 'streams' | 'format'>, label: string): VideoProbe {
  const stream = data.streams.find((s) => s.codec_type === 'video');
  if (!stream || !stream.width || !stream.height) throw new LookoutError('LOOKOUT_ERR_MEDIA', `cannot open ${label}: it has no video stream`);
  // a container ffmpeg reads around a codec it does not know: say so now, not as a decoder failure later
  if (!stream.codec_name || stream.codec_name === 'unknown') {
    throw new LookoutError('LOOKOUT_ERR_MEDIA', `cannot open ${label}: its video codec${stream.codec_tag_string ? ` (tag ${stream.codec_tag_string})` : ''} is not one this ffmpeg can decode`);
  }
  const rotation = rotationOf(stream);
  const swap = Math.abs(rotation) % 180 === 90;
  const duration = Number(stream.duration ?? data.format?.duration);
  const frames = Number(stream.nb_frames);
  return {
    width: swap ? stream.height : stream.width,
    height: swap ? stream.width : stream.height,
    fps: parseRate(stream.avg_frame_rate) ?? parseRate(stream.r_frame_rate),
    duration: Number.isFinite(duration) && duration > 0 ? duration : undefined,
    codec: stream.codec_name ?? 'unknown',
    frames: Number.isFinite(frames) && frames > 0 ? frames : undefined,
    ...(stream.color_space && stream.color_space !== 'unknown' ? { colorSpace: stream.color_space } : {}),
  };
}

export interface StreamProbeOptions {
  /** how messages name the input (a redacted URL: ffprobe's own messages are scrubbed with `scrub`) */
  label: string;
  /** stops ffprobe: a camera that accepts the connection and never answers must not leave a process behind */
  signal?: AbortSignal;
  /** removes secrets from ffprobe's messages, which echo the URL */
  scrub?: (text: string) => string;
  /** a camera that accepts the connection and never answers is given up on after this (default 15000 ms) */
  timeoutMs?: number;
}

export const PROBE_TIMEOUT_MS = 15_000;

/**
 * `probeVideo` for live streams and devices: ffprobe runs as a process this module owns (in its own group, like
 * ffmpeg), so that it can be stopped when the camera is, instead of running until the network gives up.
 */
export async function probeStream(input: string, inputArgs: readonly string[], opts: StreamProbeOptions): Promise<VideoProbe> {
  const scrub = opts.scrub ?? ((t: string) => t);
  if (opts.signal?.aborted) throw new LookoutError('LOOKOUT_ERR_MEDIA', `probing ${opts.label} was cancelled`);
  const timeoutMs = opts.timeoutMs ?? PROBE_TIMEOUT_MS;
  // ffmpeg's own I/O timeout (microseconds) for network inputs, so ffprobe itself gives up on a silent peer; the
  // camera's inputArgs come after and win. A device (/dev/video0) has no protocol layer to take it.
  const ioTimeout = input.includes('://') ? ['-rw_timeout', String(timeoutMs * 1000)] : [];
  const proc = FfmpegProcess.spawn(['-hide_banner', '-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', ...ioTimeout, ...inputArgs, input], process.env.FFPROBE_PATH ?? 'ffprobe');
  const onAbort = () => void proc.stop(500);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  // the backstop for what -rw_timeout does not cover (a demuxer waiting on a connection that trickles, a device)
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void proc.stop(500);
  }, timeoutMs);
  const out: Buffer[] = [];
  proc.stdout.on('data', (b: Buffer) => out.push(b));
  const exit = await proc.exited;
  clearTimeout(timer);
  opts.signal?.removeEventListener('abort', onAbort);
  if (opts.signal?.aborted) throw new LookoutError('LOOKOUT_ERR_MEDIA', `probing ${opts.label} was cancelled`);
  if (timedOut) throw new LookoutError('LOOKOUT_ERR_MEDIA', `cannot open ${opts.label}: no answer within ${timeoutMs} ms (ffprobe timed out)`);
  const why = () => scrub(streamFailure(proc.stderrTail) ?? (exit.signal ? `ffprobe was killed by ${exit.signal}` : `ffprobe exited with code ${exit.code}`));
  if (exit.code !== 0) {
    if (proc.stderrTail.some((l) => /ffmpeg was not found/.test(l))) throw new LookoutError('LOOKOUT_ERR_FFMPEG', 'ffprobe was not found: install ffmpeg (Debian: apt-get install ffmpeg)');
    throw new LookoutError('LOOKOUT_ERR_MEDIA', `cannot open ${opts.label}: ${why()}`);
  }
  let data: Pick<ffmpeg.FfprobeData, 'streams' | 'format'>;
  try {
    data = JSON.parse(Buffer.concat(out).toString('utf8')) as Pick<ffmpeg.FfprobeData, 'streams' | 'format'>;
  } catch {
    throw new LookoutError('LOOKOUT_ERR_MEDIA', `cannot open ${opts.label}: ffprobe gave no readable answer`);
  }
  return toProbe({ streams: data.streams ?? [], format: data.format ?? {} }, opts.label);
}

function rotationOf(stream: ffmpeg.FfprobeStream): number {
  const tags = (stream.tags ?? {}) as Record<string, unknown>;
  const fromTag = Number(tags.rotate);
  if (Number.isFinite(fromTag)) return fromTag;
  const sideData = (stream as { side_data_list?: { rotation?: number }[] }).side_data_list ?? [];
  return sideData.find((d) => typeof d.rotation === 'number')?.rotation ?? 0;
}

function parseRate(rate: string | undefined): number | undefined {
  if (!rate) return undefined;
  const [n, d] = rate.split('/').map(Number);
  const v = d ? n / d : n;
  // ffprobe reports 90000/1 or 0/0 for still images and unknown rates
  return Number.isFinite(v) && v > 0 && v < 1000 ? v : undefined;
}

/**
 * ffprobe's last error line, or the cause before it when the last is a bare "<url>: Input/output error": a host name
 * that does not resolve ends that way, after "[tcp @ 0x…] Failed to resolve hostname x: Name or service not known".
 */
function streamFailure(tail: readonly string[]): string | undefined {
  const lines = tail.map((l) => l.trim()).filter((l) => l && !/^ffprobe exited with code/.test(l) && !/^Command failed/.test(l));
  const last = lines.at(-1);
  if (last !== undefined && lines.length > 1 && /Input\/output error$/i.test(last)) return lines[lines.length - 2].replace(/^\[[^\]]*\]\s*/, '');
  return last;
}

function lastMeaningfulLine(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !/^ffprobe exited with code/.test(l) && !/^Command failed/.test(l));
  return lines.at(-1);
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** true when we asked it to stop */
  stopped: boolean;
}

// Sets the pipe buffer of each fd in the first argument, then execs the rest with every fd as it was ($^F: perl would
// otherwise mark the fds it opens close-on-exec).
const PIPE_SIZER = '$^F = 1 << 30; my $size = 0 + shift; my @keep; for my $fd (split /,/, shift) { if (open(my $h, ">&=", $fd)) { fcntl($h, 1031, $size); push @keep, $h } } exec { $ARGV[0] } @ARGV; print STDERR "lookout-pipe-size: failed to execute $ARGV[0]: $!\\n"; exit 127;';
const F_SETPIPE_SZ_BYTES = 1 << 20;
let sizerPath: string | null | undefined;

/**
 * The command prefix that gives ffmpeg's named-pipe outputs (`fds`) a 1 MiB buffer instead of Linux's 64 KiB: a busy
 * reader then takes what piled up in one read, each read being a wake-up of both processes and a callback into JS (at
 * 24 cameras: 2,200 reads a second of ~150 KB instead of 5,500 of ~60 KB; those reads had been about half the main
 * thread's time). Node has no fcntl, so perl (perl-base, essential on Debian) sets F_SETPIPE_SZ on the inherited fds
 * and execs ffmpeg in its place. Without perl, or where the kernel refuses (over fs.pipe-max-size or the user's pipe
 * quota), the pipes keep their default size and everything works as before.
 */
function pipeSizing(fds: readonly number[]): string[] {
  if (fds.length === 0 || process.platform !== 'linux' || process.env.LOOKOUT_PIPE_SIZE === '0') return [];
  sizerPath ??= findOnPath('perl');
  return sizerPath ? [sizerPath, '-e', PIPE_SIZER, String(F_SETPIPE_SZ_BYTES), fds.join(',')] : [];
}

function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return null;
}

let guardPath: string | null | undefined;

/**
 * How a child is made to die with Lookout, even on `kill -9`: Linux's parent-death signal (PR_SET_PDEATHSIG), which
 * Node cannot set between fork and exec, so util-linux's `setpriv --pdeathsig KILL -- ffmpeg …` sets it and execs
 * ffmpeg (exec keeps it). Chosen over a watchdog pipe because that needs the child to read it (ffmpeg's stdin is not
 * ours to spare with `-i -` inputs, and ffprobe never reads stdin) or a helper process per child. The signal follows
 * the thread that spawned the child: the main thread here. Without setpriv (not Linux, no util-linux), children
 * start unguarded and a one-time warning says so. `LOOKOUT_SETPRIV=0` turns it off.
 */
function deathGuard(): string | null {
  if (guardPath !== undefined) return guardPath;
  guardPath = null;
  if (process.platform !== 'linux' || process.env.LOOKOUT_SETPRIV === '0') return guardPath;
  guardPath = findOnPath('setpriv');
  if (guardPath) return guardPath;
  process.emitWarning('setpriv (util-linux) was not found: ffmpeg/ffprobe children may outlive Lookout if it is killed with SIGKILL', { code: 'LOOKOUT_NO_SETPRIV' });
  return guardPath;
}

/** One running ffmpeg: the owner reads `stdout`, awaits `exited`, and calls `stop()` exactly when it is done. */
export class FfmpegProcess {
  /** settles when ffmpeg has exited and every output was read to its end (or torn down by `stop`) */
  readonly exited: Promise<ExitInfo>;
  private readonly stderrLines: string[] = [];
  private readonly lineListeners = new Set<(line: string) => void>();
  private stopping = false;
  /** outputs read through named pipes (`readInto`), by fd, with their readers once opened */
  private readonly fifos = new Map<number, { fifo: OpenFifo; reader?: DirectReader }>();

  private constructor(
    private readonly child: ChildProcessByStdio<null, Readable | null, Readable>,
    fifos: ReadonlyMap<number, OpenFifo> = new Map(),
  ) {
    for (const [fd, fifo] of fifos) this.fifos.set(fd, { fifo });
    child.stderr.setEncoding('utf8');
    let partial = '';
    child.stderr.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) this.pushStderr(l.trim());
    });

    const exit = new Promise<ExitInfo>((resolve) => {
      child.once('error', (err: NodeJS.ErrnoException) => {
        this.pushStderr(err.code === 'ENOENT' ? 'ffmpeg was not found: install ffmpeg (Debian: apt-get install ffmpeg)' : err.message);
        resolve({ code: null, signal: null, stopped: this.stopping });
      });
      child.once('close', (code, signal) => {
        if (partial.trim()) this.pushStderr(partial.trim());
        resolve({ code, signal, stopped: this.stopping });
      });
    });
    // as child_process does for its own pipes: the run is over once what ffmpeg wrote has been read
    this.exited = exit.then(async (info) => {
      for (const entry of this.fifos.values()) {
        if (entry.reader) await entry.reader.closed;
        else closeSync(entry.fifo.readFd);
        // no writer and no reader are left: the FIFO can carry another run
        outputFifos.release(entry.fifo.path);
      }
      this.fifos.clear();
      return info;
    });
  }

  /**
   * `extraOutputs`: pipes on fd 3, 4 … for ffmpeg's further outputs (`pipe:3`), read through `output(fd)`, or for an
   * input it reads there (`writeAndClose`).
   */
  static spawn(args: readonly string[], ffmpegPath = process.env.FFMPEG_PATH ?? 'ffmpeg', extraOutputs = 0): FfmpegProcess {
    return FfmpegProcess.start(args, ffmpegPath, extraOutputs, new Map());
  }

  private static start(args: readonly string[], ffmpegPath: string, extraOutputs: number, fifos: ReadonlyMap<number, OpenFifo>): FfmpegProcess {
    // Its own process group: a Ctrl-C in the terminal goes to Lookout, which stops ffmpeg in order, instead of ffmpeg
    // dying first and looking like a camera failure. The price: a killed Lookout (SIGKILL, the OOM killer) runs no
    // handler, and an ffmpeg or ffprobe waiting on a camera that never answers writes nothing that could fail, so it
    // would run on. See `deathGuard`.
    const guard = deathGuard();
    const command = [...pipeSizing([...fifos.keys()]), ffmpegPath, ...args];
    const [file, argv] = guard ? [guard, ['--pdeathsig', 'KILL', '--', ...command]] : [command[0], command.slice(1)];
    const stdio: StdioOptions = ['ignore', fifos.get(1)?.writeFd ?? 'pipe', 'pipe', ...Array.from({ length: extraOutputs }, (_, i) => fifos.get(3 + i)?.writeFd ?? 'pipe')];
    const child = spawn(file, argv, { stdio, detached: true }) as unknown as ChildProcessByStdio<null, Readable | null, Readable>;
    return new FfmpegProcess(child, fifos);
  }

  /**
   * As `spawn`, with the outputs on `directFds` (1 for stdout, 3 and up) written into named pipes that `readInto` reads
   * into the reader's own buffers. Where FIFOs cannot be made those outputs are ordinary pipes and `readInto` says so.
   */
  static async spawnDirect(args: readonly string[], directFds: readonly number[], ffmpegPath = process.env.FFMPEG_PATH ?? 'ffmpeg', extraOutputs = 0): Promise<FfmpegProcess> {
    const fifos = new Map<number, OpenFifo>();
    try {
      for (const fd of directFds) {
        const fifo = await outputFifos.open();
        if (!fifo) break;
        fifos.set(fd, fifo);
      }
    } catch (err) {
      for (const f of fifos.values()) closeFifo(f);
      throw err;
    }
    if (fifos.size < directFds.length) {
      for (const f of fifos.values()) closeFifo(f);
      return FfmpegProcess.spawn(args, ffmpegPath, extraOutputs);
    }
    try {
      return FfmpegProcess.start(args, ffmpegPath, extraOutputs, fifos);
    } finally {
      // the child holds its own copies: ours would keep the reader from ever seeing the end
      for (const f of fifos.values()) closeSync(f.writeFd);
    }
  }

  /**
   * Reads output `fd` into `sink`'s buffers when it goes through a named pipe (`spawnDirect`); undefined otherwise (read
   * `stdout` or `output(fd)` then). Once per fd.
   */
  readInto(fd: number, sink: DirectSink): DirectReader | undefined {
    const entry = this.fifos.get(fd);
    if (!entry) return undefined;
    if (entry.reader) throw new RangeError(`ffmpeg's output on fd ${fd} is already being read`);
    entry.reader = new DirectReader(entry.fifo.readFd, sink);
    if (this.stopping) entry.reader.destroy();
    return entry.reader;
  }

  /** The pipe on `fd` (3 and up, as asked with `extraOutputs`). */
  output(fd: number): Readable {
    const stream = (this.child.stdio as unknown as (Readable | null)[])[fd];
    if (!stream) throw new RangeError(`ffmpeg has no output pipe on fd ${fd}`);
    return stream;
  }

  /** Writes `text` to the pipe on `fd` (an input asked for as one of `extraOutputs`) and closes it. */
  writeAndClose(fd: number, text: string): void {
    const stream = (this.child.stdio as unknown as (Writable | null)[])[fd];
    if (!stream) throw new RangeError(`ffmpeg has no pipe on fd ${fd}`);
    // an ffmpeg that already died (its input unreadable) says why on stderr and in its exit: EPIPE here adds nothing
    stream.on('error', () => undefined);
    stream.end(text);
  }

  /** ffmpeg's stdout pipe (not there when stdout goes through a named pipe: `readInto(1, …)`) */
  get stdout(): Readable {
    if (!this.child.stdout) throw new RangeError("ffmpeg's stdout is read through a named pipe: readInto(1, …)");
    return this.child.stdout;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last lines ffmpeg wrote to stderr (its error messages), newest last. */
  get stderrTail(): readonly string[] {
    return this.stderrLines;
  }

  private pushStderr(line: string): void {
    if (/^(setpriv|lookout-pipe-size): failed to execute .*: No such file or directory/.test(line)) line = 'ffmpeg was not found: install ffmpeg (Debian: apt-get install ffmpeg)';
    this.stderrLines.push(line);
    if (this.stderrLines.length > 20) this.stderrLines.shift();
    for (const l of this.lineListeners) l(line);
  }

  /** Each stderr line as it comes (a second output failing while the first goes on); returns the function that detaches it. */
  onStderrLine(listener: (line: string) => void): () => void {
    this.lineListeners.add(listener);
    return () => this.lineListeners.delete(listener);
  }

  /** SIGTERM, a bounded wait, then SIGKILL. Idempotent; resolves once the process is gone. */
  async stop(graceMs = 2000): Promise<ExitInfo> {
    if (!this.stopping) {
      this.stopping = true;
      if (this.child.exitCode === null && this.child.signalCode === null) {
        this.child.kill('SIGTERM');
        const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
        void this.exited.then(() => clearTimeout(timer));
      }
      this.child.stdout?.destroy();
      for (const s of (this.child.stdio as unknown as (Readable | null)[]).slice(3)) s?.destroy();
      for (const entry of this.fifos.values()) entry.reader?.destroy();
    }
    return this.exited;
  }
}

/** A FIFO opened for a child that was never started: both ends closed, the FIFO free again. */
function closeFifo(f: OpenFifo): void {
  closeSync(f.readFd);
  closeSync(f.writeFd);
  outputFifos.release(f.path);
}
