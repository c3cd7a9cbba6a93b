// Before the MQTT sink publishes anything: is the prefix someone else's, and what did earlier runs leave for Home
// Assistant that must go. One short-lived client reads the retained state; the sink's own connection then acts on it.
import type { IClientOptions } from 'mqtt';
import { LookoutError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { parseRecord, recordFilter, recordTopic, staleTopics, type DiscoveryRecord } from './discovery-record.js';
import { instanceTopic, otherOwner, readRetained, type PrefixState } from './prefix-owner.js';

export interface PreflightOptions {
  url: string;
  client: IClientOptions;
  availableTopic: string;
  instance: string;
  takeOver: boolean;
  /** discovery prefix and this run's record (undefined: discovery off, nothing published, nothing cleared) */
  discovery?: { prefix: string; node: string; record: DiscoveryRecord };
  timeoutMs?: number;
  logger: Logger;
}

/** Whether the prefix is still ours on a reconnect: someone else's claim on it, in words, or undefined. */
export async function ownerNow(o: Pick<PreflightOptions, 'url' | 'client' | 'availableTopic' | 'instance' | 'timeoutMs'>): Promise<string | undefined> {
  const marker = instanceTopic(o.availableTopic);
  const heard = await readRetained(o.url, o.client, [o.availableTopic, marker], o.timeoutMs ?? 5000);
  return otherOwner({ available: heard.get(o.availableTopic), instance: heard.get(marker) }, o.availableTopic, o.instance);
}

export interface Preflight {
  /** the live producer's retained state we took over, restored at a clean stop (so its Home Assistant view stays) */
  tookOverFrom?: PrefixState;
  /** retained topics earlier runs published that this one does not: cleared with empty retained payloads */
  clear: string[];
  /** the broker could not be reached (why): nothing was checked, and nothing may be published until it is */
  unreachable?: string;
}

export async function preflight(o: PreflightOptions): Promise<Preflight> {
  const marker = instanceTopic(o.availableTopic);
  const timeoutMs = o.timeoutMs ?? 5000;
  let heard: Map<string, string>;
  try {
    heard = await readRetained(o.url, o.client, [o.availableTopic, marker, ...(o.discovery ? [recordFilter(o.discovery.prefix)] : [])], timeoutMs);
  } catch (err) {
    // an unreachable broker is not an error (messages wait in the outbox), but the check is owed: the caller repeats it
    return { clear: [], unreachable: (err as Error).message };
  }
  const state: PrefixState = { available: heard.get(o.availableTopic), instance: heard.get(marker) };
  const owner = otherOwner(state, o.availableTopic, o.instance);
  let tookOverFrom: PrefixState | undefined;
  if (owner !== undefined) {
    if (!o.takeOver) {
      throw new LookoutError('LOOKOUT_ERR_MQTT_PREFIX_OWNED', `mqtt: ${owner}; refusing to publish under its prefix (choose another mqtt.topicPrefix, or set mqtt.takeOver: true)`);
    }
    o.logger.warn(`taking over ${o.availableTopic} from ${owner.replace(/^.* by /, '')} (mqtt.takeOver); its retained state is restored at a clean stop and is this run's last will`);
    tookOverFrom = state;
  }
  const clear: string[] = [];
  if (o.discovery) {
    const ownTopic = recordTopic(o.discovery.prefix, o.discovery.node);
    const others: [string, DiscoveryRecord][] = [];
    for (const [topic, text] of heard) {
      const record = topic.startsWith(`${o.discovery.prefix}/lookout/`) ? parseRecord(text) : undefined;
      if (!record) continue;
      if (topic === ownTopic) clear.push(...staleTopics(record, o.discovery.record));
      else others.push([topic, record]);
    }
    if (others.length > 0) {
      // another prefix's record is stale once its producer is not online (a dialect switch, a renamed prefix)
      const availability = others.flatMap(([, r]) => [r.available, instanceTopic(r.available)]);
      const live = await readRetained(o.url, o.client, availability, timeoutMs).catch(() => undefined);
      for (const [topic, r] of live ? others : []) {
        if (live!.get(r.available) === 'online') continue;
        clear.push(...staleTopics(r, undefined), topic);
        // its availability too, when it was a Lookout's (never a real Frigate's)
        if (live!.get(instanceTopic(r.available))?.startsWith('lookout-')) clear.push(r.available, instanceTopic(r.available));
      }
    }
  }
  return { tookOverFrom, clear };
}
