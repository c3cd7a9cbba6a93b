// Class names: one a line, index = class id (darknet `.names` files, Ultralytics exports, ImageNet synsets).
import { LookoutError } from '../core/errors.js';

/** One label a line, trimmed. Trailing blank lines are dropped; blank lines inside are kept so class ids do not shift. */
export function parseLabels(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((line) => line.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The label of a class id, or `class<N>` when the labels do not name it. */
export function labelFor(labels: readonly string[], classId: number): string {
  const label = labels[classId];
  return label ? label : `class${classId}`;
}

/** Throws when a labels file is given and its length is not the model's class count (a wrong file would mislabel silently). */
export function checkLabelCount(labels: readonly string[], classes: number, modelName: string): void {
  if (labels.length === 0 || labels.length === classes) return;
  throw new LookoutError(
    'LOOKOUT_ERR_LABELS',
    `${modelName}: the labels file has ${labels.length} labels but the model has ${classes} classes; ` +
      `give a labels file with exactly one label a line per class, in class-id order`,
  );
}
