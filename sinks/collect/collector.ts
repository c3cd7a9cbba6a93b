// The `collect` sink: crops for teaching new classes, saved into `<collect.dir>/unlabelled/` (collect-store.ts).
// Objects: while an object of a collected label is tracked, its best crop (the `new` picture, then each better snapshot:
// the frames Frigate's `bestFrameTime` points at) is copied out of the detect-resolution picture with the margin; it is
// saved once, at the object's `end` (or after LONG_LIVED_SECONDS of tracking), so an object gives one crop. States:
// each `states.<name>` box is saved every `stateIntervalSeconds` of stream time and when a motion box touches it (at
// most once a second).
// Only crops are copied (never a frame); a picture that is not the frame an update was computed from is not used.
import type { Observable, Subscription } from 'rxjs';
import type { CameraConfig } from '../../config/types.js';
import type { FrameStoreView } from '../../core/frame-store.js';
import { overlaps } from '../../core/geometry.js';
import type { Logger } from '../../core/logger.js';
import type { MotionView } from '../../core/motion-view.js';
import type { Sink } from '../../core/sink.js';
import type { Box, CameraUpdate, FrameResult } from '../../core/types.js';
import { CollectStore, type CollectCounts } from './collect-store.js';
import { copyCrop, cropRect, type Crop } from './crop.js';

export interface CollectorInputs {
  updates$: Observable<CameraUpdate>;
  results$: Observable<FrameResult>;
  readonly frames: FrameStoreView;
  readonly motion?: MotionView;
}

interface Best {
  crop: Crop;
  label: string;
  score: number;
  box: Box;
  time: number;
  picture: [number, number];
}

interface Camera {
  config: CameraConfig;
  labels: Set<string>;
  store: CollectStore;
  /** the camera's state boxes, listed once (the config is frozen; results come every frame) */
  states: [string, CameraConfig['states'][string]][];
  /** stream time of each state's last saved crop */
  stateSaved: Map<string, number>;
}

/**
 * An object tracked this long (stream seconds) has its best crop so far written then, once, instead of at its end: a
 * car parked for the day would otherwise give nothing until it leaves.
 */
export const LONG_LIVED_SECONDS = 300;

/** motion-triggered state crops at most this often (stream seconds) */
const MOTION_GAP_SECONDS = 1;

export class Collector implements Sink {
  readonly name = 'collect';
  private readonly cameras = new Map<string, Camera>();
  /** one store per folder: cameras sharing a folder share its bounds */
  readonly stores = new Map<string, CollectStore>();
  private readonly best = new Map<string, Best>();
  /** objects still open whose crop was written early (long-lived) */
  private readonly written = new Set<string>();
  private readonly subscriptions: Subscription[];

  constructor(
    private readonly inputs: CollectorInputs,
    cameras: readonly CameraConfig[],
    private readonly logger: Logger,
  ) {
    for (const c of cameras) {
      if (!c.collect.enabled) continue;
      const k = c.collect;
      let store = this.stores.get(k.dir);
      if (!store) {
        store = new CollectStore(k.dir, { maxPerClass: k.maxPerClass, maxBytes: k.maxBytes, duplicateSimilarity: k.duplicateSimilarity }, logger.child({ component: 'collect' }));
        this.stores.set(k.dir, store);
      }
      this.cameras.set(c.name, { config: c, labels: new Set(k.labels ?? c.objects.track), store, states: Object.entries(c.states), stateSaved: new Map() });
    }
    this.subscriptions = [
      inputs.updates$.subscribe((u) => this.onUpdate(u)),
      ...([...this.cameras.values()].some((c) => c.states.length > 0) ? [inputs.results$.subscribe((r) => this.onResult(r))] : []),
    ];
  }

  /** Totals over every store. */
  get counts(): CollectCounts {
    const t: CollectCounts = { saved: 0, duplicates: 0, full: 0, dropped: 0, failed: 0 };
    for (const s of this.stores.values()) for (const k of Object.keys(t) as (keyof CollectCounts)[]) t[k] += s.counts[k];
    return t;
  }

  /** Resolves once every crop queued so far is written. */
  async idle(): Promise<void> {
    await Promise.all([...this.stores.values()].map((s) => s.idle()));
  }

  private onUpdate(u: CameraUpdate): void {
    const cam = this.cameras.get(u.camera);
    if (!cam) return;
    for (const e of u.events) {
      const o = e.after;
      if (!cam.labels.has(o.label)) continue;
      if (e.type === 'end') {
        const best = this.best.get(o.id);
        this.best.delete(o.id);
        if (best && !this.written.delete(o.id)) this.save(cam, u.camera, o.id, best);
        continue;
      }
      if (!this.written.has(o.id) && u.pts - o.startTime >= LONG_LIVED_SECONDS) {
        const best = this.best.get(o.id);
        if (best) {
          this.written.add(o.id);
          this.best.delete(o.id);
          this.save(cam, u.camera, o.id, best);
        }
      }
      if (this.written.has(o.id)) continue;
      // `new`: the object is in this frame above its threshold; `update`: a better snapshot moves the best crop, and
      // any update gives an object without a crop yet one (its `new` frame may have been overwritten in the store
      // already when inference runs behind, as it does on a file read at full speed)
      const better = e.type === 'update' && e.before.bestFrameTime !== o.bestFrameTime && o.bestFrameTime === u.pts;
      if (e.type !== 'new' && !better && this.best.has(o.id)) continue;
      const stored = this.inputs.frames.latest(u.camera);
      if (!stored?.picture || stored.meta.pts !== u.pts) continue;
      const rect = cropRect(o.box, cam.config.collect.margin, { width: stored.meta.transform.srcWidth, height: stored.meta.transform.srcHeight }, stored.picture);
      if (!rect) continue;
      const prev = this.best.get(o.id);
      if (prev && prev.score >= o.score) continue;
      this.best.set(o.id, { crop: copyCrop(stored.picture, rect), label: o.label, score: o.score, box: [...o.box] as Box, time: u.pts + u.epochOffset, picture: [stored.picture.width, stored.picture.height] });
    }
  }

  private save(cam: Camera, camera: string, id: string, best: Best): void {
    const { x, y, width, height } = best.crop.rect;
    cam.store.add(best.crop, { kind: 'object', camera, label: best.label, time: best.time, score: best.score, box: best.box, crop: [x, y, width, height], picture: best.picture, event_id: id });
  }

  private onResult(r: FrameResult): void {
    const cam = this.cameras.get(r.frame.camera);
    if (!cam) return;
    const states = cam.states;
    if (states.length === 0) return;
    const pts = r.frame.pts;
    let motion: readonly Box[] | undefined;
    for (const [name, state] of states) {
      const last = cam.stateSaved.get(name);
      let due = last === undefined || pts - last >= cam.config.collect.stateIntervalSeconds;
      if (!due && state.onMotion && pts - last! >= MOTION_GAP_SECONDS) {
        motion ??= this.inputs.motion?.latest(r.frame.camera)?.boxes ?? [];
        due = motion.some((b) => overlaps(b, state.box as Readonly<Box>));
      }
      if (!due) continue;
      const stored = this.inputs.frames.latest(r.frame.camera);
      if (!stored?.picture) continue;
      const rect = cropRect([...state.box] as Box, 0, { width: stored.meta.transform.srcWidth, height: stored.meta.transform.srcHeight }, stored.picture);
      if (!rect) continue;
      cam.stateSaved.set(name, pts);
      cam.store.add(copyCrop(stored.picture, rect), {
        kind: 'state',
        camera: r.frame.camera,
        label: name,
        time: stored.meta.capturedAt / 1000,
        box: [...state.box] as Box,
        crop: [rect.x, rect.y, rect.width, rect.height],
        picture: [stored.picture.width, stored.picture.height],
      });
    }
  }

  async close(): Promise<void> {
    for (const s of this.subscriptions) s.unsubscribe();
    this.best.clear();
    this.written.clear();
    await Promise.all([...this.stores.values()].map((s) => s.close()));
  }
}
