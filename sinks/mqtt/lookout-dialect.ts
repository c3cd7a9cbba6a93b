// Lookout's own topics: `<prefix>/<camera>/events`, `<prefix>/<camera>/<label>` counts (retained) and
// `<prefix>/<camera>/zones/<zone>/<label>`. Payload fields are Frigate's names in snake_case; times are epoch seconds
// (the camera's stream clock anchored to the wall clock at its first frame, core/epoch.ts), with the stream time of
// the frame kept as `stream_time`. The WebSocket sink and the HTTP API speak this dialect too.
import type { CameraUpdate } from '../../core/types.js';
import type { ObjectEvent, TrackedObject } from '../../core/types.js';
import { epochSeconds } from '../../core/epoch.js';
import { countEntries, LastValues, round, type Dialect, type TopicMessage } from './dialect.js';
import { topicLevel } from './topics.js';
import { lineCountTopic, lineMessages } from './line-topics.js';
import type { CrossingDirection } from '../../core/types.js';

export interface LookoutObjectPayload {
  id: string;
  camera: string;
  label: string;
  /** the class a camera's `classify.<label>` classifier agreed on (null until then) and the mean score of its votes */
  sub_label: string | null;
  sub_label_score: number | null;
  score: number;
  top_score: number;
  box: number[];
  area: number;
  ratio: number;
  current_zones: string[];
  entered_zones: string[];
  stationary: boolean;
  /** epoch seconds of the first and latest sighting, and of the end */
  start_time: number;
  last_seen: number;
  end_time: number | null;
  /** epoch seconds of the frame of the best sighting so far (where the snapshot comes from) */
  snapshot_time: number;
  false_positive: boolean;
  /** in a zone with `loiterSeconds` for longer than that */
  loitering: boolean;
  /** km/h in a zone with `distances` (Frigate's names); 0 when never measured */
  current_estimated_speed: number;
  average_estimated_speed: number;
  /** the event's clip is written or being made (GET /api/events/<id>/clip.mp4) */
  has_clip: boolean;
}

export interface LookoutEventPayload {
  type: ObjectEvent['type'];
  /** epoch seconds of the frame this event is for */
  frame_time: number;
  /** the same frame's stream time (seconds of the clip or stream) */
  stream_time: number;
  before: LookoutObjectPayload;
  after: LookoutObjectPayload;
}

/** An object's payload; `epochOffset` (CameraUpdate's) turns its stream times into epoch seconds. */
export function lookoutObject(o: TrackedObject, epochOffset: number, hasClip: (id: string) => boolean = () => false): LookoutObjectPayload {
  const t = (pts: number) => epochSeconds(epochOffset, pts);
  return {
    id: o.id,
    camera: o.camera,
    label: o.label,
    sub_label: o.subLabel?.label ?? null,
    sub_label_score: o.subLabel ? round(o.subLabel.score, 4) : null,
    score: round(o.score, 4),
    top_score: round(o.topScore, 4),
    box: o.box.map((v) => Math.round(v)),
    area: Math.round(o.area),
    ratio: round(o.ratio, 4),
    current_zones: [...o.currentZones],
    entered_zones: [...o.enteredZones],
    stationary: o.stationary,
    start_time: t(o.startTime),
    last_seen: t(o.lastSeen),
    end_time: o.endTime === null ? null : t(o.endTime),
    snapshot_time: t(o.bestFrameTime),
    false_positive: o.falsePositive,
    loitering: o.loitering,
    current_estimated_speed: round(o.currentSpeed, 1),
    average_estimated_speed: round(o.averageSpeed, 1),
    has_clip: hasClip(o.id),
  };
}

export function lookoutEvent(e: ObjectEvent, pts: number, epochOffset: number, hasClip?: (id: string) => boolean): LookoutEventPayload {
  return { type: e.type, frame_time: epochSeconds(epochOffset, pts), stream_time: round(pts, 6), before: lookoutObject(e.before, epochOffset, hasClip), after: lookoutObject(e.after, epochOffset, hasClip) };
}

export class LookoutDialect implements Dialect {
  readonly name = 'lookout' as const;
  readonly availableTopic: string;
  readonly stoppedPayload = 'stopped';
  readonly statsTopic: string;
  readonly countsRetained = true;
  private readonly counts = new LastValues();
  private readonly lineCounts = new LastValues();

  constructor(
    readonly prefix: string,
    /** whether an event has a clip (cameras with `record`) */
    private readonly hasClip?: (id: string) => boolean,
  ) {
    this.availableTopic = `${prefix}/available`;
    this.statsTopic = `${prefix}/stats`;
  }

  eventsTopic(camera: string): string {
    return `${this.prefix}/${topicLevel(camera)}/events`;
  }

  stateTopic(camera: string, name: string): string {
    return `${this.prefix}/${topicLevel(camera)}/state/${topicLevel(name)}`;
  }

  countTopic(camera: string, label: string, zone?: string): string {
    const where = zone === undefined ? '' : `zones/${topicLevel(zone)}/`;
    return `${this.prefix}/${topicLevel(camera)}/${where}${topicLevel(label)}`;
  }

  zoneCountTopic(camera: string, zone: string, label: string): string {
    return this.countTopic(camera, label, zone);
  }

  messages(update: CameraUpdate): TopicMessage[] {
    const out: TopicMessage[] = [];
    for (const e of update.events) out.push({ topic: this.eventsTopic(update.camera), payload: lookoutEvent(e, update.pts, update.epochOffset, this.hasClip), retain: false, kind: 'event' });
    if (update.counts) {
      for (const c of countEntries(update.counts)) {
        const topic = this.countTopic(update.camera, c.label, c.zone);
        if (this.counts.changed(topic, c.value)) out.push({ topic, payload: c.value, retain: true, kind: 'state' });
      }
    }
    out.push(...lineMessages(this.prefix, update, this.lineCounts));
    return out;
  }

  lineCountTopic(camera: string, line: string, label: string, direction: CrossingDirection): string {
    return lineCountTopic(this.prefix, camera, line, label, direction);
  }

  observeFrame(): void {}
}
