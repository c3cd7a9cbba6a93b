// One camera's objects: filters, tracker and zones in, Frigate-style events and counts out. Events follow what
// Frigate's users learned: `new` only once the median of recent scores passes the label's threshold (no flicker),
// `update` only when something a consumer cares about changed (never per frame), `end` when the tracker lets go.
import { DEFAULT_LABEL_FILTER, DetectionFilter, computedScore, type LabelFilter, type ObjectsOptions } from './filters.js';
import { DEFAULT_TRACKER_OPTIONS, Tracker, type Track, type TrackerOptions } from './track.js';
import { type RandomSource } from '../core/random.js';
import type { CameraUpdate, CrossingDirection, FrameResult, LineCrossing, ObjectCounts, ObjectEvent, SubLabel, TrackedObject } from '../core/types.js';
import type { Polygon } from '../core/geometry.js';
import { DEFAULTS } from '../config/defaults.js';
import { DEFAULT_ZONE_INERTIA, Zones, type ZoneOptions } from './zones.js';
import { LineCrossings, resolveLine, type LineInput } from './lines.js';
import { LineCounts } from './line-counts.js';

export interface EventOptions {
  /** stream seconds after the last event of a moving object before an `update` is sent anyway */
  heartbeatSeconds: number;
  /** how much a detection's score must beat the current snapshot's before the snapshot (bestFrameTime) moves */
  snapshotMargin: number;
  /** how many recent scores the median is taken over (Frigate: 10) */
  scoreHistory: number;
  /** least score of a detection that may keep a track alive (ByteTrack's low stage); >= minScore turns that off */
  lowScore: number;
}

export const DEFAULT_EVENT_OPTIONS: Readonly<EventOptions> = Object.freeze({
  heartbeatSeconds: DEFAULTS.tracker.heartbeatSeconds,
  snapshotMargin: DEFAULTS.tracker.snapshotMargin,
  scoreHistory: DEFAULTS.tracker.scoreHistory,
  lowScore: DEFAULTS.tracker.lowScore,
});

/** A camera's `tracker` config section: the tracker's knobs and the event layer's. */
export type CameraTrackerOptions = TrackerOptions & EventOptions;

export interface CameraObjectsOptions {
  objects: ObjectsOptions;
  zones: Readonly<Record<string, ZoneOptions>>;
  /** detections whose bottom-centre falls in any of these are ignored */
  masks: readonly Polygon[];
  tracker: CameraTrackerOptions;
  /** counting lines by name (pipeline/lines.ts) */
  lines: Readonly<Record<string, LineInput>>;
}

/** What a camera's config may leave out; missing values come from DEFAULT_OBJECT_OPTIONS. */
export interface CameraObjectsInput {
  objects?: Partial<ObjectsOptions>;
  zones?: Readonly<Record<string, ZoneOptions>>;
  masks?: readonly Polygon[];
  tracker?: Partial<CameraTrackerOptions>;
  lines?: Readonly<Record<string, LineInput>>;
}

/** Every default of the object pipeline, from config/defaults.ts, for callers that build options without a config. */
export const DEFAULT_OBJECT_OPTIONS = Object.freeze({
  objects: Object.freeze({ track: Object.freeze([...DEFAULTS.objects.track]), filters: Object.freeze({}) }),
  /** applied to each tracked label, field by field, under `objects.filters.<label>` */
  filter: DEFAULT_LABEL_FILTER,
  zones: Object.freeze({}),
  masks: Object.freeze([]),
  /** for a zone that does not set `inertia` */
  zoneInertia: DEFAULT_ZONE_INERTIA,
  tracker: Object.freeze({ ...DEFAULT_TRACKER_OPTIONS, ...DEFAULT_EVENT_OPTIONS }),
  lines: Object.freeze({}),
}) satisfies CameraObjectsOptions & { filter: LabelFilter; zoneInertia: number };

export function resolveCameraObjectsOptions(input: CameraObjectsInput = {}): CameraObjectsOptions {
  return {
    objects: {
      track: input.objects?.track ?? DEFAULT_OBJECT_OPTIONS.objects.track,
      filters: input.objects?.filters ?? DEFAULT_OBJECT_OPTIONS.objects.filters,
    },
    zones: input.zones ?? DEFAULT_OBJECT_OPTIONS.zones,
    masks: input.masks ?? DEFAULT_OBJECT_OPTIONS.masks,
    tracker: { ...DEFAULT_OBJECT_OPTIONS.tracker, ...input.tracker },
    lines: input.lines ?? DEFAULT_OBJECT_OPTIONS.lines,
  };
}

/** weight of the newest speed measurement in the smoothed current speed */
const SPEED_GAIN = 0.3;

/** crossings kept for an object that is not an event yet; more than this while it is still unconfirmed is jitter */
const MAX_HELD_CROSSINGS = 8;

/** Whether an update carries anything a sink publishes (events, counts, line crossings or counts): else it is per-frame noise. */
export function hasNews(u: CameraUpdate): boolean {
  return u.events.length > 0 || u.counts !== undefined || u.lineCounts !== undefined || u.crossings !== undefined;
}

/** `{ all: { person: 2, car: 0 }, driveway: { person: 1 } }`: open true-positive objects per zone and label, zeros included. */
interface ObjectState {
  /** current state, mutated in place; copied out whenever it leaves this class */
  readonly obj: TrackedObject;
  readonly scores: number[];
  /** what consumers last got as `after`; null until `new` */
  published: TrackedObject | null;
  publishedAt: number;
  bestScore: number;
  /** per zone: consecutive frames on the other side of its edge */
  readonly zoneStreak: Map<string, number>;
  /** per current zone: stream time the object entered it (for loitering) */
  readonly zoneSince: Map<string, number>;
  /** crossings confirmed while the object was not yet an event; counted once it becomes one */
  readonly heldCrossings: { line: string; direction: CrossingDirection; time: number; wallTime: number }[];
  /** last sighting in a speed zone, and the running sum of speeds measured (bounded: a sum, not a history) */
  speed: { x: number; y: number; t: number; sum: number; count: number } | null;
}

function copyObject(o: TrackedObject): TrackedObject {
  const copy: TrackedObject = { ...o, box: [...o.box], currentZones: [...o.currentZones], enteredZones: [...o.enteredZones] };
  if (o.subLabel) copy.subLabel = { ...o.subLabel };
  return copy;
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/**
 * Turns one camera's FrameResults, in stream order, into object events and counts. Pure: no clock, no I/O, so the
 * same frames always give the same events. Objects handed out (`before`, `after`, `objects`) are shared, not copied
 * again: do not mutate them.
 */
export class CameraObjects {
  readonly options: CameraObjectsOptions;
  private readonly tracker: Tracker;
  private readonly zones: Zones;
  private readonly filter: DetectionFilter;
  private readonly states = new Map<string, ObjectState>();
  private lastCounts: string | null = null;
  private lastPts: number | null = null;
  private srcWidth = 0;
  private srcHeight = 0;
  private readonly lines: LineCrossings;
  private readonly lineCounts: LineCounts;
  private lineCountsSent = false;
  /** see CameraUpdate.epochOffset; set by the first frame */
  private epochOffset: number | undefined;

  constructor(
    readonly camera: string,
    options: CameraObjectsInput = {},
    random: RandomSource = Math.random,
  ) {
    this.options = resolveCameraObjectsOptions(options);
    const t = this.options.tracker;
    if (!(t.heartbeatSeconds > 0)) throw new RangeError(`tracker.heartbeatSeconds must be > 0, got ${t.heartbeatSeconds}`);
    if (!(t.scoreHistory >= 1)) throw new RangeError(`tracker.scoreHistory must be >= 1, got ${t.scoreHistory}`);
    this.tracker = new Tracker(t, random);
    this.zones = new Zones(this.options.zones, this.options.masks);
    this.filter = new DetectionFilter(this.options.objects, t.lowScore, this.zones);
    this.lines = new LineCrossings(this.options.lines);
    const track = this.options.objects.track;
    this.lineCounts = new LineCounts(
      this.lines.names.map((name) => ({ name, labels: this.lines.labelsOf(name, track), directions: this.lines.directionsOf(name), resetAt: resolveLine(this.options.lines[name]).resetAt })),
    );
  }

  /** Feeds the next frame of this camera. */
  push(result: FrameResult): CameraUpdate {
    const { frame } = result;
    if (frame.camera !== this.camera) throw new RangeError(`result.frame.camera: expected '${this.camera}', got '${frame.camera}'`);
    const pts = frame.pts;
    if (this.epochOffset === undefined) {
      // anchored once: later frames keep exact stream-time differences even when capture times jitter
      this.epochOffset = frame.capturedAt / 1000 - pts;
      this.tracker.idTimeOffset = this.epochOffset;
    }
    this.lastPts = pts;
    this.srcWidth = frame.transform.srcWidth;
    this.srcHeight = frame.transform.srcHeight;
    const { high, low } = this.filter.split(result.detections, this.srcWidth, this.srcHeight);
    const { tracks, removed } = this.tracker.update(pts, high, low, result.regions, { width: this.srcWidth, height: this.srcHeight });
    const events: ObjectEvent[] = [];
    for (const t of removed) this.end(t.id, pts, events);
    for (const t of tracks) this.observe(t, pts, events);
    if (this.lines.size === 0) return this.finish(pts, events);
    // lines: after observe(), so an object that became an event in this frame has its held crossings counted now
    const crossings: LineCrossing[] = [];
    let countsChanged = this.lineCounts.tick(frame.capturedAt);
    for (const t of removed) this.lines.forget(t.id);
    for (const t of tracks) countsChanged = this.crossLines(t, pts, frame.capturedAt, crossings) || countsChanged;
    return this.finish(pts, events, crossings, countsChanged);
  }

  /** Feeds one track to the lines; returns whether a count changed. */
  private crossLines(t: Track, pts: number, wallTime: number, crossings: LineCrossing[]): boolean {
    const s = this.states.get(t.id);
    if (s === undefined) return false;
    for (const c of this.lines.update(t.id, t.label, t.matched ? t.box : t.predicted, t.matched, this.srcWidth, this.srcHeight)) {
      s.heldCrossings.push({ ...c, time: pts, wallTime });
      // a track that never becomes an event must not grow without bound: keep the latest few
      if (s.heldCrossings.length > MAX_HELD_CROSSINGS) s.heldCrossings.shift();
    }
    if (s.published === null || s.heldCrossings.length === 0) return false;
    let changed = false;
    for (const c of s.heldCrossings.splice(0, s.heldCrossings.length)) {
      if (!this.lineCounts.add(c.line, t.label, c.direction)) continue;
      changed = true;
      crossings.push({ camera: this.camera, line: c.line, id: t.id, label: t.label, direction: c.direction, time: c.time, wallTime: c.wallTime, snapshotTime: s.obj.bestFrameTime });
    }
    return changed;
  }

  /** The stream ended (or restarts): every open object ends at `pts` (default: the last frame's time). */
  flush(pts: number = this.lastPts ?? 0): CameraUpdate {
    const events: ObjectEvent[] = [];
    for (const t of this.tracker.clear()) {
      this.end(t.id, pts, events);
      this.lines.forget(t.id);
    }
    return this.finish(pts, events);
  }

  /** flush() at the last frame's time. */
  endAll(): CameraUpdate {
    return this.flush();
  }

  private observe(t: Track, pts: number, events: ObjectEvent[]): void {
    let s = this.states.get(t.id);
    if (s === undefined) {
      s = this.create(t);
      this.states.set(t.id, s);
    }
    const o = s.obj;
    const opts = this.options.tracker;
    // Frigate: a frame without a sighting counts as a score of 0, so a vanishing object's median falls
    s.scores.push(t.matched ? t.score : 0);
    if (s.scores.length > opts.scoreHistory) s.scores.shift();
    const computed = computedScore(s.scores);
    o.topScore = Math.max(o.topScore, computed);
    o.stationary = t.stationary;
    if (t.matched) {
      o.score = t.score;
      o.box = [...t.box];
      o.area = (t.box[2] - t.box[0]) * (t.box[3] - t.box[1]);
      o.ratio = t.box[3] > t.box[1] ? (t.box[2] - t.box[0]) / (t.box[3] - t.box[1]) : 0;
      o.lastSeen = t.lastSeen;
      this.updateZones(s, pts);
      this.updateSpeed(s, pts);
      // a parked object's snapshot is frozen: a better score while stationary is not news
      const margin = s.published === null ? 0 : opts.snapshotMargin;
      if (!t.stationary && t.score > s.bestScore + margin) {
        s.bestScore = t.score;
        o.bestFrameTime = pts;
      }
    }
    // once a true positive, always a true positive (Frigate), so an event never flips back
    o.loitering = this.isLoitering(s, pts);
    const threshold = this.filter.filterOf(o.label)?.threshold ?? DEFAULT_LABEL_FILTER.threshold;
    if (o.falsePositive && computed >= threshold) o.falsePositive = false;
    if (o.falsePositive) return;

    const before = s.published;
    if (before === null) {
      this.publish(s, 'new', pts, events);
      return;
    }
    const meaningful =
      !sameMembers(before.currentZones, o.currentZones) ||
      before.stationary !== o.stationary ||
      before.loitering !== o.loitering ||
      before.bestFrameTime !== o.bestFrameTime ||
      (!o.stationary && pts - s.publishedAt >= opts.heartbeatSeconds);
    if (meaningful) this.publish(s, 'update', pts, events);
  }

  private create(t: Track): ObjectState {
    const obj: TrackedObject = {
      id: t.id,
      camera: this.camera,
      label: t.label,
      score: t.score,
      topScore: 0,
      box: [...t.box],
      area: 0,
      ratio: 0,
      currentZones: [],
      enteredZones: [],
      stationary: false,
      startTime: t.startTime,
      lastSeen: t.lastSeen,
      endTime: null,
      bestFrameTime: t.startTime,
      falsePositive: true,
      loitering: false,
      currentSpeed: 0,
      averageSpeed: 0,
    };
    const s: ObjectState = { obj, scores: [], published: null, publishedAt: t.startTime, bestScore: 0, zoneStreak: new Map(), zoneSince: new Map(), heldCrossings: [], speed: null };
    // The first sighting places the object without inertia: inertia damps edge jitter, and a birth is not jitter.
    for (const zone of this.zones.zonesAt(t.box, t.label, this.srcWidth, this.srcHeight)) {
      obj.currentZones.push(zone);
      obj.enteredZones.push(zone);
      s.zoneSince.set(zone, t.startTime);
    }
    return s;
  }

  /**
   * Ground speed (km/h) in the first current zone that has `distances`: the bottom centre's move since the previous
   * sighting in stream time, at the zone's metres per pixel there. The current speed is smoothed over sightings (box
   * jitter); the average is over every measurement. Out of such zones the current speed is 0.
   */
  private updateSpeed(s: ObjectState, pts: number): void {
    const o = s.obj;
    const zone = o.currentZones.find((z) => this.zones.measuresSpeed(z));
    const x = (o.box[0] + o.box[2]) / 2;
    const y = o.box[3];
    if (zone === undefined) {
      o.currentSpeed = 0;
      if (s.speed) s.speed.t = Number.NaN;
      return;
    }
    const prev = s.speed;
    if (prev === null || !(pts > prev.t)) {
      s.speed = { x, y, t: pts, sum: prev?.sum ?? 0, count: prev?.count ?? 0 };
      return;
    }
    const scale = this.zones.metresPerPixel(zone, (x + prev.x) / 2, (y + prev.y) / 2, this.srcWidth, this.srcHeight) ?? 0;
    const kmh = ((Math.hypot(x - prev.x, y - prev.y) * scale) / (pts - prev.t)) * 3.6;
    o.currentSpeed = prev.count === 0 ? kmh : o.currentSpeed + SPEED_GAIN * (kmh - o.currentSpeed);
    prev.sum += kmh;
    prev.count++;
    o.averageSpeed = prev.sum / prev.count;
    prev.x = x;
    prev.y = y;
    prev.t = pts;
  }

  /** In a zone with `loiterSeconds` for longer than that, in stream time (also while the detector misses it). */
  private isLoitering(s: ObjectState, pts: number): boolean {
    for (const zone of s.obj.currentZones) {
      const limit = this.zones.loiterSecondsOf(zone);
      if (limit !== undefined && pts - (s.zoneSince.get(zone) ?? pts) >= limit) return true;
    }
    return false;
  }

  private updateZones(s: ObjectState, pts: number): void {
    const o = s.obj;
    const inside = this.zones.zonesAt(o.box, o.label, this.srcWidth, this.srcHeight);
    let changed = false;
    for (const zone of this.zones.names) {
      if (!this.zones.accepts(zone, o.label)) continue;
      const isIn = inside.includes(zone);
      if (isIn === o.currentZones.includes(zone)) {
        s.zoneStreak.delete(zone);
        continue;
      }
      const streak = (s.zoneStreak.get(zone) ?? 0) + 1;
      if (streak < this.zones.inertiaOf(zone)) {
        s.zoneStreak.set(zone, streak);
        continue;
      }
      s.zoneStreak.delete(zone);
      changed = true;
      if (isIn) {
        o.currentZones.push(zone);
        if (!o.enteredZones.includes(zone)) o.enteredZones.push(zone);
        s.zoneSince.set(zone, pts);
      } else {
        o.currentZones.splice(o.currentZones.indexOf(zone), 1);
        s.zoneSince.delete(zone);
      }
    }
    // keep config order, so equal zone sets always look the same
    if (changed) o.currentZones.sort((a, b) => this.zones.names.indexOf(a) - this.zones.names.indexOf(b));
  }

  /**
   * A classifier agreed on the object's sub-label (pipeline/classify.ts): an `update` goes out now, between frames, and
   * later events carry it. Undefined when the object is gone, not an event yet, or already has that sub-label.
   */
  setSubLabel(id: string, subLabel: SubLabel): CameraUpdate | undefined {
    const s = this.states.get(id);
    if (s === undefined || s.published === null) return undefined;
    const had = s.obj.subLabel;
    if (had && had.label === subLabel.label && had.score === subLabel.score) return undefined;
    s.obj.subLabel = { ...subLabel };
    const pts = this.lastPts ?? s.obj.lastSeen;
    const events: ObjectEvent[] = [];
    this.publish(s, 'update', pts, events);
    return this.finish(pts, events);
  }

  private publish(s: ObjectState, type: 'new' | 'update', pts: number, events: ObjectEvent[]): void {
    const after = copyObject(s.obj);
    events.push({ type, before: s.published ?? after, after });
    s.published = after;
    s.publishedAt = pts;
  }

  private end(id: string, pts: number, events: ObjectEvent[]): void {
    const s = this.states.get(id);
    if (s === undefined) return;
    this.states.delete(id);
    if (s.published === null) return; // never an event, so never ended either
    s.obj.endTime = Math.max(pts, s.obj.lastSeen);
    events.push({ type: 'end', before: s.published, after: copyObject(s.obj) });
  }

  private finish(pts: number, events: ObjectEvent[], crossings: LineCrossing[] = [], lineCountsChanged = false): CameraUpdate {
    const objects: TrackedObject[] = [];
    for (const s of this.states.values()) if (s.published !== null) objects.push(copyObject(s.obj));
    const update: CameraUpdate = { camera: this.camera, pts, epochOffset: this.epochOffset ?? 0, events, objects };
    if (crossings.length > 0) update.crossings = crossings;
    if (this.lineCounts.size > 0 && (lineCountsChanged || !this.lineCountsSent)) {
      update.lineCounts = this.lineCounts.snapshot();
      this.lineCountsSent = true;
    }
    const counts = this.count(objects);
    const key = JSON.stringify(counts);
    if (key !== this.lastCounts) {
      update.counts = counts;
      this.lastCounts = key;
    }
    return update;
  }

  private count(objects: readonly TrackedObject[]): ObjectCounts {
    const track = this.options.objects.track;
    const counts: ObjectCounts = { all: Object.fromEntries(track.map((l) => [l, 0])) };
    for (const zone of this.zones.names) counts[zone] = Object.fromEntries(this.zones.labelsOf(zone, track).map((l) => [l, 0]));
    for (const o of objects) {
      counts.all[o.label] = (counts.all[o.label] ?? 0) + 1;
      for (const zone of o.currentZones) counts[zone][o.label] = (counts[zone][o.label] ?? 0) + 1;
    }
    return counts;
  }
}
