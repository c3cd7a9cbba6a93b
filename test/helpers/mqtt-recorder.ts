// A real mqtt.js subscriber that records what it hears and lets a test await a condition on it (checked on every
// message, so nothing sleeps).
import { connectAsync, type MqttClient } from 'mqtt';
import { topicMatches } from '../../sinks/mqtt/topics.js';

export interface Heard {
  topic: string;
  text: string;
  retain: boolean;
  /** the broker says it may have sent this one before (QoS 1 redelivery) */
  dup: boolean;
  /** performance.now() when it arrived */
  at: number;
}

export interface RecorderOptions {
  clientId?: string;
  /** false: a persistent session the broker keeps (and queues QoS 1 messages for) while this client is away */
  clean?: boolean;
  reconnectPeriodMs?: number;
  username?: string;
  password?: string;
  /** CA certificate (PEM) for an mqtts:// broker */
  ca?: Buffer;
}

export class MqttRecorder {
  readonly heard: Heard[] = [];
  private waiters = new Set<() => void>();

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.heard.push({ topic, text: payload.toString('utf8'), retain: packet.retain, dup: packet.dup, at: performance.now() });
      for (const w of [...this.waiters]) w();
    });
  }

  /** Connects and subscribes (QoS 1) before resolving, so nothing published afterwards is missed. */
  static async connect(url: string, filters: string[], opts: RecorderOptions = {}): Promise<MqttRecorder> {
    const client = await connectAsync(url, {
      clientId: opts.clientId ?? `rec-${Math.random().toString(16).slice(2, 10)}`,
      clean: opts.clean ?? true,
      reconnectPeriod: opts.reconnectPeriodMs ?? 100,
      protocolVersion: 4,
      username: opts.username,
      password: opts.password,
      ...(opts.ca ? { ca: opts.ca } : {}),
    });
    const recorder = new MqttRecorder(client);
    if (filters.length > 0) await client.subscribeAsync(filters, { qos: 1 });
    return recorder;
  }

  /** Texts heard on topics matching `filter`, in order. */
  texts(filter: string): string[] {
    return this.heard.filter((h) => topicMatches(filter, h.topic)).map((h) => h.text);
  }

  json<T = Record<string, unknown>>(filter: string): T[] {
    return this.texts(filter).map((t) => JSON.parse(t) as T);
  }

  /** Resolves with the first truthy value of `check` (tried now and after every message); rejects after `timeoutMs`. */
  waitFor<T>(check: (r: MqttRecorder) => T | undefined | false | null, what: string, timeoutMs = 15000): Promise<T> {
    const now = check(this);
    if (now) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const tail = this.heard.slice(-10).map((h) => `${h.topic} ${h.text.slice(0, 120)}`);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last heard:\n  ${tail.join('\n  ')}`));
      }, timeoutMs);
      const waiter = () => {
        const v = check(this);
        if (!v) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(v);
      };
      this.waiters.add(waiter);
    });
  }

  /** Waits until `filter` has carried `text` (after `from` messages heard on it). */
  waitForText(filter: string, text: string, from = 0): Promise<true> {
    return this.waitFor((r) => r.texts(filter).slice(from).includes(text) || undefined, `${text} on ${filter}`);
  }

  async publish(topic: string, payload: string, opts: { retain?: boolean } = {}): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1, retain: opts.retain ?? false });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/**
 * What the broker holds retained for `topics`, read by a fresh client. Each topic is subscribed on its own and a
 * marker topic last: a broker sends a subscription's retained message before it handles the next SUBSCRIBE, so once
 * the marker's retained message is in, everything retained on the topics before it has arrived too.
 */
export async function retainedOn(url: string, topics: string[], marker: string): Promise<Map<string, string>> {
  const rec = await MqttRecorder.connect(url, []);
  try {
    for (const t of topics) await rec.client.subscribeAsync(t, { qos: 1 });
    await rec.client.subscribeAsync(marker, { qos: 1 });
    await rec.waitFor((r) => r.heard.some((h) => h.topic === marker && h.retain), `the retained marker ${marker}`);
    return new Map(rec.heard.filter((h) => h.retain && h.topic !== marker).map((h) => [h.topic, h.text]));
  } finally {
    await rec.close();
  }
}

/** What the broker holds retained on `topics` now: `retainedOn` with a marker of its own, published retained first. */
export async function retainedNow(url: string, topics: string[]): Promise<Map<string, string>> {
  const marker = `test-marker/${Math.random().toString(36).slice(2)}`;
  const pub = await MqttRecorder.connect(url, []);
  await pub.publish(marker, 'x', { retain: true });
  await pub.close();
  return retainedOn(url, topics, marker);
}
