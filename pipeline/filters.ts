// Per-label detection filters (Frigate's `objects.filters`): what reaches the tracker, and when a tracked object is
// believed. `minScore` gates single detections; `threshold` gates the median of an object's recent scores, so one
// lucky frame never becomes an event.
import { DEFAULTS } from '../config/defaults.js';
import type { Detection } from '../core/types.js';
import type { Zones } from './zones.js';

export interface LabelFilter {
  /** median of the recent scores an object needs before it becomes an event (a true positive) */
  threshold: number;
  /** least score of a detection that may start a track (and of the high-score ByteTrack stage) */
  minScore: number;
  /** box area bounds: source pixels, or a fraction of the frame area when 0 < value <= 1 */
  minArea: number;
  maxArea: number;
}

/** config's defaults (config/defaults.ts) */
export const DEFAULT_LABEL_FILTER: Readonly<LabelFilter> = Object.freeze({ ...DEFAULTS.labelFilter });

export interface ObjectsOptions {
  /** labels that are tracked; detections of any other label are dropped */
  track: readonly string[];
  /** per-label overrides of DEFAULT_LABEL_FILTER */
  filters: Readonly<Record<string, Partial<LabelFilter>>>;
}

export function labelFilter(objects: ObjectsOptions, label: string): LabelFilter {
  return { ...DEFAULT_LABEL_FILTER, ...objects.filters[label] };
}

/** Median of the values (mean of the middle two for an even count); 0 for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Frigate pads short histories with zeros to this length, so an object needs two good frames before it counts. */
export const MIN_SCORE_HISTORY = 3;

/** The score an object is judged by: median of its last scores (0 for frames it was not detected), zero-padded. */
export function computedScore(history: readonly number[]): number {
  if (history.length >= MIN_SCORE_HISTORY) return median(history);
  const padded = [...history];
  while (padded.length < MIN_SCORE_HISTORY) padded.push(0);
  return median(padded);
}

export interface SplitDetections {
  /** score >= the label's minScore: may match any track and may start new ones */
  high: Detection[];
  /** lowScore <= score < minScore: may only keep a recently matched track alive (ByteTrack's second stage) */
  low: Detection[];
}

function areaBound(value: number, frameArea: number): number {
  return value > 0 && value <= 1 ? value * frameArea : value;
}

/**
 * Drops detections of untracked labels, outside the label's area range or in a mask, then splits the rest by score.
 * Detections under `lowScore` (or under minScore when lowScore >= minScore) are dropped.
 */
export class DetectionFilter {
  private readonly byLabel = new Map<string, LabelFilter>();

  constructor(
    objects: ObjectsOptions,
    private readonly lowScore: number,
    private readonly zones?: Zones,
  ) {
    for (const label of objects.track) this.byLabel.set(label, labelFilter(objects, label));
  }

  /** The filter of a tracked label; undefined for a label that is not tracked. */
  filterOf(label: string): LabelFilter | undefined {
    return this.byLabel.get(label);
  }

  split(detections: readonly Detection[], srcWidth: number, srcHeight: number): SplitDetections {
    const high: Detection[] = [];
    const low: Detection[] = [];
    const frameArea = srcWidth * srcHeight;
    for (const d of detections) {
      const f = this.byLabel.get(d.label);
      if (f === undefined) continue;
      const isHigh = d.score >= f.minScore;
      if (!isHigh && d.score < this.lowScore) continue;
      const [x1, y1, x2, y2] = d.box;
      const area = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
      if (area < areaBound(f.minArea, frameArea) || area > areaBound(f.maxArea, frameArea)) continue;
      if (this.zones?.isMasked(d.box, srcWidth, srcHeight)) continue;
      (isHigh ? high : low).push(d);
    }
    return { high, low };
  }
}
