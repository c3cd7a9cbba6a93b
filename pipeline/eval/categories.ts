// Dataset categories and how they are matched to a model's labels. Datasets and models spell the same class
// differently (COCO's JSON says "tv" and "couch", darknet's coco.names says "tvmonitor" and "sofa"), so matching is by a
// canonical form of the name, never by position.
import { LookoutError } from '../../core/errors.js';

/** One class of an evaluation dataset: `id` is the dataset's own id (COCO category id, folder or digit index). */
export interface Category {
  id: number;
  name: string;
}

export interface CategoryMatch {
  /** dataset category id → model class id, for every dataset category */
  datasetToModel: ReadonlyMap<number, number>;
  /** model class id → dataset category id; model classes the dataset lacks are absent (their detections are dropped) */
  modelToDataset: ReadonlyMap<number, number>;
}

// The darknet / Pascal VOC spellings of COCO class names, keyed by their canonical form. Names that differ only by
// spaces, underscores, hyphens or case ("diningtable" and "dining table", "pottedplant") need no entry.
const ALIASES: Readonly<Record<string, string>> = {
  tvmonitor: 'tv',
  sofa: 'couch',
  motorbike: 'motorcycle',
  aeroplane: 'airplane',
};

/** The form two names are compared in: lower case, letters and digits only, darknet spellings mapped to COCO's. */
export function canonicalCategoryName(name: string): string {
  const plain = name.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
  return ALIASES[plain] ?? plain;
}

/** `n02123045 tabby, tabby cat`: an id with a digit in it (ImageNet's synset ids), then the names, the first one first. */
const ID_THEN_NAMES = /^(\S*\d\S*)\s+(.+)$/u;

/**
 * The other names a label line answers to, besides the whole line: its first field when that is an id (`n02123045`),
 * and its first name (`tabby`: before the first comma, after the id). ImageNet class folders are named either way.
 */
export function shortLabelNames(label: string): string[] {
  const line = label.trim();
  const m = ID_THEN_NAMES.exec(line);
  const names = m !== null ? m[2]! : line;
  const out: string[] = [];
  if (m !== null) out.push(m[1]!);
  const first = names.split(',')[0]!.trim();
  if (first !== '' && first !== line) out.push(first);
  return out;
}

/**
 * Maps every dataset category to the model class of the same (canonical) name: the whole label line, else its id or
 * its first name (shortLabelNames). A short name that two labels share (ImageNet has two `crane`s) matches neither:
 * the folder must then use the id or the whole line.
 * Throws LOOKOUT_ERR_DATASET listing every dataset category the model has no class for, or two dataset categories that
 * would land on one model class. Extra model classes are fine: a COCO model evaluated on a smaller dataset.
 */
export function matchCategories(categories: readonly Category[], modelLabels: readonly string[]): CategoryMatch {
  const byName = new Map<string, number>();
  modelLabels.forEach((label, classId) => {
    const key = canonicalCategoryName(label);
    // the first of two equal labels wins, as a detector reports the lower class id for both
    if (key !== '' && !byName.has(key)) byName.set(key, classId);
  });
  // short names come after every whole line, so a whole line always wins; -1 marks a short name of several classes
  const byShortName = new Map<string, number>();
  modelLabels.forEach((label, classId) => {
    for (const short of shortLabelNames(label)) {
      const key = canonicalCategoryName(short);
      if (key === '' || byName.has(key)) continue;
      const seen = byShortName.get(key);
      byShortName.set(key, seen === undefined || seen === classId ? classId : -1);
    }
  });

  const datasetToModel = new Map<number, number>();
  const modelToDataset = new Map<number, number>();
  const missing: string[] = [];
  const clashes: string[] = [];
  const ambiguous: string[] = [];
  for (const category of categories) {
    const key = canonicalCategoryName(category.name);
    const classId = byName.get(key) ?? byShortName.get(key);
    if (classId === -1) {
      const which = modelLabels.filter((l) => shortLabelNames(l).some((n) => canonicalCategoryName(n) === key)).map((l) => JSON.stringify(l));
      ambiguous.push(`${JSON.stringify(category.name)} is the short name of several model classes (${which.join(', ')}): name the folder by the id or the whole label`);
      continue;
    }
    if (classId === undefined) {
      missing.push(JSON.stringify(category.name));
      continue;
    }
    const other = modelToDataset.get(classId);
    if (other !== undefined) {
      const otherName = categories.find((c) => c.id === other)?.name ?? String(other);
      clashes.push(`${JSON.stringify(otherName)} and ${JSON.stringify(category.name)} both match model class ${JSON.stringify(modelLabels[classId])}`);
      continue;
    }
    datasetToModel.set(category.id, classId);
    modelToDataset.set(classId, category.id);
  }
  if (missing.length > 0 || clashes.length > 0 || ambiguous.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0) {
      parts.push(`the model has no class for dataset ${missing.length === 1 ? 'category' : 'categories'} ${missing.join(', ')}`);
    }
    parts.push(...ambiguous, ...clashes);
    throw new LookoutError('LOOKOUT_ERR_DATASET', `dataset and model labels do not match: ${parts.join('; ')} (model labels: ${summarize(modelLabels)})`);
  }
  return { datasetToModel, modelToDataset };
}

function summarize(labels: readonly string[]): string {
  if (labels.length === 0) return 'none';
  const shown = labels.slice(0, 12).map((l) => JSON.stringify(l)).join(', ');
  return labels.length > 12 ? `${shown}, … ${labels.length} in all` : shown;
}
