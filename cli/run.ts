// `lookout run -c FILE`: runs the configured cameras until they end or a signal arrives.
import { loadConfig } from '../config/load.js';
import type { ResolveOptions } from '../models/registry.js';
import { Logger } from '../core/logger.js';
import { serve } from './serve.js';

export interface RunOptions {
  configFile: string;
  json: boolean;
  verbose: boolean;
  registry?: ResolveOptions;
}

export async function runCommand(opts: RunOptions): Promise<number> {
  const config = await loadConfig(opts.configFile);
  const logger = new Logger({ level: opts.verbose ? 'debug' : config.log.level, json: config.log.json });
  return serve(config, { logger, json: opts.json, registry: opts.registry });
}
