// Frigate-compatible topics and payloads, so Home Assistant and Node-RED flows written for Frigate work unchanged:
// `frigate/events` ({type, before, after} with Frigate's field names), `frigate/<camera>/<label>` and
// `frigate/<zone>/<label>` counts (not retained, as Frigate publishes them). Times are epoch seconds, as in Frigate:
// each camera's stream clock is anchored to the wall clock once, at its first frame (CameraUpdate.epochOffset, the
// same times as every other sink), so differences stay exact.
import type { CameraUpdate } from '../../core/types.js';
import type { Box, FrameMeta, ObjectEvent, TrackedObject } from '../../core/types.js';
import { countEntries, LastValues, round, type Dialect, type TopicMessage } from './dialect.js';
import { topicLevel } from './topics.js';

export interface FrigateSnapshot {
  frame_time: number;
  box: number[];
  area: number;
  region: number[];
  score: number;
  attributes: unknown[];
}

/** Frigate's `TrackedObject.to_dict()` fields. Those Lookout has no data for carry Frigate's empty values. */
export interface FrigateObjectPayload {
  id: string;
  camera: string;
  frame_time: number;
  snapshot: FrigateSnapshot;
  label: string;
  /**
   * `[name, score]` once set, else null: what Frigate 0.17 sends (after.sub_label = ["Eli", 0.514], seen on its MQTT
   * events; Home Assistant automations read `after.sub_label[0]`, github.com/blakeblackshear/frigate/discussions/21793)
   */
  sub_label: [string, number] | null;
  top_score: number;
  false_positive: boolean;
  start_time: number;
  end_time: number | null;
  score: number;
  box: number[];
  area: number;
  ratio: number;
  region: number[];
  active: boolean;
  stationary: boolean;
  motionless_count: number;
  position_changes: number;
  current_zones: string[];
  entered_zones: string[];
  has_clip: boolean;
  has_snapshot: boolean;
  attributes: Record<string, number>;
  current_attributes: unknown[];
  /**
   * Frigate: the object is in a zone with `loitering_time`. Lookout sets it once the object has stayed in a zone with
   * `loiterSeconds` longer than that (its `loitering`), and adds no key of its own, so Frigate consumers see Frigate's
   * exact fields.
   */
  pending_loitering: boolean;
  max_severity: null;
  current_estimated_speed: number;
  average_estimated_speed: number;
  velocity_angle: number;
  path_data: unknown[];
  recognized_license_plate: null;
}

export interface FrigateEventPayload {
  type: ObjectEvent['type'];
  before: FrigateObjectPayload;
  after: FrigateObjectPayload;
}

/** What Frigate keeps per object that Lookout's events do not carry. */
interface ObjectMemory {
  /** epoch time of the frame of the last message about it (the next message's `before.frame_time`) */
  frameTime: number;
  snapshot: FrigateSnapshot;
  positionChanges: number;
  stationary: boolean;
}

export interface FrigateDialectOptions {
  /** frames without motion after which a camera's objects are stationary (Frigate's `motionless_count` floor) */
  stationaryFramesOf: (camera: string) => number;
  /**
   * every event gets a snapshot at `/api/events/<id>/snapshot.jpg` (an HTTP server is configured): `has_snapshot`
   * says so, as Frigate's does, so Home Assistant notifications attach it
   */
  snapshotsServed?: boolean;
  /** wall clock in ms (tests) */
  now?: () => number;
  /** whether an event has a clip (cameras with `record`) */
  hasClip?: (id: string) => boolean;
}

export class FrigateDialect implements Dialect {
  readonly name = 'frigate' as const;
  readonly availableTopic: string;
  /** Frigate has no `stopped`: it says `offline` after a clean stop too */
  readonly stoppedPayload = 'offline';
  readonly statsTopic: string;
  readonly countsRetained = false;
  readonly eventsTopic: string;
  private readonly counts = new LastValues();
  /** zone → label → camera → count: Frigate's zone topics count over every camera with that zone */
  private readonly zoneCounts = new Map<string, Map<string, Map<string, number>>>();
  private readonly memory = new Map<string, ObjectMemory>();
  private readonly epochOffset = new Map<string, number>();
  private readonly frameSize = new Map<string, [number, number]>();
  private readonly now: () => number;

  constructor(
    readonly prefix: string,
    private readonly opts: FrigateDialectOptions,
  ) {
    this.availableTopic = `${prefix}/available`;
    this.statsTopic = `${prefix}/stats`;
    this.eventsTopic = `${prefix}/events`;
    this.now = opts.now ?? Date.now;
  }

  stateTopic(camera: string, name: string): string {
    return `${this.prefix}/${topicLevel(camera)}/classification/${topicLevel(name)}`;
  }

  countTopic(cameraOrZone: string, label: string): string {
    return `${this.prefix}/${topicLevel(cameraOrZone)}/${topicLevel(label)}`;
  }

  zoneCountTopic(_camera: string, zone: string, label: string): string {
    return this.countTopic(zone, label);
  }

  observeFrame(frame: FrameMeta): void {
    const size = this.frameSize.get(frame.camera);
    if (!size || size[0] !== frame.transform.srcWidth || size[1] !== frame.transform.srcHeight) {
      this.frameSize.set(frame.camera, [frame.transform.srcWidth, frame.transform.srcHeight]);
    }
  }

  messages(update: CameraUpdate): TopicMessage[] {
    const out: TopicMessage[] = [];
    // the pipeline's anchor: the same epoch times as the Lookout dialect, the API and the WebSocket
    this.epochOffset.set(update.camera, update.epochOffset);
    for (const e of update.events) out.push({ topic: this.eventsTopic, payload: this.event(e, update.pts), retain: false, kind: 'event' });
    if (update.counts) {
      for (const c of countEntries(update.counts)) {
        const value = c.zone === undefined ? c.value : this.zoneTotal(c.zone, c.label, update.camera, c.value);
        const topic = this.countTopic(c.zone ?? update.camera, c.label);
        if (this.counts.changed(topic, value)) out.push({ topic, payload: value, retain: false, kind: 'state' });
      }
    }
    return out;
  }

  private zoneTotal(zone: string, label: string, camera: string, value: number): number {
    let labels = this.zoneCounts.get(zone);
    if (!labels) this.zoneCounts.set(zone, (labels = new Map()));
    let cameras = labels.get(label);
    if (!cameras) labels.set(label, (cameras = new Map()));
    cameras.set(camera, value);
    let total = 0;
    for (const n of cameras.values()) total += n;
    return total;
  }

  /** Stream seconds → epoch seconds (the camera's anchor from its updates; before any, the wall clock now). */
  private epoch(camera: string, pts: number): number {
    let offset = this.epochOffset.get(camera);
    if (offset === undefined) this.epochOffset.set(camera, (offset = this.now() / 1000 - pts));
    return round(offset + pts, 6);
  }

  private region(camera: string, box: Box): number[] {
    // Lookout runs the model on the whole picture, so the region it looked at is the frame
    const size = this.frameSize.get(camera);
    return size ? [0, 0, size[0], size[1]] : box.map((v) => Math.round(v));
  }

  private snapshotOf(o: TrackedObject): FrigateSnapshot {
    return {
      frame_time: this.epoch(o.camera, o.bestFrameTime),
      box: o.box.map((v) => Math.round(v)),
      area: Math.round(o.area),
      region: this.region(o.camera, o.box),
      score: round(o.score, 4),
      attributes: [],
    };
  }

  private event(e: ObjectEvent, pts: number): FrigateEventPayload {
    const { after, before } = e;
    let mem = this.memory.get(after.id);
    if (!mem) {
      // born moving counts as its first change of position (Frigate: 0 means "never moved", no snapshot or clip)
      mem = { frameTime: this.epoch(after.camera, before.lastSeen), snapshot: this.snapshotOf(before), positionChanges: before.stationary ? 0 : 1, stationary: before.stationary };
      this.memory.set(after.id, mem);
    }
    const beforePayload = this.object(before, mem.frameTime, mem.snapshot, mem.positionChanges);
    // the snapshot moves only when the best sighting is this frame's (then its box and score are the current ones)
    if (after.bestFrameTime === after.lastSeen && this.epoch(after.camera, after.bestFrameTime) !== mem.snapshot.frame_time) mem.snapshot = this.snapshotOf(after);
    if (mem.stationary && !after.stationary) mem.positionChanges++;
    mem.stationary = after.stationary;
    mem.frameTime = this.epoch(after.camera, pts);
    const afterPayload = this.object(after, mem.frameTime, mem.snapshot, mem.positionChanges);
    if (e.type === 'end') this.memory.delete(after.id);
    return { type: e.type, before: beforePayload, after: afterPayload };
  }

  private object(o: TrackedObject, frameTime: number, snapshot: FrigateSnapshot, positionChanges: number): FrigateObjectPayload {
    return {
      id: o.id,
      camera: o.camera,
      frame_time: frameTime,
      snapshot,
      label: o.label,
      sub_label: o.subLabel ? [o.subLabel.label, round(o.subLabel.score, 4)] : null,
      top_score: round(o.topScore, 4),
      false_positive: o.falsePositive,
      start_time: this.epoch(o.camera, o.startTime),
      end_time: o.endTime === null ? null : this.epoch(o.camera, o.endTime),
      score: round(o.score, 4),
      box: o.box.map((v) => Math.round(v)),
      area: Math.round(o.area),
      ratio: round(o.ratio, 6),
      region: this.region(o.camera, o.box),
      active: !o.stationary,
      stationary: o.stationary,
      motionless_count: o.stationary ? this.opts.stationaryFramesOf(o.camera) : 0,
      position_changes: positionChanges,
      current_zones: [...o.currentZones],
      entered_zones: [...o.enteredZones],
      has_clip: this.opts.hasClip?.(o.id) ?? false,
      has_snapshot: this.opts.snapshotsServed ?? false,
      attributes: {},
      current_attributes: [],
      pending_loitering: o.loitering,
      max_severity: null,
      current_estimated_speed: round(o.currentSpeed, 1),
      average_estimated_speed: round(o.averageSpeed, 1),
      velocity_angle: 0,
      path_data: [],
      recognized_license_plate: null,
    };
  }
}
