// The object stage as an RxJS operator: FrameResults from any number of cameras in, CameraUpdates out, with one
// CameraObjects (tracker, zones, event state) per camera, created on its first frame and owned by the subscription.
import { Observable, type OperatorFunction } from 'rxjs';
import { CameraObjects, hasNews, type CameraObjectsInput } from './events.js';
import type { CameraUpdate, SubLabelDecision } from '../core/types.js';
import type { RandomSource } from '../core/random.js';
import type { FrameResult } from '../core/types.js';

export interface TrackObjectsOptions {
  /** per-camera options by camera id; a camera not listed gets DEFAULT_OBJECT_OPTIONS */
  cameras?: Readonly<Record<string, CameraObjectsInput>>;
  /**
   * the id suffix source of a camera, asked once per camera and subscription (default Math.random); per camera so
   * that a seeded source gives a camera the same ids however its frames interleave with other cameras'
   */
  randomFor?: (camera: string) => RandomSource;
  /**
   * emit an update for every frame (overlays want each frame's boxes); by default only updates that carry events or
   * changed counts are emitted, so MQTT and logs see no per-frame traffic
   */
  everyFrame?: boolean;
  /**
   * camera ids whose open objects end now (detection paused on a camera: nothing will see them leave); the camera
   * keeps its state object, so ids stay unique when it resumes
   */
  flush$?: Observable<string>;
  /**
   * sees every update of every frame (and flush) as it is made, emitted or not, before anyone else: what must follow
   * objects frame by frame (classification attempts) without asking for `everyFrame` traffic downstream
   */
  onUpdate?: (update: CameraUpdate) => void;
  /** sub-labels a classifier agreed on: the object gets an `update` at once (pipeline/classify.ts) */
  subLabels$?: Observable<SubLabelDecision>;
}

/**
 * Tracks objects per camera. When the source completes every open object gets its `end` (one flush per camera, in
 * the order cameras were first seen) before completion; an error is passed on as is, without ends, because the state
 * of the cameras is then unknown. Unsubscribing drops all state silently.
 */
export function trackObjects(options: TrackObjectsOptions = {}): OperatorFunction<FrameResult, CameraUpdate> {
  const everyFrame = options.everyFrame ?? false;
  const wanted = (u: CameraUpdate) => everyFrame || hasNews(u);
  return (source) =>
    new Observable<CameraUpdate>((subscriber) => {
      // per subscription, so two subscribers never share tracker state
      const cameras = new Map<string, CameraObjects>();
      const objectsOf = (camera: string): CameraObjects => {
        let c = cameras.get(camera);
        if (c === undefined) {
          c = new CameraObjects(camera, options.cameras?.[camera], options.randomFor?.(camera) ?? Math.random);
          cameras.set(camera, c);
        }
        return c;
      };
      const subscription = source.subscribe({
        next: (result) => {
          let update: CameraUpdate;
          try {
            update = objectsOf(result.frame.camera).push(result);
            options.onUpdate?.(update);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          if (wanted(update)) subscriber.next(update);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          for (const c of cameras.values()) {
            const update = c.flush();
            options.onUpdate?.(update);
            if (wanted(update)) subscriber.next(update);
          }
          subscriber.complete();
        },
      });
      const flushes = options.flush$?.subscribe((camera) => {
        const c = cameras.get(camera);
        if (c === undefined || subscriber.closed) return;
        const update = c.flush();
        options.onUpdate?.(update);
        if (wanted(update)) subscriber.next(update);
      });
      const subLabels = options.subLabels$?.subscribe((d) => {
        if (subscriber.closed) return;
        const update = cameras.get(d.camera)?.setSubLabel(d.id, d.subLabel);
        if (update) subscriber.next(update);
      });
      return () => {
        subLabels?.unsubscribe();
        flushes?.unsubscribe();
        subscription.unsubscribe();
      };
    });
}
