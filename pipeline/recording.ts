// Event clips, composed: a SegmentRecorder per recording camera (sources/: the same ffmpeg copies the stream into
// segments), a ClipStore per camera (sinks/clips: files within the budget), and what joins them: when an event ends, its
// span plus pre- and post-roll is mapped to the wall clock through the frames' capture times, held in the segment cache,
// and cut into a clip (sources/clip-assembler.ts) once the segments cover it. Owned by the runtime.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Observable, Subscription } from 'rxjs';
import type { CameraConfig } from '../config/types.js';
import type { ClipHandle, ClipsView } from '../core/clips.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { CameraUpdate, FrameResult, ObjectEvent, Status } from '../core/types.js';
import { ClipStore } from '../sinks/clips/clip-store.js';
import { assembleClip, type ClipSpan } from '../sources/clip-assembler.js';
import { SegmentRecorder } from '../sources/segment-recorder.js';

interface CameraRecording {
  config: CameraConfig['record'];
  recorder: SegmentRecorder;
  store: ClipStore;
  /** the newest frame's stream time and capture time: how stream seconds map to the wall clock */
  last?: { pts: number; wallMs: number };
  holds: Map<string, () => void>;
  /** open events not yet clipped, by id: where their clip starts (wall ms, pre-roll included) */
  started: Map<string, number>;
  /** clips are made one at a time per camera */
  queue: Promise<void>;
}

export interface RecordingOptions {
  logger: Logger;
  emitStatus: (s: Omit<Status, 'at'>) => void;
  now?: () => number;
}

export class Recording implements ClipsView {
  private readonly pending = new Set<string>();
  private readonly subscriptions: Subscription[] = [];
  /** waits cut short at shutdown: the clip is made from what is recorded */
  private hurry = false;
  private readonly hurryListeners = new Set<() => void>();
  private closed = false;

  private constructor(
    private readonly cameras: Map<string, CameraRecording>,
    private readonly opts: RecordingOptions,
  ) {}

  static async create(cameras: readonly CameraConfig[], opts: RecordingOptions): Promise<Recording> {
    const map = new Map<string, CameraRecording>();
    const log = opts.logger.child({ component: 'record' });
    for (const c of cameras) {
      if (!c.enabled || !c.record.enabled) continue;
      const r = c.record;
      const base = join(r.dir, c.name);
      const store = await ClipStore.create({ dir: join(base, 'clips'), maxBytes: r.retain.maxBytes, days: r.retain.days, now: opts.now, onRemoved: (id, why) => log.info(`clip ${id} removed: ${why}`, { camera: c.name }) });
      const recorder = await SegmentRecorder.create({
        camera: c.name,
        dir: join(base, 'segments'),
        segmentSeconds: r.segmentSeconds,
        // the pre-roll of an event that became one a few seconds after its first sighting is still there
        keepMs: (r.preSeconds + 2 * r.segmentSeconds + 5) * 1000,
        maxHoldMs: (r.preSeconds + r.maxClipSeconds + r.segmentSeconds) * 1000,
        minFreeBytes: r.minFreeBytes,
        now: opts.now,
        onStatus: (s) => {
          opts.emitStatus({ severity: s.severity, code: s.code, camera: c.name, message: s.message });
          if (s.severity === 'info') log.info(s.message, { camera: c.name });
          else log.warn(s.message, { camera: c.name });
        },
        onLowSpace: (need) => store.free(need),
      });
      await mkdir(join(base, 'clips'), { recursive: true }).catch((err: unknown) => recorder.pause(`the folder ${join(base, 'clips')} cannot be used: ${describeError(err)}`));
      map.set(c.name, { config: r, recorder, store, holds: new Map(), started: new Map(), queue: Promise.resolve() });
    }
    return new Recording(map, opts);
  }

  /** The camera's recorder (for its source), if it records. */
  recorderOf(camera: string): SegmentRecorder | undefined {
    return this.cameras.get(camera)?.recorder;
  }

  /** The camera's clip store, if it records. */
  storeOf(camera: string): ClipStore | undefined {
    return this.cameras.get(camera)?.store;
  }

  /** Subscribes first (before the sinks), so an event's `has_clip` is known when they publish it. */
  attach(results$: Observable<FrameResult>, updates$: Observable<CameraUpdate>): void {
    if (this.cameras.size === 0) return;
    this.subscriptions.push(
      results$.subscribe((r) => {
        const cam = this.cameras.get(r.frame.camera);
        if (!cam) return;
        cam.last = { pts: r.frame.pts, wallMs: r.frame.capturedAt };
        this.cutLongEvents(cam);
      }),
      updates$.subscribe({
        next: (u) => {
          const cam = this.cameras.get(u.camera);
          if (cam) for (const e of u.events) this.onEvent(cam, e);
        },
        // the run is over: nothing more will be recorded, clips are made from what is there
        complete: () => this.hurryUp(),
      }),
    );
  }

  has(eventId: string): boolean {
    if (this.pending.has(eventId)) return true;
    for (const c of this.cameras.values()) if (c.store.has(eventId)) return true;
    return false;
  }

  open(eventId: string): ClipHandle | undefined {
    for (const c of this.cameras.values()) {
      const h = c.store.open(eventId);
      if (h) return h;
    }
    return undefined;
  }

  /** Idempotent: clips still being waited for are made from what is recorded, then the recorders stop and clear their cache. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hurryUp();
    for (const s of this.subscriptions) s.unsubscribe();
    for (const c of this.cameras.values()) {
      await c.queue;
      for (const release of c.holds.values()) release();
      await c.recorder.close();
    }
  }

  private hurryUp(): void {
    this.hurry = true;
    for (const l of [...this.hurryListeners]) l();
  }

  private wall(cam: CameraRecording, t: number): number | undefined {
    return cam.last && cam.last.wallMs - (cam.last.pts - t) * 1000;
  }

  private onEvent(cam: CameraRecording, e: ObjectEvent): void {
    const id = e.after.id;
    if (e.type === 'new') {
      const from = this.wall(cam, e.after.startTime);
      if (from === undefined || !cam.recorder.recording) return;
      this.pending.add(id);
      cam.holds.set(id, cam.recorder.hold(from - cam.config.preSeconds * 1000));
      cam.started.set(id, from - cam.config.preSeconds * 1000);
      return;
    }
    // an event clipped at its maximum length already has its clip
    if (e.type !== 'end' || !cam.started.has(id)) return;
    const fromMs = cam.started.get(id)!;
    cam.started.delete(id);
    const end = this.wall(cam, e.after.endTime ?? e.after.lastSeen)!;
    const span = { fromMs, toMs: Math.min(end + cam.config.postSeconds * 1000, fromMs + cam.config.maxClipSeconds * 1000) };
    cam.queue = cam.queue.then(() => this.makeClip(cam, id, span));
  }

  /** An event still open at `maxClipSeconds` gets its clip now, not at its end (a parked car may stay for days). */
  private cutLongEvents(cam: CameraRecording): void {
    const maxMs = cam.config.maxClipSeconds * 1000;
    for (const [id, fromMs] of cam.started) {
      if (cam.last!.wallMs - fromMs < maxMs) continue;
      cam.started.delete(id);
      cam.queue = cam.queue.then(() => this.makeClip(cam, id, { fromMs, toMs: fromMs + maxMs }));
    }
  }

  private async makeClip(cam: CameraRecording, id: string, span: ClipSpan): Promise<void> {
    const log = this.opts.logger.child({ component: 'record' });
    try {
      await this.covered(cam, span.toMs);
      const segments = cam.recorder.between(span.fromMs, span.toMs);
      if (segments.length === 0) throw new Error('no recorded video covers the event');
      await assembleClip(segments, span, cam.store.pathFor(id), (bytes) => cam.store.makeRoom(bytes));
      await cam.store.added(id);
      log.info(`clip ${id}: ${((span.toMs - span.fromMs) / 1000).toFixed(1)} s from ${segments.length} segments`);
    } catch (err) {
      const message = `clip ${id} was not made: ${describeError(err)}`;
      log.warn(message);
      this.opts.emitStatus({ severity: 'warning', code: 'LOOKOUT_ERR_RECORD', message });
    } finally {
      this.pending.delete(id);
      cam.holds.get(id)?.();
      cam.holds.delete(id);
    }
  }

  /** Resolves once the segments reach `toMs`, recording stopped, the run is over, or a bounded wait is up. */
  private covered(cam: CameraRecording, toMs: number): Promise<void> {
    const done = () => this.hurry || cam.recorder.coveredUntil >= toMs;
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const now = (this.opts.now ?? Date.now)();
      // the post-roll, then two segments for the segment muxer to close at a keyframe and the list to be read
      const timer = setTimeout(finish, Math.max(0, toMs - now) + cam.config.segmentSeconds * 2000 + 2000);
      const offChange = cam.recorder.onChange(check);
      const onHurry = () => finish();
      this.hurryListeners.add(onHurry);
      function check() {
        if (cam.recorder.coveredUntil >= toMs) finish();
      }
      const self = this;
      function finish() {
        clearTimeout(timer);
        offChange();
        self.hurryListeners.delete(onHurry);
        resolve();
      }
    });
  }
}
