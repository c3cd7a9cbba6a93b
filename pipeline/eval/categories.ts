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

/**
 * Maps every dataset category to the model class of the same (canonical) name.
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

  const datasetToModel = new Map<number, number>();
  const modelToDataset = new Map<number, number>();
  const missing: string[] = [];
  const clashes: string[] = [];
  for (const category of categories) {
    const classId = byName.get(canonicalCategoryName(category.name));
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
  if (missing.length > 0 || clashes.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0) {
      parts.push(`the model has no class for dataset ${missing.length === 1 ? 'category' : 'categories'} ${missing.join(', ')}`);
    }
    parts.push(...clashes);
    throw new LookoutError('LOOKOUT_ERR_DATASET', `dataset and model labels do not match: ${parts.join('; ')} (model labels: ${summarize(modelLabels)})`);
  }
  return { datasetToModel, modelToDataset };
}

function summarize(labels: readonly string[]): string {
  if (labels.length === 0) return 'none';
  const shown = labels.slice(0, 12).map((l) => JSON.stringify(l)).join(', ');
  return labels.length > 12 ? `${shown}, … ${labels.length} in all` : shown;
}
