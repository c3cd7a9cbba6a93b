// Hand-fed sink inputs: updates a test pushes itself (exact counts and timing, no video), with the same surface the
// Runtime gives sinks.
import { filter, firstValueFrom, NEVER, Subject } from 'rxjs';
import type { CameraUpdate } from '../../core/types.js';
import type { StatsSnapshot } from '../../pipeline/stats.js';
import type { Status, TrackedObject } from '../../core/types.js';
import type { MqttSinkInputs } from '../../sinks/mqtt/mqtt-sink.js';

export interface FakeInputs {
  inputs: MqttSinkInputs;
  updates: Subject<CameraUpdate>;
  status: Subject<Status>;
  /** the next status with this code from now on (call before causing it) */
  nextStatus(code: string): Promise<Status>;
  detect: Map<string, boolean>;
}

export function fakeInputs(cameras: string[]): FakeInputs {
  const updates = new Subject<CameraUpdate>();
  const status = new Subject<Status>();
  const detect = new Map(cameras.map((c) => [c, true]));
  const snapshot = (): StatsSnapshot => ({
    at: Date.now(),
    uptimeSeconds: 1,
    cameras: {},
    detector: { provider: 'cpu', dynamicBatch: false, batches: 0, frames: 0, avgBatchSize: 0, regionsPerBatch: 0, inferenceMsP50: 0, inferenceMsP95: 0, queueDepth: 0, latencyMsP50: 0, latencyMsP95: 0, status: 'running', restarts: 0, error: null },
  });
  const inputs: MqttSinkInputs = {
    results$: NEVER,
    status$: status.asObservable(),
    updates$: updates.asObservable(),
    snapshot,
    detectEnabled: (c) => detect.get(c) ?? false,
    setDetectEnabled: (c, on) => {
      if (!detect.has(c)) return false;
      detect.set(c, on);
      return true;
    },
    emitStatus: (s) => status.next({ at: Date.now(), ...s }),
  };
  return { inputs, updates, status, detect, nextStatus: (code) => firstValueFrom(status.pipe(filter((s) => s.code === code))) };
}

/** An object as the event layer hands it out. */
export function trackedObject(id: string, over: Partial<TrackedObject> = {}): TrackedObject {
  return {
    id,
    camera: 'yard',
    label: 'person',
    score: 0.9,
    topScore: 0.9,
    box: [10, 20, 50, 100],
    area: 3200,
    ratio: 0.5,
    currentZones: [],
    enteredZones: [],
    stationary: false,
    startTime: 1,
    lastSeen: 1,
    endTime: null,
    bestFrameTime: 1,
    falsePositive: false,
    loitering: false,
    currentSpeed: 0,
    averageSpeed: 0,
    ...over,
  };
}

/** An update carrying one `new` event for object `id` (no counts). */
export function newEventUpdate(id: string, pts: number, over: Partial<TrackedObject> = {}): CameraUpdate {
  const o = trackedObject(id, { startTime: pts, lastSeen: pts, bestFrameTime: pts, ...over });
  return { camera: o.camera, pts, epochOffset: 0, events: [{ type: 'new', before: o, after: o }], objects: [o] };
}
