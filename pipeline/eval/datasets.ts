// The dataset argument of `lookout eval`: one string names the kind and the files.
import { dirname } from 'node:path';
import { LookoutError } from '../../core/errors.js';
import { readCocoDataset, type CocoDataset, type ReadCocoOptions } from './coco.js';
import { readImageFolder, type FolderDataset } from './folder.js';
import { readMnist, type MnistDataset } from './mnist.js';

export type DatasetSpec =
  | { kind: 'mnist'; dir: string }
  | { kind: 'folder'; dir: string }
  | { kind: 'coco'; annotationsFile: string; imagesDir: string };

export type Dataset = MnistDataset | FolderDataset | CocoDataset;

export const DATASET_SPEC_FORMS = 'mnist:DIR, coco:ANNOTATIONS.json[:IMAGES_DIR], or a directory with one sub-folder per class';

/**
 * `mnist:DIR` | `coco:ANNOTATIONS.json[:IMAGES_DIR]` | `folder:DIR` | `DIR`. The COCO form splits at the first `.json:`,
 * so an images folder may itself contain colons. Pure: paths are checked when the dataset is read. Throws
 * LOOKOUT_ERR_DATASET for an empty spec or one that names no path.
 */
export function parseDatasetSpec(spec: string): DatasetSpec {
  const fail = (why: string): never => {
    throw new LookoutError('LOOKOUT_ERR_DATASET', `dataset ${JSON.stringify(spec)}: ${why} (expected ${DATASET_SPEC_FORMS})`);
  };
  if (spec.trim() === '') fail('is empty');
  if (spec.startsWith('mnist:')) {
    const dir = spec.slice('mnist:'.length);
    if (dir === '') fail('names no directory');
    return { kind: 'mnist', dir };
  }
  if (spec.startsWith('coco:')) {
    const rest = spec.slice('coco:'.length);
    const cut = rest.toLowerCase().indexOf('.json:');
    const annotationsFile = cut === -1 ? rest : rest.slice(0, cut + '.json'.length);
    const imagesDir = cut === -1 ? '' : rest.slice(cut + '.json:'.length);
    if (annotationsFile === '') fail('names no annotations file');
    return { kind: 'coco', annotationsFile, imagesDir: imagesDir === '' ? dirname(annotationsFile) : imagesDir };
  }
  if (spec.startsWith('folder:')) {
    const dir = spec.slice('folder:'.length);
    if (dir === '') fail('names no directory');
    return { kind: 'folder', dir };
  }
  return { kind: 'folder', dir: spec };
}

/** Parses the spec and reads the dataset (labels and file lists; images are decoded later). */
export async function openDataset(spec: string | DatasetSpec, options: ReadCocoOptions = {}): Promise<Dataset> {
  const parsed = typeof spec === 'string' ? parseDatasetSpec(spec) : spec;
  switch (parsed.kind) {
    case 'mnist':
      return readMnist(parsed.dir);
    case 'folder':
      return readImageFolder(parsed.dir);
    case 'coco':
      return readCocoDataset(parsed.annotationsFile, parsed.imagesDir, options);
  }
}
