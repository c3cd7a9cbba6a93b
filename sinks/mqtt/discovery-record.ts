// What Lookout published for Home Assistant, kept on the broker so a later run can take it back. Each run writes a
// retained record per dialect prefix, `<discovery prefix>/lookout/<host>/<node>/published`; on start it clears (empty
// retained payloads) what its own record lists and the new set lacks (a renamed camera, a removed zone), and every
// other record of this host whose prefix is no longer online (a dialect switch), so Home Assistant shows no stale devices.
import { hostname } from 'node:os';

export interface DiscoveryRecord {
  /** the availability topic of the prefix that published it: the record is live while that says `online` */
  available: string;
  /** retained discovery configs */
  configs: string[];
  /** retained state topics those configs read (counts, motion, detect state) */
  states: string[];
}

const level = (s: string) => s.replace(/[^a-zA-Z0-9_-]+/g, '_');

export function recordFilter(discoveryPrefix: string): string {
  return `${discoveryPrefix}/lookout/${level(hostname())}/+/published`;
}

export function recordTopic(discoveryPrefix: string, node: string): string {
  return `${discoveryPrefix}/lookout/${level(hostname())}/${level(node)}/published`;
}

export function parseRecord(text: string): DiscoveryRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<DiscoveryRecord>;
    if (typeof r.available !== 'string' || !Array.isArray(r.configs) || !Array.isArray(r.states)) return undefined;
    const strings = (a: unknown[]) => a.filter((t): t is string => typeof t === 'string');
    return { available: r.available, configs: strings(r.configs), states: strings(r.states) };
  } catch {
    return undefined;
  }
}

/** Topics of `old` that `next` no longer publishes: to be cleared. */
export function staleTopics(old: DiscoveryRecord, next: DiscoveryRecord | undefined): string[] {
  const keep = new Set([...(next?.configs ?? []), ...(next?.states ?? [])]);
  return [...old.configs, ...old.states].filter((t) => !keep.has(t));
}
