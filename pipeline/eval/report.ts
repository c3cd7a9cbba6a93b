// What `lookout eval` prints: a fixed-width table for people, a plain object for JSON, and a one-line progress bar.
// In the table a metric that does not exist (a class without gt: AP −1) is shown as "-"; in JSON it is null.
import type { ClassificationMetrics } from './classification.js';
import type { CocoClassResult, CocoMetrics } from './coco-map.js';

export interface ReportMeta {
  /** the dataset spec as the user gave it */
  dataset: string;
  model: string;
  /** items (images or digits) evaluated */
  items: number;
  /** items that could not be decoded: each was logged naming it, and left out of the metrics */
  unreadable: number;
  elapsedMs: number;
}

export type EvalReport =
  | { task: 'classification'; meta: ReportMeta; labels: readonly string[]; metrics: ClassificationMetrics }
  | { task: 'detection'; meta: ReportMeta; metrics: CocoMetrics };

interface JsonMeta {
  dataset: string;
  model: string;
  items: number;
  unreadable: number;
  elapsedMs: number;
  itemsPerSecond: number | null;
}

export interface ClassificationJson extends JsonMeta {
  task: 'classification';
  accuracy: number;
  correct: number;
  macro: { precision: number; recall: number; f1: number };
  weighted: { precision: number; recall: number; f1: number };
  /** the classes that occur as truth or prediction (a 1000-class model on a 5-class dataset lists a handful) */
  classes: { id: number; label: string; precision: number; recall: number; f1: number; support: number; predicted: number }[];
  /** rows = true label, columns = predicted label, over `classes` in their order */
  confusion: number[][];
}

export interface DetectionJson extends JsonMeta {
  task: 'detection';
  map: number | null;
  map50: number | null;
  map75: number | null;
  mapSmall: number | null;
  mapMedium: number | null;
  mapLarge: number | null;
  mar100: number | null;
  atThreshold: { scoreThreshold: number; iou: 0.5; precision: number; recall: number | null; f1: number | null; truePositives: number; falsePositives: number; groundTruths: number };
  classes: {
    categoryId: number;
    name: string;
    groundTruths: number;
    detections: number;
    ap: number | null;
    ap50: number | null;
    ap75: number | null;
    precision: number;
    recall: number | null;
    f1: number | null;
    truePositives: number;
    falsePositives: number;
  }[];
}

export type JsonReport = ClassificationJson | DetectionJson;

/** Classes beyond this are left out of the printed confusion matrix (it would not fit a terminal); JSON has it all. */
const MAX_MATRIX_CLASSES = 20;
const MAX_LABEL = 24;

export function reportToJson(report: EvalReport): JsonReport {
  const meta: JsonMeta = { ...report.meta, itemsPerSecond: perSecond(report.meta.items, report.meta.elapsedMs) };
  if (report.task === 'classification') {
    const m = report.metrics;
    const present = presentClasses(m);
    return {
      task: 'classification',
      ...meta,
      accuracy: m.accuracy,
      correct: m.correct,
      macro: { ...m.macro },
      weighted: { ...m.weighted },
      classes: present.map((id) => ({
        id,
        label: labelOf(report.labels, id),
        precision: m.precision[id]!,
        recall: m.recall[id]!,
        f1: m.f1[id]!,
        support: m.support[id]!,
        predicted: m.predicted[id]!,
      })),
      confusion: present.map((t) => present.map((p) => m.confusion[t]![p]!)),
    };
  }
  const m = report.metrics;
  return {
    task: 'detection',
    ...meta,
    map: orNull(m.map),
    map50: orNull(m.map50),
    map75: orNull(m.map75),
    mapSmall: orNull(m.mapSmall),
    mapMedium: orNull(m.mapMedium),
    mapLarge: orNull(m.mapLarge),
    mar100: orNull(m.mar100),
    atThreshold: {
      scoreThreshold: m.scoreThreshold,
      iou: 0.5,
      precision: m.precision,
      recall: orNull(m.recall),
      f1: orNull(m.f1),
      truePositives: m.truePositives,
      falsePositives: m.falsePositives,
      groundTruths: m.groundTruths,
    },
    classes: m.classes.map((c: CocoClassResult) => ({
      categoryId: c.categoryId,
      name: c.name,
      groundTruths: c.groundTruths,
      detections: c.detections,
      ap: orNull(c.ap),
      ap50: orNull(c.ap50),
      ap75: orNull(c.ap75),
      precision: c.precision,
      recall: orNull(c.recall),
      f1: orNull(c.f1),
      truePositives: c.truePositives,
      falsePositives: c.falsePositives,
    })),
  };
}

/** The report as fixed-width text, lines joined with "\n", ending with one. */
export function formatReport(report: EvalReport): string {
  const { meta } = report;
  const rate = perSecond(meta.items, meta.elapsedMs);
  const lines = [
    `dataset  ${meta.dataset}`,
    `model    ${meta.model}`,
    `${meta.items} items in ${formatElapsed(meta.elapsedMs)}${rate === null ? '' : ` (${formatRate(rate)} items/s)`}` +
      (meta.unreadable > 0 ? `; ${meta.unreadable} unreadable, left out` : ''),
    '',
  ];
  if (report.task === 'classification') lines.push(...classificationLines(report.metrics, report.labels));
  else lines.push(...detectionLines(report.metrics));
  return `${lines.join('\n')}\n`;
}

function classificationLines(m: ClassificationMetrics, labels: readonly string[]): string[] {
  const present = presentClasses(m);
  const names = present.map((id) => clip(labelOf(labels, id)));
  const nameWidth = Math.max(5, ...names.map((n) => n.length));
  const lines = [
    `accuracy  ${fixed(m.accuracy, 4)}  (${m.correct} of ${m.total})`,
    '',
    table(
      ['class', 'precision', 'recall', 'F1', 'support'],
      [
        ...present.map((id, row) => [names[row]!, fixed(m.precision[id]!, 4), fixed(m.recall[id]!, 4), fixed(m.f1[id]!, 4), String(m.support[id])]),
        null,
        [`macro avg (${m.averagedClasses})`, fixed(m.macro.precision, 4), fixed(m.macro.recall, 4), fixed(m.macro.f1, 4), String(m.total)],
        ['weighted avg', fixed(m.weighted.precision, 4), fixed(m.weighted.recall, 4), fixed(m.weighted.f1, 4), String(m.total)],
      ],
    ),
  ];
  const absent = m.classes - present.length;
  if (absent > 0) lines.push(`(${absent} class${absent === 1 ? '' : 'es'} neither true nor predicted anywhere: not shown, not averaged)`);
  lines.push('');
  if (present.length > MAX_MATRIX_CLASSES) {
    lines.push(`confusion matrix: ${present.length} classes are too many to print; the JSON report has it`);
    return lines;
  }
  lines.push('confusion matrix (rows = true, columns = predicted)');
  const cells = present.map((t) => present.map((p) => String(m.confusion[t]![p])));
  const cellWidth = Math.max(1, ...cells.flat().map((c) => c.length), ...names.map((n) => n.length));
  const pad = (s: string) => s.padStart(cellWidth);
  lines.push(`${''.padEnd(nameWidth)}  ${names.map(pad).join(' ')}`);
  cells.forEach((row, r) => lines.push(`${names[r]!.padEnd(nameWidth)}  ${row.map(pad).join(' ')}`));
  return lines;
}

/** Class ids that occur as a true or a predicted label: the ones the macro average runs over. */
function presentClasses(m: ClassificationMetrics): number[] {
  return Array.from({ length: m.classes }, (_, id) => id).filter((id) => m.support[id]! > 0 || m.predicted[id]! > 0);
}

function detectionLines(m: CocoMetrics): string[] {
  const summary: [string, number][] = [
    ['mAP@[.50:.95]', m.map],
    ['mAP@.50', m.map50],
    ['mAP@.75', m.map75],
    ['mAP small', m.mapSmall],
    ['mAP medium', m.mapMedium],
    ['mAP large', m.mapLarge],
    ['mAR@100', m.mar100],
  ];
  const lines = summary.map(([name, value]) => `${name.padEnd(14)} ${metric(value)}`);
  lines.push(
    `at score >= ${m.scoreThreshold}, IoU 0.50: precision ${fixed(m.precision, 3)}  recall ${metric(m.recall)}  F1 ${metric(m.f1)}` +
      `  (${m.truePositives} TP, ${m.falsePositives} FP, ${m.groundTruths} gt)`,
    '',
    table(
      ['class', 'gt', 'dets', 'AP50', 'AP', 'prec', 'recall'],
      m.classes.map((c) => [clip(c.name), String(c.groundTruths), String(c.detections), metric(c.ap50), metric(c.ap), fixed(c.precision, 3), metric(c.recall)]),
    ),
    '(AP = AP@[.50:.95]; "-" = no ground truth, left out of the means)',
  );
  return lines;
}

/** Columns: the first left-aligned, the rest right-aligned; a null row is a rule. */
function table(header: readonly string[], rows: readonly (readonly string[] | null)[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r ? r[i]!.length : 0))));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map((r) => (r ? line(r) : rule))].join('\n');
}


function formatElapsed(ms: number): string {
  return ms < 60_000 ? `${(Math.max(0, ms) / 1000).toFixed(1)} s` : formatDuration(ms);
}

/** m:ss, or h:mm:ss from an hour on. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function perSecond(count: number, ms: number): number | null {
  return ms > 0 && count > 0 ? count / (ms / 1000) : null;
}

export function formatRate(rate: number): string {
  return rate >= 100 ? rate.toFixed(0) : rate >= 10 ? rate.toFixed(1) : rate.toFixed(2);
}

function metric(value: number): string {
  return value < 0 ? '-' : fixed(value, 3);
}

function fixed(value: number, digits: number): string {
  return value.toFixed(digits);
}

function orNull(value: number): number | null {
  return value < 0 ? null : value;
}

function labelOf(labels: readonly string[], id: number): string {
  return labels[id] ?? String(id);
}

function clip(name: string): string {
  return name.length > MAX_LABEL ? `${name.slice(0, MAX_LABEL - 1)}…` : name;
}
