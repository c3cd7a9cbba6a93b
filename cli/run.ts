// `lookout run -c FILE`: runs the configured cameras until they end or a signal arrives.
import { loadConfig } from '../config/load.js';
import type { ResolveOptions } from '../models/registry.js';
import { Logger } from '../pipeline/logger.js';
import { Runtime } from '../pipeline/runtime.js';
import { closeSinks, createSinks } from '../sinks/create-sinks.js';
import type { Sink } from '../sinks/sink.js';

export interface RunOptions {
  configFile: string;
  json: boolean;
  verbose: boolean;
  registry?: ResolveOptions;
}

export async function runCommand(opts: RunOptions): Promise<number> {
  const config = await loadConfig(opts.configFile);
  const logger = new Logger({ level: opts.verbose ? 'debug' : config.log.level, json: config.log.json });
  const runtime = await Runtime.create(config, { logger, registry: opts.registry });
  let sinks: Sink[] = [];
  let signals = 0;
  const stopOnSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn(`second ${signal}: exiting now`);
      process.exit(130);
    }
    logger.info(`${signal}: stopping`);
    void runtime.stop();
  };
  process.on('SIGINT', stopOnSignal);
  process.on('SIGTERM', stopOnSignal);
  try {
    // created after the runtime, so they subscribe before it starts; closed before it stops, in reverse order
    sinks = await createSinks(runtime, config, { logger, json: opts.json });
    runtime.start();
    await runtime.done;
    if (runtime.failure) throw runtime.failure;
    const snapshot = runtime.snapshot();
    for (const [name, c] of Object.entries(snapshot.cameras)) {
      logger.info(`${c.framesDetected} frames detected, ${c.dropped} dropped, status ${c.status}`, { component: 'stats', camera: name });
    }
  } finally {
    await closeSinks(sinks, logger);
    await runtime.stop();
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
  }
  return 0;
}
