// Writes detections as they happen: one JSON line per frame on stdout (`--json`), or a readable log line on stderr at
// debug level (INFO is for lifecycle, status and events: per-frame lines there were ~10 a second for 2 cameras).
import type { Subscription } from 'rxjs';
import type { Logger } from '../core/logger.js';
import type { Detection, FrameResult } from '../core/types.js';
import type { Sink, SinkInputs } from '../core/sink.js';

export function formatDetections(detections: readonly Detection[]): string {
  return detections.map((d) => `${d.label} ${d.score.toFixed(2)} [${d.box.map((v) => Math.round(v)).join(',')}]`).join(', ');
}

export function resultLine(r: FrameResult): Record<string, unknown> {
  return {
    camera: r.frame.camera,
    frame: r.frame.seq,
    pts: Number(r.frame.pts.toFixed(3)),
    capturedAt: r.frame.capturedAt,
    detections: r.detections.map(roundDetection),
    timings: { queuedMs: round(r.timings.queuedMs), inferenceMs: round(r.timings.inferenceMs), batchSize: r.timings.batchSize },
  };
}

export function roundDetection(d: Detection): Detection {
  return { label: d.label, classId: d.classId, score: Number(d.score.toFixed(4)), box: d.box.map((v) => round(v)) as Detection['box'] };
}

const round = (v: number) => Math.round(v * 10) / 10;

export class LogSink implements Sink {
  readonly name = 'log';
  private readonly subscription: Subscription;
  private readonly events: Subscription;

  constructor(
    inputs: SinkInputs,
    opts: {
      logger: Logger;
      json: boolean;
      write?: (line: string) => void;
      /** the detections worth a debug line (default: all); `lookout run` passes the tracked labels (sinks/tracked-labels.ts) */
      shown?: (camera: string, detections: readonly Detection[]) => Detection[];
    },
  ) {
    const write = opts.write ?? ((line: string) => process.stdout.write(line + '\n'));
    const log = opts.logger.child({ component: 'detections' });
    this.subscription = inputs.results$.subscribe((r) => {
      if (opts.json) write(JSON.stringify(resultLine(r)));
      else if (log.enabled('debug')) {
        const shown = opts.shown ? opts.shown(r.frame.camera, r.detections) : r.detections;
        if (shown.length > 0) log.debug(`#${r.frame.seq} t=${r.frame.pts.toFixed(2)}s ${formatDetections(shown)}`, { camera: r.frame.camera });
      }
    });
    // an object appearing and leaving is what a person reads the log for: one INFO line each (updates at debug)
    const eventLog = opts.logger.child({ component: 'events' });
    this.events = inputs.updates$.subscribe((u) => {
      for (const e of u.events) {
        const o = e.after;
        const zones = o.currentZones.length > 0 ? ` in ${o.currentZones.join(', ')}` : '';
        const line = `${e.type} ${o.label} ${o.id} score ${o.topScore.toFixed(2)}${zones}`;
        if (e.type === 'update') eventLog.debug(line, { camera: u.camera });
        else eventLog.info(line, { camera: u.camera });
      }
    });
  }

  async close(): Promise<void> {
    this.subscription.unsubscribe();
    this.events.unsubscribe();
  }
}
