// Runs a config until its cameras end or a signal arrives: the runtime, then the sinks (they subscribe before it
// starts); on the way out the sinks close first, in reverse order, then the runtime. Shared by `run` and `demo`.
import type { Config } from '../config/types.js';
import type { ResolveOptions } from '../models/registry.js';
import type { Logger } from '../pipeline/logger.js';
import { Runtime } from '../pipeline/runtime.js';
import { closeSinks, createSinks } from '../sinks/create-sinks.js';
import type { Sink } from '../sinks/sink.js';

export interface ServeOptions {
  logger: Logger;
  json: boolean;
  registry?: ResolveOptions;
  /** called once everything is up, before the cameras start */
  onReady?: (runtime: Runtime, sinks: readonly Sink[]) => void;
}

export async function serve(config: Config, opts: ServeOptions): Promise<number> {
  const { logger } = opts;
  const runtime = await Runtime.create(config, { logger, registry: opts.registry });
  let sinks: Sink[] = [];
  let stopRequested!: () => void;
  const stopping = new Promise<void>((resolve) => (stopRequested = resolve));
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      logger.warn(`second ${signal}: exiting now`);
      process.exit(130);
    }
    logger.info(`${signal}: stopping`);
    stopRequested();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    sinks = await createSinks(runtime, config, { logger, json: opts.json });
    opts.onReady?.(runtime, sinks);
    runtime.start();
    await Promise.race([runtime.done, stopping]);
    if (runtime.failure) throw runtime.failure;
    for (const [name, c] of Object.entries(runtime.snapshot().cameras)) {
      logger.info(`${c.framesDetected} frames detected, ${c.dropped} dropped, status ${c.status}`, { component: 'stats', camera: name });
    }
  } finally {
    await closeSinks(sinks, logger);
    await runtime.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
}
