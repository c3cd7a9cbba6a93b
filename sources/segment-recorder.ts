// One camera's rolling cache of recorded segments: what ffmpeg's segment output (sources/segment-args.ts) wrote, on the
// wall clock, kept for `keepMs` (the clips' pre-roll) or longer while an open event holds it. The VideoSource asks it,
// run by run, whether to record and tells it when a run started and ended; clips are cut from `between()`.
import { mkdir, readFile, readdir, rm, stat, statfs, unlink } from 'node:fs/promises';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { COPYABLE_CODECS, parseSegmentList, segmentListFile, segmentOutputArgs } from './segment-args.js';

/** A finished segment on the wall clock (epoch ms). */
export interface Segment {
  path: string;
  /** the ffmpeg run that wrote it */
  run: string;
  startMs: number;
  endMs: number;
}

/** What a VideoSource asks of a recorder around each ffmpeg run. */
export interface RunRecorder {
  /** the extra output for a run of a stream in this codec, or undefined when not recording now */
  begin(codec: string): string[] | undefined;
  /** a frame of the run's stream time `seconds` came out at `wallMs` (the earliest such pair anchors the run) */
  frameAt(seconds: number, wallMs: number): void;
  /** the run ended (stopped, failed or finished); true when it failed because of the recording (disk full, folder gone) */
  end(stderrTail: readonly string[]): boolean;
  /** an ffmpeg stderr line of a recording run: a failed segment write pauses the recording */
  stderrLine(line: string): void;
  /** calls `listener` when recording pauses (the run should go on without it) */
  onPause(listener: () => void): () => void;
  /** calls `listener` once recording may go on after a pause; returns the function that detaches it */
  onResume(listener: () => void): () => void;
}

export type RecorderState = 'recording' | 'idle' | 'paused' | 'unsupported';

export interface RecorderStatus {
  state: RecorderState;
  severity: 'info' | 'warning' | 'error';
  code: string;
  message: string;
}

export interface SegmentRecorderOptions {
  camera: string;
  /** the camera's segment folder (created; emptied at start and close: segments are a cache) */
  dir: string;
  segmentSeconds: number;
  /** how long finished segments are kept when no event holds them (the pre-roll plus a segment) */
  keepMs: number;
  /** the longest a hold keeps segments back */
  maxHoldMs: number;
  /** recording pauses while the disk has less than this free */
  minFreeBytes: number;
  /** how often the segment list is read and old segments go */
  pollMs?: number;
  now?: () => number;
  /** a change of the recording's state, once per change */
  onStatus?: (s: RecorderStatus) => void;
  /** called when free space is below minFreeBytes: whoever keeps clips frees some; resolves to bytes freed */
  onLowSpace?: (needBytes: number) => Promise<number>;
}

/** Segment names remembered so a list line is taken once (the list holds 5). */
const KNOWN_NAMES = 32;

/** Free space a paused recording waits for, at least (besides record.minFreeBytes). */
export const RESUME_FREE_BYTES = 1024 * 1024;

/** How ffmpeg says a write failed for want of room or rights. */
const WRITE_TROUBLE = /No space left|Disk quota|Permission denied|Read-only file system|Input\/output error|Error writing|Failed to open segment|Failure occurred when ending segment|Could not write header/i;

export class SegmentRecorder implements RunRecorder {
  private readonly segments: Segment[] = [];
  private readonly known = new Set<string>();
  private readonly holds = new Map<number, number>();
  private nextHold = 0;
  private run: { id: string; anchorMs: number | undefined; pending: { file: string; start: number; end: number }[] } | undefined;
  private runSeq = 0;
  private timer: NodeJS.Timeout | undefined;
  private status: RecorderStatus | undefined;
  private pausedWhy: string | undefined;
  private closed = false;
  private polling: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly listeners = new Set<() => void>();
  private readonly resumeListeners = new Set<() => void>();
  private readonly pauseListeners = new Set<() => void>();

  private constructor(private readonly opts: SegmentRecorderOptions) {
    this.now = opts.now ?? Date.now;
  }

  static async create(opts: SegmentRecorderOptions): Promise<SegmentRecorder> {
    const r = new SegmentRecorder(opts);
    try {
      await mkdir(opts.dir, { recursive: true });
      await r.clear();
    } catch (err) {
      r.pausedWhy = `the folder ${opts.dir} cannot be used: ${(err as Error).message}`;
    }
    r.timer = setInterval(() => void r.refresh(), opts.pollMs ?? 500);
    r.timer.unref();
    return r;
  }

  /** Whether the camera's video is being recorded now. */
  get recording(): boolean {
    return this.run !== undefined && this.pausedWhy === undefined;
  }

  /** Wall time up to which finished segments exist (0: none). */
  get coveredUntil(): number {
    return this.segments.at(-1)?.endMs ?? 0;
  }

  /** Called after every poll that found new segments or after a run ended; returns the function that detaches it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  begin(codec: string): string[] | undefined {
    if (this.closed) return undefined;
    if (!COPYABLE_CODECS.has(codec)) {
      this.setStatus({ state: 'unsupported', severity: 'warning', code: 'LOOKOUT_ERR_RECORD', message: `${this.opts.camera}: records nothing: its ${codec} stream cannot be copied into clips (only ${[...COPYABLE_CODECS].join(', ')})` });
      return undefined;
    }
    if (this.pausedWhy !== undefined) return undefined;
    const id = `${this.now().toString(36)}${(this.runSeq++).toString(36)}`;
    this.run = { id, anchorMs: undefined, pending: [] };
    this.setStatus({ state: 'recording', severity: 'info', code: 'RECORD_ON', message: `${this.opts.camera}: recording` });
    return segmentOutputArgs({ dir: this.opts.dir, runId: id, segmentSeconds: this.opts.segmentSeconds });
  }

  /**
   * ffmpeg reads ahead while it analyses a live stream and then writes the first seconds in a burst, so the first
   * frame's wall time is late; the smallest wall − stream over the frames is when stream time 0 was live.
   */
  frameAt(seconds: number, wallMs: number): void {
    const run = this.run;
    if (!run) return;
    const anchor = wallMs - seconds * 1000;
    if (run.anchorMs === undefined || anchor < run.anchorMs) {
      const shift = run.anchorMs === undefined ? 0 : anchor - run.anchorMs;
      run.anchorMs = anchor;
      // segments already placed move with the better estimate
      if (shift !== 0) for (const s of this.segments) if (s.run === run.id) (s.startMs += shift), (s.endMs += shift);
    }
  }

  end(stderrTail: readonly string[]): boolean {
    const run = this.run;
    if (!run) return false;
    const trouble = stderrTail.find((l) => WRITE_TROUBLE.test(l));
    // paused now, so the run that follows at once goes without the recording
    if (trouble) this.pause(trouble.replace(/^\[[^\]]*\]\s*/, ''));
    this.polling = this.polling.then(async () => {
      await this.readList(run);
      if (this.run === run) this.run = undefined;
      await rm(segmentListFile({ dir: this.opts.dir, runId: run.id }), { force: true });
      this.notify();
    });
    return trouble !== undefined;
  }

  stderrLine(line: string): void {
    if (this.run && WRITE_TROUBLE.test(line)) this.pause(line.replace(/^\[[^\]]*\]\s*/, ''));
  }

  onPause(listener: () => void): () => void {
    this.pauseListeners.add(listener);
    return () => this.pauseListeners.delete(listener);
  }

  onResume(listener: () => void): () => void {
    this.resumeListeners.add(listener);
    return () => this.resumeListeners.delete(listener);
  }

  /** Keeps segments from `fromMs` on (an open event's pre-roll) until the returned function is called. */
  hold(fromMs: number): () => void {
    const token = this.nextHold++;
    this.holds.set(token, fromMs);
    return () => this.holds.delete(token);
  }

  /** The finished segments that overlap [fromMs, toMs], oldest first. */
  between(fromMs: number, toMs: number): Segment[] {
    return this.segments.filter((s) => s.endMs > fromMs && s.startMs < toMs);
  }

  /** Recording paused (disk full, folder unwritable): the next run goes without it until `resumeIfPossible` says so. */
  pause(why: string): void {
    if (this.pausedWhy !== undefined) return;
    this.pausedWhy = why;
    this.setStatus({ state: 'paused', severity: 'error', code: 'LOOKOUT_ERR_RECORD', message: `${this.opts.camera}: recording paused: ${why}; detection goes on` });
    for (const l of [...this.pauseListeners]) l();
  }

  /** Whether recording is paused and why. */
  get pausedBecause(): string | undefined {
    return this.pausedWhy;
  }

  /** Checks the folder again; true when recording may go on (the next ffmpeg run records). */
  async resumeIfPossible(): Promise<boolean> {
    if (this.pausedWhy === undefined) return true;
    try {
      await mkdir(this.opts.dir, { recursive: true });
      await access(this.opts.dir, constants.W_OK);
      // a disk that failed a write needs real room again, not the few bytes its last deletion freed
      if ((await freeBytes(this.opts.dir)) < Math.max(this.opts.minFreeBytes, RESUME_FREE_BYTES)) return false;
    } catch {
      return false;
    }
    this.pausedWhy = undefined;
    this.setStatus({ state: 'idle', severity: 'info', code: 'RECORD_RESUMED', message: `${this.opts.camera}: recording resumes` });
    for (const l of [...this.resumeListeners]) l();
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.polling;
    this.listeners.clear();
    await this.clear().catch(() => undefined);
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  private setStatus(s: RecorderStatus): void {
    const prev = this.status;
    this.status = s;
    if (prev && prev.state === s.state && prev.code === s.code) return;
    this.opts.onStatus?.(s);
  }

  /** Reads the segment list, prunes, checks the disk (every pollMs; callable now, serialised with the timer's). */
  refresh(): Promise<void> {
    this.polling = this.polling.then(async () => {
      if (this.closed) return;
      if (this.pausedWhy !== undefined) await this.resumeIfPossible();
      const run = this.run;
      const before = this.segments.length;
      if (run) await this.readList(run);
      await this.prune();
      await this.checkSpace();
      if (this.segments.length !== before) this.notify();
    });
    return this.polling;
  }

  /** New lines of a run's list become segments once the run's first frame has anchored it to the wall clock. */
  private async readList(run: NonNullable<SegmentRecorder['run']>): Promise<void> {
    let text: string;
    try {
      text = await readFile(segmentListFile({ dir: this.opts.dir, runId: run.id }), 'utf8');
    } catch {
      return; // not written yet
    }
    for (const e of parseSegmentList(text)) {
      if (this.known.has(e.file)) continue;
      this.known.add(e.file);
      // the list shows the newest 5 segments only: older names can never come back (memory stays flat for months)
      if (this.known.size > KNOWN_NAMES) this.known.delete(this.known.values().next().value!);
      run.pending.push(e);
    }
    if (run.anchorMs === undefined) return;
    for (const e of run.pending.splice(0)) {
      this.segments.push({ path: join(this.opts.dir, e.file), run: run.id, startMs: run.anchorMs + e.start * 1000, endMs: run.anchorMs + e.end * 1000 });
    }
    this.segments.sort((a, b) => a.startMs - b.startMs);
  }

  private async prune(): Promise<void> {
    const now = this.now();
    let floor = now - this.opts.keepMs;
    for (const from of this.holds.values()) floor = Math.min(floor, Math.max(from, now - this.opts.maxHoldMs));
    while (this.segments.length > 0 && this.segments[0].endMs < floor) {
      const s = this.segments.shift()!;
      await unlink(s.path).catch(() => undefined);
    }
  }

  private async checkSpace(): Promise<void> {
    if (this.opts.minFreeBytes <= 0 || this.pausedWhy !== undefined) return;
    let free: number;
    try {
      free = await freeBytes(this.opts.dir);
    } catch {
      return;
    }
    if (free >= this.opts.minFreeBytes) return;
    const freed = (await this.opts.onLowSpace?.(this.opts.minFreeBytes - free)) ?? 0;
    if (free + freed < this.opts.minFreeBytes) this.pause(`the disk has ${free} bytes free, under record.minFreeBytes (${this.opts.minFreeBytes})`);
  }

  /** Removes every segment and list in the folder (a cache: nothing in it outlives the recorder). */
  private async clear(): Promise<void> {
    for (const f of await readdir(this.opts.dir)) {
      if (/^(seg-.*\.ts|list-.*\.csv)$/.test(f)) await rm(join(this.opts.dir, f), { force: true });
    }
    this.segments.length = 0;
  }
}

/** Bytes an unprivileged writer may still use on the file system holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/** Size of a file, or 0 when it is gone. */
export async function fileBytes(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
