// The bounded queue of messages waiting for the broker. It is ours, not mqtt.js's offline queue, so that the bound and
// the drop count are known: when full, the oldest message goes (the newest news is worth the most) and is counted.
// State messages (counts) coalesce: a newer value of a topic replaces the queued one instead of taking a second slot.

export interface OutboxMessage {
  topic: string;
  /** text, or bytes (snapshot JPEGs) */
  payload: string | Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
}

interface Entry {
  message: OutboxMessage;
  /** set when a newer state message of the same topic replaced it; skipped, and compacted away */
  dead: boolean;
}

export class Outbox {
  private entries: Entry[] = [];
  private live = 0;
  /** the queued state message per topic, for coalescing */
  private readonly stateByTopic = new Map<string, Entry>();
  /** messages dropped because the outbox was full */
  dropped = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`capacity must be an integer >= 0, got ${capacity}`);
  }

  get size(): number {
    return this.live;
  }

  /** Queues a message; `state` messages replace a queued one of the same topic. Returns false when it was dropped. */
  push(message: OutboxMessage, kind: 'event' | 'state'): boolean {
    if (kind === 'state') {
      const queued = this.stateByTopic.get(message.topic);
      if (queued) {
        queued.dead = true;
        this.live--;
      }
    }
    if (this.capacity === 0) {
      this.dropped++;
      return false;
    }
    while (this.live >= this.capacity) this.dropOldest();
    const entry: Entry = { message, dead: false };
    this.entries.push(entry);
    this.live++;
    if (kind === 'state') this.stateByTopic.set(message.topic, entry);
    this.compact();
    return true;
  }

  /** The oldest waiting message, removed from the queue. */
  shift(): OutboxMessage | undefined {
    for (;;) {
      const entry = this.entries.shift();
      if (entry === undefined) return undefined;
      if (entry.dead) continue;
      this.live--;
      if (this.stateByTopic.get(entry.message.topic) === entry) this.stateByTopic.delete(entry.message.topic);
      return entry.message;
    }
  }

  clear(): void {
    this.entries = [];
    this.live = 0;
    this.stateByTopic.clear();
  }

  private dropOldest(): void {
    if (this.shift() !== undefined) this.dropped++;
  }

  /** Coalescing leaves dead entries behind; once they outnumber the live ones, rebuild the array. */
  private compact(): void {
    if (this.entries.length > 2 * this.live + 16) this.entries = this.entries.filter((e) => !e.dead);
  }
}
