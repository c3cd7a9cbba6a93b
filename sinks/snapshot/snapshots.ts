// Snapshots: a JPEG of the frame with the object's box, taken when an object's best score improves (Frigate's
// `bestFrameTime`). Encoding happens only then, never per frame. HTTP serves them; MQTT publishes them retained.
import { Subject, type Observable, type Subscription } from 'rxjs';
import type { CameraUpdate } from '../../core/types.js';
import type { FrameStoreView as FrameStore } from '../../core/frame-store.js';
import type { Logger } from '../../core/logger.js';
import { renderJpeg } from './render.js';

export interface Snapshot {
  id: string;
  camera: string;
  label: string;
  score: number;
  /** frame time of the picture */
  frameTime: number;
  jpeg: Buffer;
}

export class Snapshots {
  private readonly subject = new Subject<Snapshot>();
  /** hot: each new or better snapshot */
  readonly snapshots$: Observable<Snapshot> = this.subject.asObservable();
  private readonly byId = new Map<string, Snapshot>();
  private readonly subscription: Subscription;
  private pending = 0;

  constructor(
    updates$: Observable<CameraUpdate>,
    private readonly frames: FrameStore,
    private readonly logger: Logger,
    private readonly maxKept = 100,
  ) {
    this.subscription = updates$.subscribe((u) => this.onUpdate(u));
  }

  private onUpdate(u: CameraUpdate): void {
    for (const e of u.events) {
      if (e.type === 'end') continue;
      const o = e.after;
      // `new`: the object is in this frame above its threshold, a good first picture; `update`: only a better score
      const better = e.type === 'update' && e.before.bestFrameTime !== o.bestFrameTime && o.bestFrameTime === u.pts;
      if (e.type !== 'new' && !better) continue;
      const stored = this.frames.latest(u.camera);
      // the store holds the frame this update was computed from; anything else would be the wrong picture
      if (!stored || stored.meta.pts !== u.pts) continue;
      // a burst of events must not queue unbounded encodes
      if (this.pending >= 4) continue;
      this.pending++;
      renderJpeg(stored, [{ label: o.label, score: o.score, box: o.box }])
        .then((jpeg) => this.put({ id: o.id, camera: o.camera, label: o.label, score: o.score, frameTime: u.pts, jpeg }))
        .catch((err: unknown) => this.logger.warn(`snapshot of ${o.id} failed: ${(err as Error).message}`, { component: 'snapshots', camera: u.camera }))
        .finally(() => this.pending--);
    }
  }

  private put(s: Snapshot): void {
    this.byId.delete(s.id);
    this.byId.set(s.id, s);
    while (this.byId.size > this.maxKept) this.byId.delete(this.byId.keys().next().value as string);
    if (!this.subject.closed) this.subject.next(s);
  }

  get(id: string): Snapshot | undefined {
    return this.byId.get(id);
  }

  close(): void {
    this.subscription.unsubscribe();
    this.subject.complete();
  }
}
