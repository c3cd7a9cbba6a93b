// The evaluation loop: dataset items → frames in the detector's format → the same batched worker detector the live
// pipeline uses → metrics. Eval is an application like `run`: it lives above models/ and sources/, and is handed its
// still-image decoder (sources/image-decoder's in-process decodeImageFile unless a caller gives another). Images are
// decoded several at once on libuv's thread pool while the worker runs inference, and more than one batch is kept in
// flight, so the worker never waits for the main thread. An image that cannot be decoded is reported and skipped.
import { describeError, isLookoutError, LookoutError } from '../../core/errors.js';
import { mergeMap, Observable, range, type Subscription } from 'rxjs';
import type { Detection, Frame, FrameFormat, ImageTransform } from '../../core/types.js';
import { inferFrames } from '../infer.js';
import { decodeGreyPixels, decodeImageFile, type DecodedFrame } from '../../sources/image-decoder.js';
import type { Detector } from '../../core/detector.js';
import { matchCategories } from './categories.js';
import { classificationMetrics, type LabelPair } from './classification.js';
import { evaluateCoco, toCocoDetections, type CocoDetection } from './coco-map.js';
import type { Dataset } from './datasets.js';
import type { FolderDataset } from './folder.js';
import type { MnistDataset } from './mnist.js';
import type { EvalReport } from './report.js';

/**
 * The score a detection needs to take part in mAP. COCO practice (and Ultralytics' `val`) keeps nearly every box, since
 * AP integrates over all score levels and a high cut would end every precision/recall curve early; the user's
 * threshold is only where precision, recall and F1 are read.
 */
export const MAP_MIN_SCORE = 0.001;

export interface RunEvalOptions {
  /** the still-image decoder (default: sources/image-decoder's decodeImageFile) */
  decode?: ImageFileDecoder;
  /** the dataset spec and model as the user gave them, for the report */
  datasetName: string;
  modelName: string;
  /** detection: where precision/recall/F1 are read (mAP uses every detection the detector returns) */
  scoreThreshold: number;
  /** evaluate only the first `limit` items */
  limit?: number;
  /** most frames in one detect() call; capped by the detector */
  batch: number;
  /** called once per item that cannot be decoded (LOOKOUT_ERR_MEDIA); the run goes on without it */
  onUnreadable?: (index: number, err: LookoutError) => void;
  /** images decoded at once (default: DEFAULT_DECODERS) */
  decoders?: number;
  /** after every batch, with items done and the total */
  onProgress?: (done: number, total: number) => void;
  now?: () => number;
}

/** What the detector should be created with for `dataset`: classifiers report top-1 at any score; detectors keep nearly all boxes. */
export function detectorSettings(task: 'classification' | 'detection', scoreThreshold: number): { threshold: number; topK: number } {
  return task === 'classification' ? { threshold: 0, topK: 1 } : { threshold: Math.min(MAP_MIN_SCORE, scoreThreshold), topK: 100 };
}

export function taskOf(dataset: Dataset): 'classification' | 'detection' {
  return dataset.kind === 'coco' ? 'detection' : 'classification';
}

/**
 * Throws LOOKOUT_ERR_DATASET when the adapter cannot be evaluated on the dataset's task: a classifier on COCO boxes,
 * or a detector on labelled images (it has no "nothing found" class to compare with a label).
 */
export function checkTask(adapter: string, dataset: Dataset): void {
  const classifier = adapter === 'classifier';
  if (classifier && dataset.kind === 'coco') {
    throw new LookoutError('LOOKOUT_ERR_DATASET', `adapter classifier: a classifier cannot be evaluated on COCO boxes (${dataset.annotationsFile}); use an image-folder or mnist: dataset`);
  }
  if (!classifier && dataset.kind !== 'coco') {
    throw new LookoutError('LOOKOUT_ERR_DATASET', `adapter ${adapter} is a detector: evaluate it on a COCO dataset (coco:ANNOTATIONS.json[:IMAGES_DIR]); ${dataset.kind === 'mnist' ? 'mnist:' : 'image-folder'} datasets are for --adapter classifier`);
  }
}

/**
 * Runs every item (up to `limit`) through the detector and computes the report. An item that cannot be decoded is
 * handed to `onUnreadable`, left out of the metrics and counted in the report's `unreadable`.
 */
export async function runEval(detector: Detector, dataset: Dataset, opts: RunEvalOptions): Promise<EvalReport> {
  checkTask(detector.info.adapter, dataset);
  const now = opts.now ?? (() => performance.now());
  const count = Math.min(dataset.items.length, opts.limit ?? Infinity);
  const unreadable = new Set<number>();
  const loopOpts: RunEvalOptions = {
    ...opts,
    onUnreadable: (index, err) => {
      unreadable.add(index);
      opts.onUnreadable?.(index, err);
    },
  };
  const meta = (elapsedMs: number) => ({ dataset: opts.datasetName, model: opts.modelName, items: count - unreadable.size, unreadable: unreadable.size, elapsedMs });
  if (dataset.kind === 'coco') {
    const match = matchCategories(dataset.categories, detector.info.labels);
    const items = dataset.items.slice(0, count);
    const perImage: CocoDetection[][] = new Array(count);
    const started = now();
    await inferAll(detector, count, fileLoader(items.map((i) => i.path), detector.info.format, opts.decode), (index, detections) => {
      perImage[index] = toCocoDetections(items[index]!.imageId, detections, match.modelToDataset);
    }, loopOpts);
    const elapsedMs = now() - started;
    // an unreadable image is not evaluated: its boxes would otherwise count as missed by the model
    const readable = items.filter((_, i) => !unreadable.has(i));
    const evaluated = new Set(readable.map((i) => i.imageId));
    const metrics = evaluateCoco(
      {
        imageIds: readable.map((i) => i.imageId),
        categories: dataset.categories,
        groundTruths: dataset.groundTruths.filter((g) => evaluated.has(g.imageId)),
        detections: perImage.flat(),
      },
      { scoreThreshold: opts.scoreThreshold },
    );
    return { task: 'detection', meta: meta(elapsedMs), metrics };
  }

  const { truth, labels } = classTruth(dataset, detector.info.labels);
  const predictions = new Int32Array(count);
  const loader = dataset.kind === 'mnist' ? mnistLoader(dataset, detector.info.format) : fileLoader(dataset.items.map((i) => i.path), detector.info.format, opts.decode);
  const started = now();
  try {
    await inferAll(detector, count, loader, (index, detections) => {
      const top = detections[0];
      // the detector is created with threshold 0 and topK 1 for classifiers, so there is always one
      if (top === undefined) throw new LookoutError('LOOKOUT_ERR_INFERENCE', `item ${index}: the classifier returned no class`);
      predictions[index] = top.classId;
    }, loopOpts);
  } finally {
    await loader.close();
  }
  const elapsedMs = now() - started;
  const pairs: LabelPair[] = [];
  for (let i = 0; i < count; i++) if (!unreadable.has(i)) pairs.push([truth(i), predictions[i]!]);
  let classes = Math.max(labels.length, dataset.categories.length);
  for (const [t, p] of pairs) classes = Math.max(classes, t + 1, p + 1);
  return { task: 'classification', meta: meta(elapsedMs), labels, metrics: classificationMetrics(pairs, classes) };
}

/** A class folder name that is a class id: `0`, `7`, `12` (no sign, no leading zero). */
const CLASS_ID_NAME = /^(0|[1-9][0-9]{0,5})$/;

/**
 * The model class id each item truly is, and the names of the class ids. MNIST's label is the class id (digit models
 * output 0..9 in order); a folder's class names are matched to the model's labels by name, never by position. A model
 * without labels can still be evaluated on folders named by class id (`0` … `N−1`, as torchvision's digit sets are
 * laid out): the folder name is the class id.
 */
export function classTruth(dataset: MnistDataset | FolderDataset, modelLabels: readonly string[]): { truth: (index: number) => number; labels: readonly string[] } {
  if (dataset.kind === 'mnist') {
    const labels = modelLabels.length > 0 ? modelLabels : dataset.categories.map((c) => c.name);
    return { truth: (i) => dataset.items[i]!.label, labels };
  }
  if (modelLabels.length === 0) {
    if (dataset.categories.every((c) => CLASS_ID_NAME.test(c.name))) {
      const ids = dataset.categories.map((c) => Number(c.name));
      const labels = Array.from({ length: Math.max(...ids) + 1 }, (_, id) => String(id));
      return { truth: (i) => ids[dataset.items[i]!.label]!, labels };
    }
    const named = dataset.categories.filter((c) => !CLASS_ID_NAME.test(c.name)).map((c) => JSON.stringify(c.name));
    throw new LookoutError(
      'LOOKOUT_ERR_DATASET',
      `${dir(dataset)}: the model has no labels to match the class folders against (${named.slice(0, 3).join(', ')}${named.length > 3 ? ', …' : ''} ${named.length === 1 ? 'is' : 'are'} not a class id); give them with --labels FILE (one class a line, in class-id order), or name the folders 0 … N-1 by class id`,
    );
  }
  const { datasetToModel } = matchCategories(dataset.categories, modelLabels);
  return { truth: (i) => datasetToModel.get(dataset.items[i]!.label)!, labels: modelLabels };
}

function dir(dataset: FolderDataset): string {
  return dataset.dir;
}

/** One frame ready for the detector; `release` gives its buffer back. */
export type LoadedFrame = DecodedFrame;

/** Decodes one still-image file into exactly `format` (injected; sources/image-decoder's decodeImageFile by default). */
export type ImageFileDecoder = (path: string, format: FrameFormat) => Promise<LoadedFrame>;

export interface FrameLoader {
  load(index: number): Promise<LoadedFrame>;
  /** removes whatever the loader made; idempotent */
  close(): Promise<void>;
}

/** Decodes `paths[index]` with `decode` into exactly `format`. */
export function fileLoader(paths: readonly string[], format: FrameFormat, decode: ImageFileDecoder = decodeImageFile): FrameLoader {
  return { load: (index) => decode(paths[index]!, format), close: async () => undefined };
}

/**
 * MNIST digits as frames. When the model takes 28×28 grey (mnist-8 and its kind) the IDX pixels already are such
 * frames, so they go to the worker as they are, from one SharedArrayBuffer (no copy per digit, no decode). Any other
 * input format gets each digit scaled and converted in-process by the still-image decoder.
 */
export function mnistLoader(dataset: MnistDataset, format: FrameFormat): FrameLoader {
  const { width, height } = dataset;
  const identity: ImageTransform = { srcWidth: width, srcHeight: height, scaleX: 1, scaleY: 1, padX: 0, padY: 0 };
  if (format.layout === 'gray' && format.width === width && format.height === height) {
    const size = width * height;
    // a view into an ordinary ArrayBuffer would be cloned whole (all 7.8 MB) on every postMessage; a shared one is not
    const shared = new Uint8Array(new SharedArrayBuffer(dataset.items.length * size));
    dataset.items.forEach((item, i) => shared.set(item.pixels, i * size));
    return {
      load: async (index) => ({ data: shared.subarray(index * size, (index + 1) * size), transform: identity, release: () => undefined }),
      close: async () => undefined,
    };
  }
  return {
    load: (index) => decodeGreyPixels({ pixels: dataset.items[index]!.pixels, width, height }, format, `digit ${index}`),
    close: async () => undefined,
  };
}

/** Decoders at once by default: enough outstanding sharp calls to keep libuv's 4 pool threads busy on tiny images. */
export const DEFAULT_DECODERS = 16;

/**
 * Loads items 0..count-1 and sends them through the same batching operator as the cameras (pipeline/infer.ts'
 * inferFrames: batches of up to `batch` frames, a second batch queued only when full) as the frames of one file-like
 * camera whose sequence numbers are the item indices, and calls `onResult` per item, in the order results arrive. At most
 * `decoders` loads run at once and a bounded number of frames is held, so memory stays flat on any dataset size. On the
 * first failure nothing new starts; the promise rejects once every load already started has finished and every frame
 * is released. A load that fails with LOOKOUT_ERR_MEDIA is no failure when `onUnreadable` is given: it is reported
 * there, counted as done, and the rest go on.
 */
export function inferAll(
  detector: Detector,
  count: number,
  loader: Pick<FrameLoader, 'load'>,
  onResult: (index: number, detections: Detection[]) => void,
  opts: Pick<RunEvalOptions, 'batch' | 'decoders' | 'onProgress' | 'onUnreadable'>,
): Promise<void> {
  const maxBatch = Math.max(1, Math.min(opts.batch, detector.info.maxBatch));
  const decoders = Math.max(1, opts.decoders ?? DEFAULT_DECODERS);
  // what decodes, waits in the queue and runs (two batches in flight) may hold at once
  const maxHeld = decoders + maxBatch * 3;
  const format = detector.info.format;

  return new Promise<void>((resolve, reject) => {
    let held = 0;
    let loading = 0;
    let done = 0;
    let failure: { err: unknown } | undefined;
    const waiting: (() => void)[] = [];
    const settleIfIdle = () => {
      if (failure && held === 0 && loading === 0) reject(failure.err);
    };
    const giveBack = () => {
      held--;
      waiting.shift()?.();
      settleIfIdle();
    };
    const progress = () => {
      done++;
      opts.onProgress?.(done, count);
    };

    // one item: wait for room, load it, and hand it on as a Frame; a load that finishes after teardown is released
    const loadItem = (index: number) =>
      new Observable<Frame>((subscriber) => {
        let active = true;
        const start = () => {
          if (!active) return;
          held++;
          loading++;
          loader.load(index).then(
            (loaded) => {
              loading--;
              const frame: Frame = { camera: EVAL_CAMERA, seq: index, pts: index, capturedAt: Date.now(), format, transform: loaded.transform, data: loaded.data, release: once(() => { loaded.release(); giveBack(); }) };
              if (!active) return frame.release();
              subscriber.next(frame);
              subscriber.complete();
            },
            (err: unknown) => {
              loading--;
              giveBack();
              if (!active) return;
              if (opts.onUnreadable && isLookoutError(err) && err.code === 'LOOKOUT_ERR_MEDIA') {
                try {
                  opts.onUnreadable(index, err);
                } catch (thrown) {
                  return subscriber.error(thrown);
                }
                progress();
                return subscriber.complete();
              }
              subscriber.error(err);
            },
          );
        };
        if (held < maxHeld) start();
        else waiting.push(start);
        return () => {
          active = false;
        };
      });

    let subscription: Subscription | undefined;
    subscription = range(0, count)
      .pipe(
        mergeMap(loadItem, decoders),
        inferFrames(detector, { maxSize: maxBatch, maxWaitMs: 0, cameras: 1, policyOf: () => 'wait' }),
      )
      .subscribe({
        next: (r) => {
          if (failure) return;
          try {
            onResult(r.frame.seq, r.detections);
            progress();
          } catch (err) {
            fail(err);
          }
        },
        error: (err: unknown) => fail(err),
        complete: () => resolve(),
      });
    if (failure) subscription.unsubscribe();
    function fail(err: unknown): void {
      failure ??= { err };
      waiting.length = 0;
      subscription?.unsubscribe();
      settleIfIdle();
    }
  });
}

/** The camera name eval's frames carry through the batcher. */
const EVAL_CAMERA = 'eval';

function once(fn: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    fn();
  };
}
