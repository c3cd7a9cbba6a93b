// Writes detections as they happen: one JSON line per frame on stdout (`--json`), or a readable log line on stderr.
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

  constructor(inputs: SinkInputs, opts: { logger: Logger; json: boolean; write?: (line: string) => void }) {
    const write = opts.write ?? ((line: string) => process.stdout.write(line + '\n'));
    const log = opts.logger.child({ component: 'detections' });
    this.subscription = inputs.results$.subscribe((r) => {
      if (opts.json) write(JSON.stringify(resultLine(r)));
      else if (r.detections.length > 0) log.info(`#${r.frame.seq} t=${r.frame.pts.toFixed(2)}s ${formatDetections(r.detections)}`, { camera: r.frame.camera });
    });
  }

  async close(): Promise<void> {
    this.subscription.unsubscribe();
  }
}
