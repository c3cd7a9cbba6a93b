// Who owns a topic prefix on a shared broker. Lookout publishes, beside its retained `<prefix>/available`, a retained
// `<prefix>/available/instance` naming its run; a retained `online` with no marker (a real Frigate) or another run's
// marker is a live producer Lookout must not publish over unless told to take over (`mqtt.takeOver`).
import { randomBytes } from 'node:crypto';
import { connect, type IClientOptions } from 'mqtt';

/** The retained marker topic beside `<prefix>/available`. */
export const instanceTopic = (availableTopic: string) => `${availableTopic}/instance`;

/** A marker no other run can have: Lookout's name, so a marker is recognisably ours, and random bytes. */
export function newInstanceId(): string {
  return `lookout-${randomBytes(6).toString('hex')}`;
}

export interface PrefixState {
  /** the retained `<prefix>/available` (undefined when none) */
  available?: string;
  /** the retained marker beside it */
  instance?: string;
}

/** Someone else's live claim on the prefix, in words, or undefined when the prefix is free (or ours). */
export function otherOwner(state: PrefixState, availableTopic: string, ours: string): string | undefined {
  if (state.available !== 'online' || state.instance === ours) return undefined;
  const who = state.instance === undefined || state.instance === '' ? 'a producer that is not Lookout (a Frigate?)' : `another Lookout (${state.instance})`;
  return `${availableTopic} is retained as online by ${who}`;
}

/**
 * What a broker holds retained on `topics`, read by a short-lived client. Each topic is subscribed on its own, then a
 * probe topic of our own: a broker sends a subscription's retained messages before it handles the next SUBSCRIBE, and
 * delivers our publish on the probe after them, so once the probe is back every retained message is in.
 */
export async function readRetained(url: string, options: IClientOptions, topics: readonly string[], timeoutMs: number): Promise<Map<string, string>> {
  const client = connect(url, { ...options, clientId: `lookout-probe-${randomBytes(4).toString('hex')}`, clean: true, reconnectPeriod: 0, connectTimeout: timeoutMs });
  const heard = new Map<string, string>();
  const probe = `lookout-probe/${randomBytes(6).toString('hex')}`;
  let timer: NodeJS.Timeout | undefined;
  try {
    const done = new Promise<void>((resolve, reject) => {
      client.on('message', (topic, payload, packet) => {
        if (topic === probe) resolve();
        else if (packet.retain) heard.set(topic, payload.toString('utf8'));
      });
      client.on('error', reject);
      timer = setTimeout(() => reject(new Error(`no answer from ${url} within ${timeoutMs} ms`)), timeoutMs);
    });
    const work = (async () => {
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
      });
      for (const t of topics) await client.subscribeAsync(t, { qos: 1 });
      await client.subscribeAsync(probe, { qos: 1 });
      await client.publishAsync(probe, 'x', { qos: 1 });
      await done;
    })();
    await Promise.race([work, done]);
    return heard;
  } finally {
    clearTimeout(timer);
    await client.endAsync(true).catch(() => undefined);
  }
}
