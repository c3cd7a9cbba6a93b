// The MNIST test set in its IDX files (plain or gzipped). Every check names the file, because a half-downloaded
// or renamed file is the usual way this goes wrong.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describeError, LookoutError } from '../../core/errors.js';
import type { Category } from './categories.js';

export interface MnistItem {
  index: number;
  /** row-major grey levels, white digit on black; a view into the one decoded images buffer */
  pixels: Uint8Array;
  width: number;
  height: number;
  label: number;
}

export interface MnistDataset {
  kind: 'mnist';
  imagesFile: string;
  labelsFile: string;
  width: number;
  height: number;
  /** the digits "0".."9", id = label */
  categories: Category[];
  items: MnistItem[];
}

export const MNIST_IMAGES = 't10k-images-idx3-ubyte';
export const MNIST_LABELS = 't10k-labels-idx1-ubyte';
const IMAGES_MAGIC = 2051;
const LABELS_MAGIC = 2049;
const DIGITS = 10;

/** Reads `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte` (each plain or `.gz`) from `dir`. */
export async function readMnist(dir: string): Promise<MnistDataset> {
  const imagesFile = await findFile(dir, MNIST_IMAGES);
  const labelsFile = await findFile(dir, MNIST_LABELS);
  const images = parseIdx(await readBytes(imagesFile), IMAGES_MAGIC, imagesFile);
  const labels = parseIdx(await readBytes(labelsFile), LABELS_MAGIC, labelsFile);
  const [count, height, width] = images.dims as [number, number, number];
  const [labelCount] = labels.dims as [number];
  if (count !== labelCount) {
    throw datasetError(`${imagesFile} holds ${count} images but ${labelsFile} holds ${labelCount} labels`);
  }
  if (width < 1 || height < 1) throw datasetError(`${imagesFile}: images are ${width}×${height}`);
  const size = width * height;
  const items: MnistItem[] = new Array(count);
  for (let index = 0; index < count; index++) {
    const label = labels.data[index]!;
    if (label >= DIGITS) throw datasetError(`${labelsFile}: label ${label} of item ${index} is not a digit 0..9`);
    items[index] = { index, pixels: images.data.subarray(index * size, (index + 1) * size), width, height, label };
  }
  const categories = Array.from({ length: DIGITS }, (_, id) => ({ id, name: String(id) }));
  return { kind: 'mnist', imagesFile, labelsFile, width, height, categories, items };
}

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/**
 * Parses an IDX file of unsigned bytes: a big-endian magic (0x0000, type 0x08, number of dimensions), one big-endian
 * uint32 per dimension, then the data. `file` only names the file in errors.
 */
export function parseIdx(bytes: Uint8Array, expectedMagic: number, file: string): IdxArray {
  if (bytes.length < 4) throw datasetError(`${file}: ${bytes.length} bytes is too short for an IDX file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (magic !== expectedMagic) {
    const rank = expectedMagic & 0xff;
    throw datasetError(`${file}: magic number ${magic} is not ${expectedMagic} (an IDX file of unsigned bytes with ${rank} dimension${rank === 1 ? '' : 's'}); is it the right file?`);
  }
  const rank = magic & 0xff;
  const header = 4 + 4 * rank;
  if (bytes.length < header) throw datasetError(`${file}: the header is cut short (${bytes.length} of ${header} bytes)`);
  const dims: number[] = [];
  let expected = 1;
  for (let i = 0; i < rank; i++) {
    const n = view.getUint32(4 + 4 * i);
    dims.push(n);
    expected *= n;
  }
  const actual = bytes.length - header;
  if (actual !== expected) {
    throw datasetError(`${file}: the header promises ${dims.join('×')} = ${expected} bytes of data but the file holds ${actual}${actual < expected ? ' (truncated?)' : ''}`);
  }
  return { dims, data: bytes.subarray(header) };
}

async function findFile(dir: string, name: string): Promise<string> {
  for (const candidate of [join(dir, name), join(dir, `${name}.gz`)]) {
    try {
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // try the next name
    }
  }
  throw datasetError(`mnist: neither ${join(dir, name)} nor ${join(dir, name)}.gz exists`);
}

/** The file's bytes, gunzipped when they start with the gzip magic: a browser may have unpacked a `.gz` already. */
async function readBytes(file: string): Promise<Uint8Array> {
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (err) {
    throw datasetError(`${file}: cannot be read (${describeError(err)})`, err);
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return gunzipSync(raw);
    } catch (err) {
      throw datasetError(`${file}: not a valid gzip file (${describeError(err)})`, err);
    }
  }
  return raw;
}

function datasetError(message: string, cause?: unknown): LookoutError {
  return new LookoutError('LOOKOUT_ERR_DATASET', message, cause === undefined ? undefined : { cause });
}
