// The sinks a config asks for, created in order after the runtime (they subscribe before it starts) and closed in
// reverse order before it stops.
import { DEFAULTS } from '../config/defaults.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import type { Runtime } from './runtime.js';
import { HttpServer } from '../sinks/http/http-server.js';
import { LogSink } from '../sinks/log-sink.js';
import { trackedDetections } from '../sinks/tracked-labels.js';
import { MqttSink, type MqttSinkInputs } from '../sinks/mqtt/mqtt-sink.js';
import type { Sink } from '../core/sink.js';
import { Snapshots } from '../sinks/snapshot/snapshots.js';
import { WebSocketSink } from '../sinks/websocket-sink.js';
import { Collector } from '../sinks/collect/collector.js';
import { LOOKOUT_VERSION } from '../core/version.js';
import type { ResolveOptions } from '../models/registry.js';
import { trainedModelsDir } from '../models/trained-models.js';
import { teachTrainer } from './teach-train.js';

/** What the sinks read from the runtime (the Runtime class provides all of it). */
export type SinkRuntime = MqttSinkInputs & Pick<Runtime, 'frames' | 'stats' | 'detectImage' | 'failure'> & Partial<Pick<Runtime, 'clips' | 'motion' | 'classifyImage' | 'trackedNow'>>;

export async function createSinks(runtime: SinkRuntime, config: Config, opts: { logger: Logger; json: boolean; registry?: ResolveOptions }): Promise<Sink[]> {
  const { logger } = opts;
  const sinks: Sink[] = [new LogSink(runtime, { logger, json: opts.json, shown: trackedDetections(config.cameras) })];
  try {
    // crops for teaching: subscribed before the HTTP server, whose Teach page labels them
    if (config.cameras.some((c) => c.enabled && c.collect.enabled)) sinks.push(new Collector(runtime, config.cameras, logger));
    let snapshots: Snapshots | undefined;
    if (config.http || config.mqtt) {
      const s = new Snapshots(runtime.updates$, runtime.frames, logger);
      snapshots = s;
      sinks.push({ name: 'snapshots', close: async () => s.close() });
    }
    let http: HttpServer | undefined;
    // the HTTP server starts first (it hosts /ws) but its health shows the MQTT link, read when asked
    let mqttSink: MqttSink | undefined;
    if (config.http) {
      const mqttLink = config.mqtt ? () => mqttSink?.link() : undefined;
      // the Teach page's Train button: `train --arch head` in this process, models where `lookout train` puts them
      const teachTrain = teachTrainer({ outDir: trainedModelsDir(), lookoutVersion: LOOKOUT_VERSION, logger, registry: opts.registry });
      http = await HttpServer.create(runtime, { ...config.http, auth: config.http.auth, logger, cameras: config.cameras, snapshots: snapshots!, mqttLink, teachTrain, frigate: config.mqtt?.dialect === 'frigate' ? config.mqtt : undefined });
      sinks.push(http);
      logger.info(`dashboard and API on ${http.url}`, { component: 'http' });
    }
    if (config.mqtt) {
      mqttSink = await MqttSink.create(runtime, { mqtt: config.mqtt, cameras: config.cameras, logger, snapshots: snapshots?.snapshots$, snapshotsServed: http !== undefined });
      sinks.push(mqttSink);
    }
    // with an HTTP server the WebSocket lives on it at /ws, behind the same auth; without one it gets its own server
    const websocket = config.websocket ?? (config.http ? DEFAULTS.websocket : undefined);
    if (websocket) {
      // the WebSocket mirrors the Lookout dialect, under the MQTT prefix when MQTT speaks it too
      const topicPrefix = config.mqtt?.dialect === 'lookout' ? config.mqtt.topicPrefix : DEFAULTS.mqtt.topicPrefix.lookout;
      sinks.push(await WebSocketSink.create(runtime, { websocket, cameras: config.cameras, topicPrefix, logger, server: http?.server }));
    }
  } catch (err) {
    await closeSinks(sinks, logger);
    throw err;
  }
  return sinks;
}

/** Closes in reverse order of creation; one sink failing to close does not keep the others open. */
export async function closeSinks(sinks: readonly Sink[], logger: Logger): Promise<void> {
  for (const sink of [...sinks].reverse()) {
    try {
      await sink.close();
    } catch (err) {
      logger.error(`closing the ${sink.name} sink failed: ${(err as Error).message}`, { component: sink.name, code: 'LOOKOUT_ERR_INTERNAL' });
    }
  }
}
