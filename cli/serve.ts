// Runs a config until its cameras end or a signal arrives: the runtime, then the sinks (they subscribe before it
// starts). The one owner of shutdown, in reverse order of start, the same after a signal, the end of every file or a
// fatal error: the runtime drains (sources stop, inference finishes what it holds, the tracker ends every open object
// and zeroes the counts, which the still-open sinks publish), then the sinks close in reverse order (MQTT drains its
// outbox, bounded, then says `stopped`), then the detector closes. Shared by `run` and `demo`.
import type { Config } from '../config/types.js';
import type { ResolveOptions } from '../models/registry.js';
import { ERROR_CODES, LookoutError, type ErrorCode } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { Runtime } from '../pipeline/runtime.js';
import { closeSinks, createSinks } from '../pipeline/create-sinks.js';
import type { Sink } from '../core/sink.js';

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
  // last resorts for the whole process. A rejected promise nobody awaited is one request's or one client's failure:
  // the state it leaves is that request's, so serving on is safe, and the log says so. An uncaught exception may have
  // left anything half done: log it, stop everything in order, exit 1 (a second one, or a stop that hangs, exits at once).
  let fatal: unknown;
  const onRejection = (reason: unknown) => {
    logger.error(`unhandled promise rejection (serving on; this is a bug, please report it): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`, { code: 'LOOKOUT_ERR_INTERNAL' });
  };
  const onException = (err: Error) => {
    logger.error(`uncaught exception, stopping: ${err.stack ?? err.message}`, { code: 'LOOKOUT_ERR_INTERNAL' });
    if (fatal !== undefined) process.exit(1);
    fatal = err;
    setTimeout(() => process.exit(1), 10_000).unref();
    stopRequested();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  try {
    sinks = await createSinks(runtime, config, { logger, json: opts.json, registry: opts.registry });
    opts.onReady?.(runtime, sinks);
    runtime.start();
    // a sink that cannot go on stops the run with its error, in the same order as a signal
    const sinkFailed = Promise.race(sinks.flatMap((s) => (s.fatal ? [s.fatal] : [])));
    const signalled = await Promise.race([
      runtime.done.then(() => false),
      stopping.then(() => true),
      sinkFailed.then((err) => {
        fatal ??= err;
        return true;
      }),
    ]);
    if (fatal !== undefined) throw fatal;
    if (runtime.failure) throw runtime.failure;
    const cameras = Object.entries(runtime.snapshot().cameras);
    for (const [name, c] of cameras) {
      logger.info(`${c.framesDetected} frames detected, ${c.dropped} dropped, status ${c.status}`, { component: 'stats', camera: name });
    }
    // a run that ended by itself with a camera that failed (a file that cannot be read) did not do its job: exit 1
    const failed = cameras.filter(([, c]) => c.status === 'offline');
    if (!signalled && failed.length > 0) {
      const code = failed[0][1].code;
      throw new LookoutError(
        code !== null && code in ERROR_CODES ? (code as ErrorCode) : 'LOOKOUT_ERR_MEDIA',
        `${failed.length} of ${cameras.length} camera${cameras.length === 1 ? '' : 's'} failed: ${failed.map(([name, c]) => `${name}: ${c.error ?? c.status}`).join('; ')}`,
      );
    }
  } finally {
    // reverse order of start: sources and streams first (the sinks publish the ends), then the sinks, then the
    // detector, which was made before them
    await runtime.drain();
    await closeSinks(sinks, logger);
    await runtime.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  }
  return 0;
}
