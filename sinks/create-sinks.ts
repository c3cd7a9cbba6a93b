// The sinks a config asks for, created in order after the runtime (they subscribe before it starts) and closed in
// reverse order before it stops.
import { DEFAULTS } from '../config/defaults.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../pipeline/logger.js';
import { LogSink } from './log-sink.js';
import { MqttSink, type MqttSinkInputs } from './mqtt/mqtt-sink.js';
import type { Sink } from './sink.js';
import { WebSocketSink } from './websocket-sink.js';

export async function createSinks(runtime: MqttSinkInputs, config: Config, opts: { logger: Logger; json: boolean }): Promise<Sink[]> {
  const { logger } = opts;
  const sinks: Sink[] = [new LogSink(runtime, { logger, json: opts.json })];
  try {
    if (config.mqtt) sinks.push(await MqttSink.create(runtime, { mqtt: config.mqtt, cameras: config.cameras, logger }));
    if (config.websocket) {
      // the WebSocket mirrors the Lookout dialect, under the MQTT prefix when MQTT speaks it too
      const topicPrefix = config.mqtt?.dialect === 'lookout' ? config.mqtt.topicPrefix : DEFAULTS.mqtt.topicPrefix.lookout;
      sinks.push(await WebSocketSink.create(runtime, { websocket: config.websocket, cameras: config.cameras, topicPrefix, logger }));
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
      logger.error(`closing the ${sink.name} sink failed: ${(err as Error).message}`, { component: sink.name });
    }
  }
}
