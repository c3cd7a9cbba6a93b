// What a dialect decides: the topics, payloads and retain flags of everything Lookout publishes. The connection,
// outbox, commands and discovery are the same for every dialect.
import type { MqttDialect } from '../../config/defaults.js';
import type { CameraUpdate, CrossingDirection, ObjectCounts } from '../../core/types.js';
import type { FrameMeta } from '../../core/types.js';
import { topicLevel } from './topics.js';

export interface TopicMessage {
  topic: string;
  /** a JSON value: strings and numbers go out as plain text, objects and arrays as JSON */
  payload: unknown;
  retain: boolean;
  /**
   * `event`: every one is delivered, in order. `state`: only the latest value of a topic matters, so a newer message
   * replaces one still waiting in the outbox (counts while the broker is away).
   */
  kind: 'event' | 'state';
}

export interface Dialect {
  readonly name: MqttDialect;
  readonly prefix: string;
  /** `online` (retained) on connect, `offline` as the last will */
  readonly availableTopic: string;
  /** what `available` says after a clean stop: Lookout `stopped`, Frigate `offline` */
  readonly stoppedPayload: string;
  readonly statsTopic: string;
  /** count topics are retained in the Lookout dialect, not in Frigate's */
  readonly countsRetained: boolean;
  /** the event and count messages of one camera update */
  messages(update: CameraUpdate): TopicMessage[];
  /** the count topic of a camera and label (`all` for every label): what the discovered sensors read */
  countTopic(camera: string, label: string): string;
  /** the count topic of a label (or `all`) in a camera's zone (Frigate: the zone's, summed over cameras) */
  zoneCountTopic(camera: string, zone: string, label: string): string;
  /** the daily count topic of a line, label and direction; absent in a dialect without lines (Frigate's) */
  lineCountTopic?(camera: string, line: string, label: string, direction: CrossingDirection): string;
  /**
   * a camera's state crop (`states.<name>`), retained, the state's class as plain text: Lookout `<p>/<camera>/state/<name>`,
   * Frigate `<p>/<camera>/classification/<name>` (Frigate 0.17's state-classification topic, docs.frigate.video
   * configuration/custom_classification/state_classification)
   */
  stateTopic(camera: string, name: string): string;
  /** frame metadata as it passes (frame sizes for Frigate's `region`) */
  observeFrame(frame: FrameMeta): void;
}

export const ONLINE = 'online';
export const OFFLINE = 'offline';

export function detectSetFilter(prefix: string): string {
  return `${prefix}/+/detect/set`;
}

/** `ON`/`OFF`, retained (Frigate: `frigate/<camera>/motion`). */
export function motionTopic(prefix: string, camera: string): string {
  return `${prefix}/${topicLevel(camera)}/motion`;
}

export function detectStateTopic(prefix: string, camera: string): string {
  return `${prefix}/${topicLevel(camera)}/detect/state`;
}

/** The camera a `<prefix>/<camera>/detect/set` topic names, or undefined when the topic is not one. */
export function cameraOfDetectSet(prefix: string, topic: string): string | undefined {
  const head = `${prefix}/`;
  const tail = '/detect/set';
  if (!topic.startsWith(head) || !topic.endsWith(tail)) return undefined;
  const camera = topic.slice(head.length, topic.length - tail.length);
  return camera.length > 0 && !camera.includes('/') ? camera : undefined;
}

/** One count: a label (or `all`) in a camera's whole picture (`zone` undefined) or in one of its zones. */
export interface CountEntry {
  zone?: string;
  label: string;
  value: number;
}

/** Flattens `{all: {person: 1}, driveway: {person: 0}}` into entries, adding an `all` total per scope. */
export function countEntries(counts: ObjectCounts): CountEntry[] {
  const out: CountEntry[] = [];
  for (const [scope, labels] of Object.entries(counts)) {
    const zone = scope === 'all' ? undefined : scope;
    let total = 0;
    for (const [label, value] of Object.entries(labels)) {
      out.push({ zone, label, value });
      total += value;
    }
    out.push({ zone, label: 'all', value: total });
  }
  return out;
}

/** Remembers the last value sent per topic, so a count goes out only when it changed. */
export class LastValues {
  private readonly last = new Map<string, number>();
  changed(topic: string, value: number): boolean {
    if (this.last.get(topic) === value) return false;
    this.last.set(topic, value);
    return true;
  }
}

export const round = (v: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
