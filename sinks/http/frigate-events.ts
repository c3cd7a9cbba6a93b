// Frigate's event rows (`GET /api/events`, `/api/events/<id>`) and their per-day summary (`/api/events/summary`), made
// from the API's event log: one row per object (its newest event), as Frigate keeps one database row per tracked
// object. The Home Assistant integration lists them in its media browser (id, camera, label, start/end time,
// `data.top_score` or `top_score`, has_clip/has_snapshot) and counts them by the summary's camera, label, zones and day.
import { epochSeconds } from '../../core/epoch.js';
import { round } from '../mqtt/dialect.js';
import type { LoggedEvent } from './event-log.js';
import { HttpError } from './http-error.js';

export interface FrigateEventData {
  /** [x, y, width, height] as fractions of the frame */
  box: number[];
  region: number[];
  score: number;
  top_score: number;
  attributes: unknown[];
  type: 'object';
  path_data: unknown[];
  max_severity: null;
  /** the sub-label's score, where Frigate keeps it (frigate/track/object_processing.py set_sub_label); with a sub-label only */
  sub_label_score?: number;
}

export interface FrigateEvent {
  id: string;
  label: string;
  /** the classifier's agreed class (pipeline/classify.ts) as the name alone, as Frigate's rows carry it; null until then */
  sub_label: string | null;
  camera: string;
  /** epoch seconds */
  start_time: number;
  /** null while the object is still being tracked */
  end_time: number | null;
  false_positive: boolean;
  zones: string[];
  thumbnail: null;
  has_clip: boolean;
  has_snapshot: boolean;
  retain_indefinitely: boolean;
  plus_id: null;
  model_hash: null;
  detector_type: string;
  model_type: string;
  /** Frigate before 0.14 kept these at the top; the integration reads `data.top_score`, else `top_score` */
  top_score: number;
  score: number;
  data: FrigateEventData;
}

export interface FrigateEventSummary {
  camera: string;
  /** the day of the start in the asked time zone, YYYY-MM-DD */
  day: string;
  label: string;
  sub_label: string | null;
  zones: string[];
  count: number;
}

/** What a row needs besides the logged event. */
export interface FrigateEventContext {
  hasClip(id: string): boolean;
  hasSnapshot(id: string): boolean;
  /** the camera's source size, for relative boxes */
  frameSize(camera: string): readonly [number, number] | undefined;
  /** the detector's execution provider (Frigate's detector type) */
  detectorType: string;
}

export function frigateEvent(e: LoggedEvent, ctx: FrigateEventContext): FrigateEvent {
  const o = e.object;
  const size = ctx.frameSize(o.camera);
  const [w, h] = size ?? [1, 1];
  const [x1, y1, x2, y2] = o.box;
  const box = size ? [x1 / w, y1 / h, (x2 - x1) / w, (y2 - y1) / h].map((v) => round(v, 4)) : [0, 0, 0, 0];
  const score = round(o.score, 4);
  const topScore = round(o.topScore, 4);
  return {
    id: o.id,
    label: o.label,
    sub_label: o.subLabel?.label ?? null,
    camera: o.camera,
    start_time: epochSeconds(e.epochOffset, o.startTime),
    end_time: o.endTime === null ? null : epochSeconds(e.epochOffset, o.endTime),
    false_positive: o.falsePositive,
    zones: [...o.enteredZones],
    thumbnail: null,
    has_clip: ctx.hasClip(o.id),
    has_snapshot: ctx.hasSnapshot(o.id),
    retain_indefinitely: false,
    plus_id: null,
    model_hash: null,
    detector_type: ctx.detectorType,
    model_type: 'onnx',
    top_score: topScore,
    score,
    // Lookout runs the model on the whole picture: the region is the frame
    data: {
      box,
      region: [0, 0, 1, 1],
      score,
      top_score: topScore,
      attributes: [],
      type: 'object',
      path_data: [],
      max_severity: null,
      ...(o.subLabel ? { sub_label_score: round(o.subLabel.score, 4) } : {}),
    },
  };
}

/** `/api/events` query parameters as Frigate takes them (lists are comma-separated; `all` means no filter). */
export interface FrigateEventQuery {
  cameras?: Set<string>;
  labels?: Set<string>;
  zones?: Set<string>;
  /** epoch seconds: start after / before */
  after?: number;
  before?: number;
  limit: number;
  hasClip?: boolean;
  hasSnapshot?: boolean;
  /** Lookout retains nothing indefinitely: `favorites=1` finds nothing */
  favorites: boolean;
}

function list(params: URLSearchParams, ...names: string[]): Set<string> | undefined {
  for (const name of names) {
    const v = params.get(name);
    if (v !== null && v !== '' && v !== 'all') return new Set(v.split(',').filter((s) => s !== ''));
  }
  return undefined;
}

function numberParam(params: URLSearchParams, name: string): number | undefined {
  const v = params.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new HttpError(400, `${name} must be a number`);
  return n;
}

function flag(params: URLSearchParams, name: string): boolean | undefined {
  const v = params.get(name);
  if (v === null || v === '') return undefined;
  if (v !== '0' && v !== '1') throw new HttpError(400, `${name} must be 0 or 1`);
  return v === '1';
}

export function parseEventQuery(params: URLSearchParams): FrigateEventQuery {
  const limit = numberParam(params, 'limit') ?? 100;
  if (!Number.isInteger(limit) || limit < 1) throw new HttpError(400, 'limit must be a positive integer');
  return {
    cameras: list(params, 'cameras', 'camera'),
    labels: list(params, 'labels', 'label'),
    zones: list(params, 'zones', 'zone'),
    after: numberParam(params, 'after'),
    before: numberParam(params, 'before'),
    limit,
    hasClip: flag(params, 'has_clip'),
    hasSnapshot: flag(params, 'has_snapshot'),
    favorites: flag(params, 'favorites') === true,
  };
}

/** Rows newest start first, filtered as Frigate filters (`after`/`before` on the start time). */
export function queryEvents(rows: readonly FrigateEvent[], q: FrigateEventQuery): FrigateEvent[] {
  if (q.favorites) return [];
  return rows
    .filter(
      (r) =>
        (q.cameras === undefined || q.cameras.has(r.camera)) &&
        (q.labels === undefined || q.labels.has(r.label)) &&
        (q.zones === undefined || r.zones.some((z) => q.zones!.has(z))) &&
        (q.after === undefined || r.start_time > q.after) &&
        (q.before === undefined || r.start_time < q.before) &&
        (q.hasClip === undefined || r.has_clip === q.hasClip) &&
        (q.hasSnapshot === undefined || r.has_snapshot === q.hasSnapshot),
    )
    .sort((a, b) => b.start_time - a.start_time)
    .slice(0, q.limit);
}

/** A formatter of epoch seconds to the day in a time zone; an unknown zone name is the client's mistake (400). */
function dayFormatter(timeZone: string): (epochSeconds: number) => string {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  } catch {
    throw new HttpError(400, `unknown time zone ${JSON.stringify(timeZone.slice(0, 64))}`);
  }
  return (s) => {
    const parts = Object.fromEntries(format.formatToParts(new Date(s * 1000)).map((p) => [p.type, p.value]));
    return `${parts.year}-${parts.month}-${parts.day}`;
  };
}

/** Counts per camera, day (in `timezone`, default UTC), label, sub-label and zones, as Frigate's summary groups them. */
export function summarizeEvents(rows: readonly FrigateEvent[], params: URLSearchParams): FrigateEventSummary[] {
  const hasClip = flag(params, 'has_clip');
  const hasSnapshot = flag(params, 'has_snapshot');
  const day = dayFormatter(params.get('timezone') || 'UTC');
  const groups = new Map<string, FrigateEventSummary>();
  for (const r of rows) {
    if ((hasClip !== undefined && r.has_clip !== hasClip) || (hasSnapshot !== undefined && r.has_snapshot !== hasSnapshot)) continue;
    const row = { camera: r.camera, day: day(r.start_time), label: r.label, sub_label: r.sub_label, zones: [...r.zones].sort(), count: 0 };
    const key = JSON.stringify([row.camera, row.day, row.label, row.sub_label, row.zones]);
    const group = groups.get(key) ?? row;
    group.count++;
    groups.set(key, group);
  }
  return [...groups.values()];
}
