// The images `lookout train` learns from: a dataset (mnist: IDX files or class folders, as `lookout eval` reads them)
// checked for what training needs, decoded into exactly the pixels the `classifier` adapter will be fed (the same
// loaders `lookout eval` uses: the IDX bytes as they are for 28×28 grey, ffmpeg with the adapter's frame format
// otherwise), and split per class into train / validation / test parts with the run's seed.
import { LookoutError } from '../core/errors.js';
import type { FrameFormat } from '../core/types.js';
import type { Category } from './eval/categories.js';
import { openDataset, type Dataset } from './eval/datasets.js';
import type { FolderDataset } from './eval/folder.js';
import type { MnistDataset } from './eval/mnist.js';
import { fileLoader, mnistLoader, type FrameLoader, type ImageFileDecoder } from './eval/run-eval.js';
import type { ImageInput } from '../models/train/architecture.js';
import { deriveSeed, stratifiedSplit } from '../models/train/random.js';

export type TrainDataset = MnistDataset | FolderDataset;

export interface LoadedImages {
  dataset: TrainDataset;
  categories: Category[];
  /** count × height × width × channels bytes, channels last (RGB for colour) */
  images: Uint8Array;
  labels: Int32Array;
  input: ImageInput;
}

export interface SplitIndices {
  train: number[];
  validation: number[];
  test: number[];
}

/** The smallest class training accepts: one example to learn from and one to test on. */
export const MIN_PER_CLASS = 2;

/** Opens the dataset and checks that it can be trained on: labelled images, two classes or more, two examples a class. */
export async function openTrainDataset(spec: string): Promise<TrainDataset> {
  const dataset: Dataset = await openDataset(spec);
  if (dataset.kind === 'coco') {
    throw new LookoutError('LOOKOUT_ERR_TRAIN', `${spec}: a COCO detection dataset cannot train a classifier; give mnist:DIR or a directory with one sub-folder per class`);
  }
  checkClasses(spec, dataset.categories, (dataset.items as readonly { label: number }[]).map((i) => i.label));
  return dataset;
}

/** Throws LOOKOUT_ERR_TRAIN for fewer than two classes or a class with fewer than MIN_PER_CLASS examples. */
export function checkClasses(spec: string, categories: readonly Category[], labels: readonly number[]): void {
  const counts = new Map<number, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  const present = categories.filter((c) => (counts.get(c.id) ?? 0) > 0);
  if (present.length < 2) {
    const only = present[0] ? `only class ${JSON.stringify(present[0].name)}` : 'no class';
    throw new LookoutError('LOOKOUT_ERR_TRAIN', `${spec}: ${only} has examples; a classifier needs at least 2 classes (one sub-folder per class)`);
  }
  const empty = categories.filter((c) => (counts.get(c.id) ?? 0) === 0);
  if (empty.length > 0) {
    throw new LookoutError('LOOKOUT_ERR_TRAIN', `${spec}: class${empty.length === 1 ? '' : 'es'} ${empty.map((c) => JSON.stringify(c.name)).join(', ')} ha${empty.length === 1 ? 's' : 've'} no examples`);
  }
  const few = categories.filter((c) => counts.get(c.id)! < MIN_PER_CLASS);
  if (few.length > 0) {
    const list = few.map((c) => `${JSON.stringify(c.name)} (${counts.get(c.id)})`).join(', ');
    throw new LookoutError('LOOKOUT_ERR_TRAIN', `${spec}: class${few.length === 1 ? '' : 'es'} ${list} ha${few.length === 1 ? 's' : 've'} fewer than ${MIN_PER_CLASS} examples; every class needs at least ${MIN_PER_CLASS} (one to train on, one to test)`);
  }
}

/** The frame format the classifier adapter asks the decoder for, for a model with this input. */
export function classifierFormat(input: ImageInput): FrameFormat {
  return { width: input.width, height: input.height, layout: input.channels === 1 ? 'gray' : 'gbrp', resize: 'stretch', padValue: 0 };
}

/** Decodes every item into `input`'s size and channels; `onProgress(done, total)` after each; `decode`: ffmpeg unless given. */
export async function loadImages(dataset: TrainDataset, input: ImageInput, onProgress?: (done: number, total: number) => void, decode?: ImageFileDecoder): Promise<LoadedImages> {
  const format = classifierFormat(input);
  const loader: FrameLoader = dataset.kind === 'mnist' ? mnistLoader(dataset, format) : fileLoader(dataset.items.map((i) => i.path), format, decode);
  const count = dataset.items.length;
  const plane = input.width * input.height;
  const pixels = plane * input.channels;
  const images = new Uint8Array(count * pixels);
  const labels = Int32Array.from(dataset.items as readonly { label: number }[], (i) => i.label);
  // a few decodes at once: each image is an ffprobe and an ffmpeg start, mostly waiting
  const parallel = dataset.kind === 'mnist' ? 1 : 4;
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      let frame;
      try {
        frame = await loader.load(index);
      } catch (err) {
        if (err instanceof LookoutError && dataset.kind === 'folder') {
          const path = dataset.items[index]!.path;
          throw new LookoutError(err.code, err.message.includes(path) ? err.message : `${path}: ${err.message}`, { cause: err });
        }
        throw err;
      }
      try {
        const out = images.subarray(index * pixels, (index + 1) * pixels);
        if (input.channels === 1) out.set(frame.data.subarray(0, plane));
        else gbrpToRgb(frame.data, out, plane);
      } finally {
        frame.release();
      }
      onProgress?.(++done, count);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  } finally {
    await loader.close();
  }
  return { dataset, categories: dataset.categories, images, labels, input };
}

/** ffmpeg's planar G, B, R → interleaved R, G, B. */
function gbrpToRgb(src: Uint8Array, out: Uint8Array, plane: number): void {
  for (let i = 0; i < plane; i++) {
    out[i * 3] = src[2 * plane + i]!;
    out[i * 3 + 1] = src[i]!;
    out[i * 3 + 2] = src[plane + i]!;
  }
}

/** Per class: `testFraction` held out for the final test, then `validationFraction` of the rest for early stopping. */
export function splitIndices(labels: Int32Array, testFraction: number, validationFraction: number, seed: number): SplitIndices {
  const outer = stratifiedSplit(labels, testFraction, seed);
  const keptLabels = outer.kept.map((i) => labels[i]!);
  const inner = stratifiedSplit(keptLabels, validationFraction, deriveSeed(seed, 'validation'));
  return { train: inner.kept.map((i) => outer.kept[i]!), validation: inner.held.map((i) => outer.kept[i]!), test: outer.held };
}

/** The chosen items' pixels and labels, packed. */
export function pick(loaded: LoadedImages, indices: readonly number[]): { images: Uint8Array; labels: Int32Array } {
  const pixels = loaded.input.width * loaded.input.height * loaded.input.channels;
  const images = new Uint8Array(indices.length * pixels);
  indices.forEach((index, row) => images.set(loaded.images.subarray(index * pixels, (index + 1) * pixels), row * pixels));
  return { images, labels: Int32Array.from(indices, (i) => loaded.labels[i]!) };
}
