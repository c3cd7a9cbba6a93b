// Recent object events for the API and the dashboard, bounded in count.
import type { ObjectEvent, TrackedObject } from '../../core/types.js';

export interface LoggedEvent {
  type: ObjectEvent['type'];
  /** wall-clock time the event was logged */
  at: number;
  object: TrackedObject;
  /** the camera's CameraUpdate.epochOffset: the object's stream times + this = epoch seconds */
  epochOffset: number;
}

export interface EventQuery {
  camera?: string;
  label?: string;
  limit?: number;
}

export class EventLog {
  private readonly events: LoggedEvent[] = [];
  constructor(private readonly maxEvents = 500) {}

  add(event: ObjectEvent, epochOffset: number, at = Date.now()): void {
    this.events.push({ type: event.type, at, object: event.after, epochOffset });
    if (this.events.length > this.maxEvents) this.events.splice(0, this.events.length - this.maxEvents);
  }

  /** Newest first. */
  query(q: EventQuery = {}): LoggedEvent[] {
    const limit = Math.max(1, Math.min(q.limit ?? 50, this.maxEvents));
    const out: LoggedEvent[] = [];
    for (let i = this.events.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.events[i];
      if (q.camera !== undefined && e.object.camera !== q.camera) continue;
      if (q.label !== undefined && e.object.label !== q.label) continue;
      out.push(e);
    }
    return out;
  }

  /** Each object's newest event, newest first (Frigate keeps one row per object). */
  latestPerObject(): LoggedEvent[] {
    const seen = new Set<string>();
    const out: LoggedEvent[] = [];
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i];
      if (seen.has(e.object.id)) continue;
      seen.add(e.object.id);
      out.push(e);
    }
    return out;
  }
}
