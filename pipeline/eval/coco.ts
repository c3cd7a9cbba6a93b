// A COCO-format detection dataset: an instances JSON and a folder of images. The JSON is checked once, up front, with
// errors that name the field (`annotations[12].bbox: …`), so a wrong file fails before an hour of inference.
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describeError, LookoutError } from '../../core/errors.js';
import type { Category } from './categories.js';
import type { CocoBox, CocoGroundTruth } from './coco-map.js';

export interface CocoImageItem {
  index: number;
  imageId: number;
  path: string;
  /** as the JSON says, when it says */
  width?: number;
  height?: number;
  annotations: CocoGroundTruth[];
}

/** Fits `evaluateCoco`'s input: add the detections. */
export interface CocoDataset {
  kind: 'coco';
  annotationsFile: string;
  imagesDir: string;
  categories: Category[];
  /** every image of the JSON, in its order */
  imageIds: number[];
  groundTruths: CocoGroundTruth[];
  items: CocoImageItem[];
}

export interface ReadCocoOptions {
  /** check that every image file exists (default true) */
  checkImages?: boolean;
}

const MAX_PROBLEMS = 5;

/** Reads and checks a COCO instances JSON; images are looked up in `imagesDir`, by default the JSON's own folder. */
export async function readCocoDataset(annotationsFile: string, imagesDir = dirname(annotationsFile), options: ReadCocoOptions = {}): Promise<CocoDataset> {
  let text: string;
  try {
    text = await readFile(annotationsFile, 'utf8');
  } catch (err) {
    throw new LookoutError('LOOKOUT_ERR_DATASET', `${annotationsFile}: cannot be read (${describeError(err)})`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LookoutError('LOOKOUT_ERR_DATASET', `${annotationsFile}: not valid JSON (${describeError(err)})`, { cause: err });
  }
  const dataset = parseCocoAnnotations(json, annotationsFile, imagesDir);
  if (options.checkImages ?? true) await checkImagesExist(dataset);
  return dataset;
}

/** Checks the parsed JSON of a COCO instances file; `annotationsFile` names it in errors and `imagesDir` prefixes paths. */
export function parseCocoAnnotations(json: unknown, annotationsFile: string, imagesDir: string): CocoDataset {
  const problems: string[] = [];
  const fail = (message: string): never => {
    throw new LookoutError('LOOKOUT_ERR_DATASET', `${annotationsFile}: ${message}`);
  };
  const note = (message: string): void => {
    problems.push(message);
    if (problems.length >= MAX_PROBLEMS) fail(listProblems(problems));
  };

  if (!isRecord(json)) fail('expected a JSON object with "images", "annotations" and "categories"');
  const root = json as Record<string, unknown>;
  for (const key of ['images', 'annotations', 'categories'] as const) {
    if (!Array.isArray(root[key])) {
      const why = root[key] === undefined ? 'is missing' : 'must be an array';
      fail(`"${key}" ${why}${key === 'annotations' ? ' (an image-info file without annotations cannot be evaluated)' : ''}`);
    }
  }

  const categories: Category[] = [];
  const categoryIds = new Set<number>();
  (root['categories'] as unknown[]).forEach((c, n) => {
    const where = `categories[${n}]`;
    if (!isRecord(c)) return note(`${where}: expected an object`);
    if (!isInteger(c['id'])) return note(`${where}.id: expected an integer, got ${show(c['id'])}`);
    if (typeof c['name'] !== 'string' || c['name'].trim() === '') return note(`${where}.name: expected a non-empty string, got ${show(c['name'])}`);
    if (categoryIds.has(c['id'])) return note(`${where}.id: ${c['id']} appears twice`);
    categoryIds.add(c['id']);
    categories.push({ id: c['id'], name: c['name'] });
  });
  if (categories.length === 0 && problems.length === 0) note('"categories" is empty');

  const items: CocoImageItem[] = [];
  const itemById = new Map<number, CocoImageItem>();
  (root['images'] as unknown[]).forEach((img, n) => {
    const where = `images[${n}]`;
    if (!isRecord(img)) return note(`${where}: expected an object`);
    if (!isInteger(img['id'])) return note(`${where}.id: expected an integer, got ${show(img['id'])}`);
    if (typeof img['file_name'] !== 'string' || img['file_name'] === '') return note(`${where}.file_name: expected a non-empty string, got ${show(img['file_name'])}`);
    if (itemById.has(img['id'])) return note(`${where}.id: ${img['id']} appears twice`);
    const item: CocoImageItem = { index: items.length, imageId: img['id'], path: join(imagesDir, img['file_name']), annotations: [] };
    for (const key of ['width', 'height'] as const) {
      const v = img[key];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !(v > 0)) return note(`${where}.${key}: expected a positive number, got ${show(v)}`);
      item[key] = v;
    }
    items.push(item);
    itemById.set(item.imageId, item);
  });
  if (items.length === 0 && problems.length === 0) note('"images" is empty');

  const groundTruths: CocoGroundTruth[] = [];
  (root['annotations'] as unknown[]).forEach((a, n) => {
    const where = `annotations[${n}]`;
    if (!isRecord(a)) return note(`${where}: expected an object`);
    const item = isInteger(a['image_id']) ? itemById.get(a['image_id']) : undefined;
    if (!item) return note(`${where}.image_id: ${show(a['image_id'])} is not the id of an image in "images"`);
    if (!isInteger(a['category_id']) || !categoryIds.has(a['category_id'])) return note(`${where}.category_id: ${show(a['category_id'])} is not the id of a category in "categories"`);
    const bbox = a['bbox'];
    if (!isCocoBox(bbox)) return note(`${where}.bbox: expected [x, y, width, height] of finite numbers with width, height >= 0, got ${show(bbox)}`);
    const gt: CocoGroundTruth = { imageId: item.imageId, categoryId: a['category_id'], bbox: [bbox[0], bbox[1], bbox[2], bbox[3]] };
    if (a['area'] !== undefined) {
      if (typeof a['area'] !== 'number' || !Number.isFinite(a['area']) || a['area'] < 0) return note(`${where}.area: expected a number >= 0, got ${show(a['area'])}`);
      gt.area = a['area'];
    }
    const crowd = a['iscrowd'];
    if (crowd !== undefined && crowd !== 0 && crowd !== 1 && typeof crowd !== 'boolean') return note(`${where}.iscrowd: expected 0 or 1, got ${show(crowd)}`);
    if (crowd === 1 || crowd === true) gt.iscrowd = true;
    groundTruths.push(gt);
    item.annotations.push(gt);
  });

  if (problems.length > 0) fail(listProblems(problems));
  return { kind: 'coco', annotationsFile, imagesDir, categories, imageIds: items.map((i) => i.imageId), groundTruths, items };
}

async function checkImagesExist(dataset: CocoDataset): Promise<void> {
  const missing: string[] = [];
  const batch = 64;
  for (let start = 0; start < dataset.items.length; start += batch) {
    const slice = dataset.items.slice(start, start + batch);
    const found = await Promise.all(slice.map((item) => stat(item.path).then((s) => s.isFile(), () => false)));
    found.forEach((ok, i) => {
      if (!ok) missing.push(slice[i]!.path);
    });
  }
  if (missing.length > 0) {
    const shown = missing.slice(0, 3).join(', ');
    throw new LookoutError(
      'LOOKOUT_ERR_DATASET',
      `${missing.length} of ${dataset.items.length} images of ${dataset.annotationsFile} are missing from ${dataset.imagesDir}: ${shown}${missing.length > 3 ? ', …' : ''} (give the images folder as coco:ANNOTATIONS.json:IMAGES_DIR)`,
    );
  }
}

function listProblems(problems: readonly string[]): string {
  return problems.length >= MAX_PROBLEMS ? `${problems.join('; ')}; … (stopped after ${MAX_PROBLEMS} problems)` : problems.join('; ');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function isCocoBox(v: unknown): v is CocoBox {
  return Array.isArray(v) && v.length === 4 && v.every((n) => typeof n === 'number' && Number.isFinite(n)) && v[2] >= 0 && v[3] >= 0;
}

function show(v: unknown): string {
  const text = v === undefined ? 'nothing' : JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
