// The inference stage: frames from every camera are queued, cut into batches (size or timeout, whichever first, like
// DeepStream's batch-size + batched-push-timeout) and sent to the one detector, one batch at a time. A frame is one
// input (the whole frame) or, in regions mode, one input per region: batches count inputs, so regions of several
// cameras share one; a frame's result (its regions' detections merged) leaves once all its inputs are answered, in
// arrival order per camera, and a frame with no region leaves with no detections in its turn.
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { DetectInput, DetectOutput, Detector } from '../core/detector.js';
import { mergeRegionDetections, regionToSource } from './region-merge.js';
import type { BackpressurePolicy } from '../core/frame-source.js';
import { isLookoutError, LookoutError } from '../core/errors.js';
import { letterboxRegion } from '../core/letterbox.js';
import { FrameQueue } from './frame-queue.js';
import type { Frame, FrameMeta, FrameResult } from '../core/types.js';

export interface InferOptions {
  /** most inputs (frames or regions) in one batch (capped by what the detector takes) */
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
  /** called once per batch, for stats (`size` inputs, `regions` of them crops) */
  onBatch?: (info: { size: number; inferenceMs: number; queueDepth: number; regions: number }) => void;
  /** frames of a live camera that may wait for inference (not yet started) before the oldest is dropped; default LATEST_DEPTH */
  latestDepth?: number;
  /** called for every frame of a live camera replaced in the queue by a newer one, and of a batch the detector lost, for stats */
  onDrop?: (camera: string, err?: unknown) => void;
}

/**
 * A live camera's frames that may wait for inference. Two, not one: a burst (motion on many cameras at once, the
 * whole frames of scans) holds a frame a little over one frame interval now and then, and with one waiting the regions
 * capacity bench dropped frames at 20 cameras while the detector was busy ~60 % of the time on average.
 */
export const LATEST_DEPTH = 2;

/** batches handed to the detector at once: one running, one waiting in its message queue */
const MAX_IN_FLIGHT = 2;

/**
 * A frame in the batcher: its inputs (the whole frame, or one crop per region), what came back for each, and when
 * the frame's pixels may go back to the pool (all inputs answered, or dropped with none in flight).
 */
class Job {
  readonly inputs: DetectInput[];
  readonly outputs: (DetectOutput | undefined)[];
  answered = 0;
  inFlight = 0;
  inferenceMs = 0;
  batchSize = 0;
  startedAt: number | undefined;
  state: 'waiting' | 'done' | 'dropped' = 'waiting';
  /** why its batch was lost, for the drop report */
  dropError: unknown;
  private released = false;

  constructor(readonly frame: Frame) {
    this.inputs = inputsOf(frame);
    this.outputs = new Array<DetectOutput | undefined>(this.inputs.length);
  }

  get camera(): string {
    return this.frame.camera;
  }

  /** Dropped (a newer frame replaced it, or the queue is cleared): its pixels go back once no batch reads them. */
  release(): void {
    if (this.state === 'waiting') this.state = 'dropped';
    this.freeIfIdle();
  }

  freeIfIdle(): void {
    if (this.released || this.inFlight > 0) return;
    this.released = true;
    this.frame.release();
  }
}

export function inferFrames(detector: Detector, opts: InferOptions): OperatorFunction<Frame, FrameResult> {
  const scheduler = opts.scheduler ?? asyncScheduler;
  const now = opts.now ?? Date.now;
  const maxSize = Math.max(1, Math.min(opts.maxSize, detector.info.maxBatch));
  // Waiting for a fuller batch only pays when the model takes batches and other cameras may add to it.
  const mayWait = detector.info.dynamicBatch && maxSize > 1 && opts.maxWaitMs > 0;

  return (source) =>
    new Observable<FrameResult>((subscriber) => {
      /** frames of each camera in arrival order, until their result is out: results leave in this order */
      const outbox = new Map<string, Job[]>();
      const queue = new FrameQueue<Job>(opts.latestDepth ?? LATEST_DEPTH, (_camera, job) => flush(job.camera));
      /** batches sent to the detector and not yet answered */
      let inFlight = 0;
      let sourceDone = false;
      let timer: Subscription | undefined;
      let closed = false;
      /** when the oldest waiting input was queued: the batch timeout counts from there, also across a busy detector */
      let oldestQueuedAt = 0;

      const finishIfDone = () => {
        if (sourceDone && inFlight === 0 && queue.size === 0 && outbox.size === 0) subscriber.complete();
      };

      /** Sends out, in arrival order, the camera's frames that are answered, and reports the dropped ones. */
      const flush = (camera: string, upTo?: Job) => {
        const jobs = outbox.get(camera);
        while (jobs && jobs.length > 0 && jobs[0].state !== 'waiting') {
          const job = jobs.shift()!;
          if (job.state === 'dropped') opts.onDrop?.(camera, job.dropError);
          else {
            // the frame goes to onFrame (the frame store) right before its own result, so what reacts to that result
            // synchronously (snapshots, collected and classified crops) finds this frame's picture in the store, not
            // a later frame of the same camera answered in the same batch
            opts.onFrame?.(job.frame);
            const result = resultOf(job);
            job.freeIfIdle();
            if (!closed) subscriber.next(result);
          }
          if (job === upTo) break;
        }
        if (jobs?.length === 0) outbox.delete(camera);
      };

      const resultOf = (job: Job): FrameResult => {
        const f = job.frame;
        const outs = job.outputs as DetectOutput[];
        const detections = outs.length === 1 ? outs[0].detections : mergeRegionDetections(outs.map((o) => o.detections));
        const regions = f.regions && f.picture ? f.regions.map((r) => regionToSource(r, f.picture!, f.transform)) : undefined;
        return {
          frame: metaOf(f),
          detections,
          timings: {
            queuedMs: job.startedAt === undefined ? 0 : Math.max(0, job.startedAt - f.capturedAt),
            inferenceMs: job.inferenceMs,
            postprocessMs: outs.reduce((sum, o) => sum + o.postprocessMs, 0),
            batchSize: job.batchSize,
          },
          ...(regions ? { regions } : {}),
        };
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
        const taken = queue.take(maxSize);
        const queueDepth = queue.size;
        oldestQueuedAt = scheduler.now();
        const startedAt = now();
        for (const t of taken) {
          t.item.inFlight++;
          t.item.startedAt ??= startedAt;
        }
        const settle = () => {
          for (const t of taken) {
            t.item.inFlight--;
            if (t.item.state === 'dropped') t.item.freeIfIdle();
          }
        };
        detector
          .detect(taken.map((t) => t.item.inputs[t.index]))
          .then(
            (out) => {
              if (out.results.length !== taken.length) throw new LookoutError('LOOKOUT_ERR_INFERENCE', `the detector returned ${out.results.length} results for ${taken.length} inputs`);
              opts.onBatch?.({ size: taken.length, inferenceMs: out.inferenceMs, queueDepth, regions: taken.filter((t) => t.item.frame.regions).length });
              settle();
              const completed: Job[] = [];
              taken.forEach((t, i) => {
                const job = t.item;
                if (job.state !== 'waiting') return;
                job.outputs[t.index] = out.results[i];
                job.inferenceMs += out.inferenceMs;
                job.batchSize = taken.length;
                if (++job.answered < job.inputs.length) return;
                job.state = 'done';
                completed.push(job);
              });
              // in batch order, each camera's frames in arrival order
              for (const job of completed) flush(job.camera, job);
              // and what waited behind them
              for (const camera of new Set(completed.map((j) => j.camera))) flush(camera);
            },
          )
          .catch((err: unknown) => {
            const lost = isLookoutError(err) && err.code === 'LOOKOUT_ERR_BATCH_LOST';
            settle();
            const cameras = new Set<string>();
            for (const t of taken) {
              if (t.item.state !== 'waiting') continue;
              queue.remove(t.item);
              t.item.dropError = err;
              t.item.release();
              cameras.add(t.item.camera);
            }
            if (closed) return;
            // a supervised detector lost this batch and restarts by itself: its frames count as dropped, the rest goes on
            if (lost) for (const c of cameras) flush(c);
            else subscriber.error(err);
          })
          .finally(() => {
            inFlight--;
            pump();
          });
      };

      const sub = source.subscribe({
        next: (frame) => {
          const job = new Job(frame);
          const jobs = outbox.get(frame.camera);
          if (jobs) jobs.push(job);
          else outbox.set(frame.camera, [job]);
          if (job.inputs.length === 0) {
            // nothing to look at (regions mode, no motion, no tracked object): an empty result, in its turn
            job.state = 'done';
            flush(frame.camera);
            return finishIfDone();
          }
          if (queue.size === 0) oldestQueuedAt = scheduler.now();
          queue.push(job, opts.policyOf?.(frame.camera) ?? 'wait', job.inputs.length);
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
        for (const jobs of outbox.values()) for (const job of jobs) job.release();
        outbox.clear();
      };
    });
}

/**
 * The model inputs of a frame: the whole frame (ffmpeg's, or cut from the picture when the source sent the picture
 * alone), or one crop of its picture per region.
 */
function inputsOf(f: Frame): DetectInput[] {
  if (!f.regions && f.data.length > 0) return [{ data: f.data, transform: f.transform }];
  const picture = f.picture;
  if (!picture) throw new LookoutError('LOOKOUT_ERR_INFERENCE', `frame ${f.camera}#${f.seq} has neither the model's pixels nor a picture to cut them from`);
  if (!f.regions) return [{ data: f.data, transform: f.transform, crop: { picture, region: letterboxRegion(f.format, picture), pad: f.format.padValue } }];
  return f.regions.map((region) => ({ data: f.data, transform: f.transform, crop: { picture, region } }));
}

/** Everything about a frame but its pixels (which go back to their pool). */
export function metaOf(f: Frame): FrameMeta {
  return { camera: f.camera, seq: f.seq, pts: f.pts, capturedAt: f.capturedAt, format: f.format, transform: f.transform };
}
