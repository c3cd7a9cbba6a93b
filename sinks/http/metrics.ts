// Prometheus text exposition (format 0.0.4) of the stats snapshot, written by hand (it is a few lines of text), plus
// prom-client's default process metrics (RSS, heap, event-loop lag, handles, GC).
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { StatsSnapshot } from '../../core/stats.js';
import type { MqttLinkStatus } from '../mqtt/connection.js';

/** Every state a camera can be in, each its own 0/1 series (a label that changes value would churn series). */
const CAMERA_STATES = ['starting', 'online', 'reconnecting', 'offline', 'disabled', 'ended'] as const;

let processRegistry: Registry | undefined;

/**
 * prom-client's default metrics. One registry for the process, made on first use and never closed: the metrics are
 * the process's, and prom-client's event-loop monitor and GC observer cannot be stopped (one per HTTP server would leak).
 */
export async function processMetricsText(): Promise<string> {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry.metrics();
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function metricsText(stats: StatsSnapshot, events: ReadonlyMap<string, number>, inferenceBuckets: { le: number; count: number }[], inferenceSum: number, inferenceCount: number, mqtt?: MqttLinkStatus): string {
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: [Record<string, string>, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`).join(',');
      lines.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(value) ? value : 0}`);
    }
  };
  const cams = Object.entries(stats.cameras);
  metric('lookout_camera_frames_in_total', 'counter', 'Frames read from the camera.', cams.map(([c, s]) => [{ camera: c }, s.framesIn]));
  metric('lookout_camera_frames_detected_total', 'counter', 'Frames that went through the detector.', cams.map(([c, s]) => [{ camera: c }, s.framesDetected]));
  metric('lookout_camera_frames_dropped_total', 'counter', 'Frames dropped because inference was busy (live cameras).', cams.map(([c, s]) => [{ camera: c }, s.dropped]));
  metric('lookout_camera_detect_fps', 'gauge', 'Detected frames per second over the last 5 s.', cams.map(([c, s]) => [{ camera: c }, s.detectFps]));
  metric('lookout_camera_reconnects_total', 'counter', 'Times the camera was reconnected.', cams.map(([c, s]) => [{ camera: c }, (s as { reconnects?: number }).reconnects ?? 0]));
  metric('lookout_camera_up', 'gauge', '1 when the camera delivers frames.', cams.map(([c, s]) => [{ camera: c }, s.status === 'online' ? 1 : 0]));
  metric('lookout_camera_status', 'gauge', '1 for the camera\'s current state, 0 for the others.', cams.flatMap(([c, s]) => CAMERA_STATES.map((st): [Record<string, string>, number] => [{ camera: c, state: st }, s.status === st ? 1 : 0])));
  lines.push('# HELP lookout_inference_seconds Time of one model run (a batch), tensor preparation included.', '# TYPE lookout_inference_seconds histogram');
  for (const b of inferenceBuckets) lines.push(`lookout_inference_seconds_bucket{le="${b.le === Infinity ? '+Inf' : b.le}"} ${b.count}`);
  lines.push(`lookout_inference_seconds_sum ${inferenceSum}`, `lookout_inference_seconds_count ${inferenceCount}`);
  metric('lookout_detector_up', 'gauge', '1 while the detector runs, 0 while it restarts after a failure.', [[{}, stats.detector.status === 'running' ? 1 : 0]]);
  metric('lookout_detector_restarts_total', 'counter', 'Times the detector was restarted after a failure.', [[{}, stats.detector.restarts]]);
  metric('lookout_batch_size_average', 'gauge', 'Average frames per model run.', [[{}, stats.detector.avgBatchSize]]);
  metric('lookout_queue_depth', 'gauge', 'Frames waiting for inference after the last batch was cut.', [[{}, stats.detector.queueDepth]]);
  metric(
    'lookout_events_total',
    'counter',
    'Object events by camera, label and type.',
    [...events].map(([key, n]) => {
      const [camera, label, type] = key.split('\u0000');
      return [{ camera, label, type }, n];
    }),
  );
  if (stats.classify) {
    const models = Object.entries(stats.classify.models);
    metric('lookout_classify_crops_total', 'counter', 'Crops classified, per classifier model.', models.map(([m, c]) => [{ model: m }, c.crops]));
    metric('lookout_classify_batches_total', 'counter', 'Classifier model runs (batches of crops), per model.', models.map(([m, c]) => [{ model: m }, c.batches]));
    metric('lookout_classify_inference_seconds_total', 'counter', 'Time of those runs, per classifier model.', models.map(([m, c]) => [{ model: m }, c.inferenceMs / 1000]));
    metric('lookout_classify_seconds_per_crop', 'gauge', 'Mean classifier run time per crop so far, per model.', models.map(([m, c]) => [{ model: m }, c.msPerCrop / 1000]));
    const states = Object.entries(stats.classify.states).flatMap(([camera, byName]) => Object.entries(byName).map(([name, st]) => ({ camera, name, ...st })));
    // a state set: one 0/1 series per class the model knows, so a value change never makes a new series
    metric('lookout_state', 'gauge', '1 for the state crop\'s current state (class), 0 for its other classes; all 0 before one is agreed.', states.flatMap((st) => st.classes.map((cls): [Record<string, string>, number] => [{ camera: st.camera, name: st.name, state: cls }, st.state === cls ? 1 : 0])));
    metric('lookout_state_score', 'gauge', 'Mean score of the results that decided the current state (0 before one).', states.map((st) => [{ camera: st.camera, name: st.name }, st.score ?? 0]));
  }
  if (mqtt) {
    // one series per state (0/1), not a label that changes: a dashboard can alert on `refused == 1`
    metric('lookout_mqtt_link', 'gauge', '1 for the MQTT broker link\'s current state (connected, connecting, refused, stopped).', (['connected', 'connecting', 'refused', 'stopped'] as const).map((st) => [{ state: st }, mqtt.state === st ? 1 : 0]));
    metric('lookout_mqtt_outbox_messages', 'gauge', 'Messages waiting for the MQTT broker.', [[{}, mqtt.outbox]]);
    metric('lookout_mqtt_dropped_total', 'counter', 'Messages dropped from a full MQTT outbox.', [[{}, mqtt.dropped]]);
    metric('lookout_mqtt_published_total', 'counter', 'Messages the MQTT broker acknowledged.', [[{}, mqtt.published]]);
    metric('lookout_mqtt_connects_total', 'counter', 'Successful connections to the MQTT broker.', [[{}, mqtt.connects]]);
  }
  return lines.join('\n') + '\n';
}

