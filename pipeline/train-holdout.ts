// The test split written as a dataset `lookout eval` reads, so the accuracy `lookout train` reports can be reproduced
// with the exported model: MNIST digits as IDX files (the original 28×28 bytes), class folders as symbolic links to
// the original images in folders named after the classes.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { MNIST_IMAGES, MNIST_LABELS } from './eval/mnist.js';
import type { TrainDataset } from './train-data.js';

/** Writes the items at `indices` under `dir` (which must exist and be empty); returns the dataset spec for it. */
export async function writeHoldout(dataset: TrainDataset, indices: readonly number[], dir: string): Promise<string> {
  if (dataset.kind === 'mnist') {
    const size = dataset.width * dataset.height;
    const images = new Uint8Array(16 + indices.length * size);
    const view = new DataView(images.buffer);
    view.setUint32(0, 2051);
    view.setUint32(4, indices.length);
    view.setUint32(8, dataset.height);
    view.setUint32(12, dataset.width);
    const labels = new Uint8Array(8 + indices.length);
    new DataView(labels.buffer).setUint32(0, 2049);
    new DataView(labels.buffer).setUint32(4, indices.length);
    indices.forEach((index, row) => {
      const item = dataset.items[index]!;
      images.set(item.pixels, 16 + row * size);
      labels[8 + row] = item.label;
    });
    await writeFile(join(dir, MNIST_IMAGES), images);
    await writeFile(join(dir, MNIST_LABELS), labels);
    return 'mnist:';
  }
  for (const c of dataset.categories) await mkdir(join(dir, c.name));
  for (const index of indices) {
    const item = dataset.items[index]!;
    await symlink(resolve(item.path), join(dir, dataset.categories[item.label]!.name, basename(item.path)));
  }
  return '';
}
