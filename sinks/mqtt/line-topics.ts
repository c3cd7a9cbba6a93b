// Counting lines on MQTT (Lookout dialect, mirrored by the WebSocket): one message per crossing on
// `<prefix>/<camera>/crossings`, and per line, label and direction the count since the daily reset, retained on
// `<prefix>/<camera>/line/<line>/<label>/<in|out>`, with the count since start on `…/<in|out>/total`.
import type { CrossingDirection, LineCount, LineCrossing } from '../../core/types.js';
import { epochSeconds } from '../../core/epoch.js';
import { LastValues, round, type TopicMessage } from './dialect.js';
import { topicLevel } from './topics.js';

export interface CrossingPayload {
  /** the object's id: its event id (in `…/events`) and its snapshot id (`/api/events/<id>/snapshot.jpg`) */
  id: string;
  camera: string;
  line: string;
  label: string;
  direction: CrossingDirection;
  /** epoch seconds of the frame that confirmed the crossing, on the clock of the events */
  frame_time: number;
  /** that frame's stream time (s) */
  stream_time: number;
  /** wall-clock time (epoch s) at which that frame was captured */
  time: number;
  /** epoch seconds of the object's best sighting so far */
  snapshot_time: number;
}

export function lineCountTopic(prefix: string, camera: string, line: string, label: string, direction: CrossingDirection): string {
  return `${prefix}/${topicLevel(camera)}/line/${topicLevel(line)}/${topicLevel(label)}/${direction}`;
}

export function crossingsTopic(prefix: string, camera: string): string {
  return `${prefix}/${topicLevel(camera)}/crossings`;
}

export function crossingPayload(c: LineCrossing, epochOffset: number): CrossingPayload {
  return {
    id: c.id,
    camera: c.camera,
    line: c.line,
    label: c.label,
    direction: c.direction,
    frame_time: epochSeconds(epochOffset, c.time),
    stream_time: round(c.time, 6),
    time: round(c.wallTime / 1000, 3),
    snapshot_time: epochSeconds(epochOffset, c.snapshotTime),
  };
}

/** The crossing events and changed line counts of one camera update. */
export function lineMessages(prefix: string, update: { camera: string; epochOffset: number; crossings?: LineCrossing[]; lineCounts?: LineCount[] }, last: LastValues): TopicMessage[] {
  const out: TopicMessage[] = [];
  for (const c of update.crossings ?? []) out.push({ topic: crossingsTopic(prefix, update.camera), payload: crossingPayload(c, update.epochOffset), retain: false, kind: 'event' });
  for (const c of update.lineCounts ?? []) {
    const topic = lineCountTopic(prefix, update.camera, c.line, c.label, c.direction);
    if (last.changed(topic, c.today)) out.push({ topic, payload: c.today, retain: true, kind: 'state' });
    if (last.changed(`${topic}/total`, c.total)) out.push({ topic: `${topic}/total`, payload: c.total, retain: true, kind: 'state' });
  }
  return out;
}
