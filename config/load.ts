// Load a config file once at boot: parse, substitute `${VAR}`, validate against the one schema, freeze.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { LookoutError } from '../core/errors.js';
import { substituteEnv } from './env.js';
import { configSchema } from './schema.js';
import { deepFreeze, Issues } from './schema-kit.js';
import type { Config } from './types.js';

/** Validates an already-parsed config object. `baseDir` resolves relative file paths (the config file's folder). */
export function parseConfig(raw: unknown, opts: { env?: NodeJS.ProcessEnv; baseDir?: string; source?: string } = {}): Config {
  const issues = new Issues();
  const substituted = substituteEnv(raw, opts.env ?? process.env, issues);
  const parsed = issues.list.length === 0 ? configSchema.parse(substituted, [], issues) : undefined;
  if (!parsed || issues.list.length > 0) {
    const where = opts.source ? `${opts.source}: ` : '';
    const head = issues.list.length === 1 ? `${where}invalid config: ${issues.list[0]}` : `${where}invalid config (${issues.list.length} problems):\n  ${issues.list.join('\n  ')}`;
    throw new LookoutError('LOOKOUT_ERR_CONFIG', head);
  }
  const baseDir = opts.baseDir ?? process.cwd();
  const rel = (p: string) => (isAbsolute(p) || !looksLikeFile(p) ? p : resolve(baseDir, p));
  const config = {
    ...parsed,
    model: { ...parsed.model, path: rel(parsed.model.path), labels: parsed.model.labels === undefined ? undefined : rel(parsed.model.labels) },
    cameras: parsed.cameras.map((c) => ({ ...c, url: c.url.startsWith('lavfi:') || c.url.includes('://') ? c.url : rel(c.url) })),
    mqtt: parsed.mqtt?.tls?.ca === undefined ? parsed.mqtt : { ...parsed.mqtt, tls: { ...parsed.mqtt.tls, ca: isAbsolute(parsed.mqtt.tls.ca) ? parsed.mqtt.tls.ca : resolve(baseDir, parsed.mqtt.tls.ca) } },
  };
  return deepFreeze(config) as Config;
}

/** Registry names (`yolox-nano`) stay names; anything with a slash or a dot is a path. */
function looksLikeFile(p: string): boolean {
  return p.includes('/') || p.includes('.');
}

export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new LookoutError('LOOKOUT_ERR_CONFIG_READ', `cannot read config ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new LookoutError('LOOKOUT_ERR_CONFIG_READ', `cannot parse config ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (raw === null || raw === undefined) throw new LookoutError('LOOKOUT_ERR_CONFIG', `${file}: invalid config: (root): the file is empty`);
  return parseConfig(raw, { env, baseDir: dirname(resolve(file)), source: file });
}
