// The inference stage: frames from every camera are queued, cut into batches (size or timeout, whichever first, like
// DeepStream's batch-size + batched-push-timeout) and sent to the one detector, one batch at a time.
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Detector } from '../core/detector.js';
import type { BackpressurePolicy } from '../core/frame-source.js';
import { isLookoutError, LookoutError } from '../core/errors.js';
import { FrameQueue } from './frame-queue.js';
import type { Frame, FrameMeta, FrameResult } from '../core/types.js';

export interface InferOptions {
  /** most frames in one batch (capped by what the detector takes) */
  maxSize: number;
  /** longest a waiting frame is held back for a fuller batch */
  maxWaitMs: number;
  /** how many cameras can contribute: a batch closes early once each has a frame in it */
  cameras: number;
  policyOf?: (camera: string) => BackpressurePolicy;
  scheduler?: SchedulerLike;
  now?: () => number;
  /** sees each frame of a successful batch just before its buffer goes back to the pool (e.g. to copy the pixels) */
  onFrame?: (frame: Frame) => void;
  /** called once per batch, for stats */
  onBatch?: (info: { size: number; inferenceMs: number; queueDepth: number }) => void;
  /** called for every frame of a live camera replaced in the queue by a newer one, and of a batch the detector lost, for stats */
  onDrop?: (camera: string, err?: unknown) => void;
}

/** batches handed to the detector at once: one running, one waiting in its message queue */
const MAX_IN_FLIGHT = 2;

export function inferFrames(detector: Detector, opts: InferOptions): OperatorFunction<Frame, FrameResult> {
  const scheduler = opts.scheduler ?? asyncScheduler;
  const now = opts.now ?? Date.now;
  const maxSize = Math.max(1, Math.min(opts.maxSize, detector.info.maxBatch));
  // Waiting for a fuller batch only pays when the model takes batches and other cameras may add to it.
  const mayWait = detector.info.dynamicBatch && maxSize > 1 && opts.maxWaitMs > 0;

  return (source) =>
    new Observable<FrameResult>((subscriber) => {
      const queue = new FrameQueue(1, opts.onDrop);
      /** batches sent to the detector and not yet answered */
      let inFlight = 0;
      let sourceDone = false;
      let timer: Subscription | undefined;
      let closed = false;
      /** when the oldest waiting frame was queued: the batch timeout counts from there, also across a busy detector */
      let oldestQueuedAt = 0;

      const finishIfDone = () => {
        if (sourceDone && inFlight === 0 && queue.size === 0) subscriber.complete();
      };

      const pump = () => {
        if (closed || queue.size === 0) return finishIfDone();
        // A second batch may queue up behind the running one only when it is full, so that the detector never
        // idles for a message round trip; a partial batch waits and grows instead.
        if (inFlight >= MAX_IN_FLIGHT || (inFlight > 0 && queue.size < maxSize)) return;
        const full = queue.size >= maxSize || queue.camerasWaiting >= Math.min(opts.cameras, maxSize);
        const waited = scheduler.now() - oldestQueuedAt;
        if (mayWait && !full && !sourceDone && waited < opts.maxWaitMs) {
          timer ??= scheduler.schedule(() => {
            timer = undefined;
            runBatch();
          }, opts.maxWaitMs - waited);
          return;
        }
        runBatch();
      };

      const runBatch = () => {
        timer?.unsubscribe();
        timer = undefined;
        if (closed || queue.size === 0) return finishIfDone();
        if (inFlight >= MAX_IN_FLIGHT) return;
        inFlight++;
        const frames = queue.take(maxSize);
        const queueDepth = queue.size;
        oldestQueuedAt = scheduler.now();
        const startedAt = now();
        detector
          .detect(frames.map((f) => ({ data: f.data, transform: f.transform })))
          .then(
            (out) => {
              if (out.results.length !== frames.length) throw new LookoutError('LOOKOUT_ERR_INFERENCE', `the detector returned ${out.results.length} results for ${frames.length} frames`);
              opts.onBatch?.({ size: frames.length, inferenceMs: out.inferenceMs, queueDepth });
              // each frame is handed to onFrame (the frame store) right before its own result goes out, so what
              // reacts to that result synchronously (snapshots, collected crops) finds that frame's picture in the
              // store, not a later frame of the same camera from the same batch
              frames.forEach((f, i) => {
                const r = out.results[i];
                opts.onFrame?.(f);
                f.release();
                if (!closed) {
                  subscriber.next({
                    frame: metaOf(f),
                    detections: r.detections,
                    timings: { queuedMs: Math.max(0, startedAt - f.capturedAt), inferenceMs: out.inferenceMs, postprocessMs: r.postprocessMs, batchSize: frames.length },
                  });
                }
              });
            },
          )
          .catch((err: unknown) => {
            for (const f of frames) f.release();
            if (closed) return;
            // a supervised detector lost this batch and restarts by itself: the frames count as dropped, the rest goes on
            if (isLookoutError(err) && err.code === 'LOOKOUT_ERR_BATCH_LOST') for (const f of frames) opts.onDrop?.(f.camera, err);
            else subscriber.error(err);
          })
          .finally(() => {
            inFlight--;
            pump();
          });
      };

      const sub = source.subscribe({
        next: (frame) => {
          if (queue.size === 0) oldestQueuedAt = scheduler.now();
          queue.push(frame, opts.policyOf?.(frame.camera) ?? 'wait');
          pump();
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          pump();
        },
      });

      return () => {
        closed = true;
        sub.unsubscribe();
        timer?.unsubscribe();
        queue.clear();
      };
    });
}

/** Everything about a frame but its pixels (which go back to their pool). */
export function metaOf(f: Frame): FrameMeta {
  return { camera: f.camera, seq: f.seq, pts: f.pts, capturedAt: f.capturedAt, format: f.format, transform: f.transform };
}
