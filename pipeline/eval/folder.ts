// An image-classification dataset laid out as one sub-folder per class (torchvision's ImageFolder layout).
// Images are only listed here; ffmpeg decodes them later.
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { describeError, LookoutError } from '../../core/errors.js';
import type { Category } from './categories.js';

export interface FolderItem {
  index: number;
  path: string;
  /** category id = index of the class folder in `categories` */
  label: number;
}

export interface FolderDataset {
  kind: 'folder';
  dir: string;
  /** one per class folder, sorted by name; id = position */
  categories: Category[];
  items: FolderItem[];
}

export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png'];

/**
 * Lists `dir/<class>/<image>`: class names are the sub-folder names in code-unit order (like `LC_ALL=C ls`), images the
 * .jpg/.jpeg/.png files (any case) directly inside each, in the same order. Hidden entries are skipped. Throws
 * LOOKOUT_ERR_DATASET when `dir` is not a directory, has no class folders, or a class folder has no images (an empty
 * class would silently report recall 0).
 */
export async function readImageFolder(dir: string): Promise<FolderDataset> {
  let isDir = false;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch (err) {
    throw new LookoutError('LOOKOUT_ERR_DATASET', `${dir}: cannot be read (${describeError(err)}); a dataset is mnist:DIR, coco:ANNOTATIONS.json[:IMAGES_DIR] or a directory with one sub-folder per class`, { cause: err });
  }
  if (!isDir) throw new LookoutError('LOOKOUT_ERR_DATASET', `${dir}: not a directory (an image-folder dataset is a directory with one sub-folder per class)`);

  const classNames = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(byCodeUnits);
  if (classNames.length === 0) throw new LookoutError('LOOKOUT_ERR_DATASET', `${dir}: no class sub-folders (expected ${join(dir, '<class>', '<image>.jpg')})`);

  const items: FolderItem[] = [];
  const empty: string[] = [];
  for (const [label, name] of classNames.entries()) {
    const classDir = join(dir, name);
    const files = (await readdir(classDir, { withFileTypes: true }))
      .filter((e) => !e.name.startsWith('.') && (e.isFile() || e.isSymbolicLink()) && IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase()))
      .map((e) => e.name)
      .sort(byCodeUnits);
    if (files.length === 0) empty.push(name);
    for (const file of files) items.push({ index: items.length, path: join(classDir, file), label });
  }
  if (empty.length > 0) {
    throw new LookoutError('LOOKOUT_ERR_DATASET', `${dir}: no ${IMAGE_EXTENSIONS.join('/')} images in class folder${empty.length === 1 ? '' : 's'} ${empty.map((n) => JSON.stringify(n)).join(', ')}`);
  }
  return { kind: 'folder', dir, categories: classNames.map((name, id) => ({ id, name })), items };
}

// localeCompare would order class ids differently per machine locale; code-unit order is the same everywhere
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
