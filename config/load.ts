// Load a config file once at boot: parse, substitute `${VAR}`, validate against the one schema, freeze.
import { open } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { LookoutError } from '../core/errors.js';
import { substituteEnv } from './env.js';
import { configSchema } from './schema.js';
import { deepFreeze, Issues } from './schema-kit.js';
import type { Config } from './types.js';

/** Validates an already-parsed config object. `baseDir` resolves relative file paths (the config file's folder). */
export function parseConfig(raw: unknown, opts: { env?: NodeJS.ProcessEnv; baseDir?: string; source?: string } = {}): Config {
  // a missing ${VAR} is one problem among the others: the schema still checks everything, and what it says about the
  // empty value left in the variable's place is dropped (the variable is the cause)
  const envIssues = new Issues();
  const substituted = substituteEnv(raw, opts.env ?? process.env, envIssues);
  const schemaIssues = new Issues();
  const parsed = configSchema.parse(substituted, [], schemaIssues);
  const envPaths = envIssues.list.map((i) => i.slice(0, i.indexOf(': ') + 1));
  const issues = new Issues();
  for (const i of envIssues.list) issues.addMessage(i);
  for (const i of schemaIssues.list) if (!envPaths.some((p) => i.startsWith(p) || i.startsWith(p.slice(0, -1) + '.') || i.startsWith(p.slice(0, -1) + '['))) issues.addMessage(i);
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
    cameras: parsed.cameras.map((c) => classifierPaths({ ...c, url: c.url.startsWith('lavfi:') || c.url.includes('://') ? c.url : rel(c.url), record: { ...c.record, dir: resolve(baseDir, c.record.dir) }, collect: { ...c.collect, dir: resolve(baseDir, c.collect.dir) } }, baseDir)),
    mqtt: parsed.mqtt?.tls?.ca === undefined ? parsed.mqtt : { ...parsed.mqtt, tls: { ...parsed.mqtt.tls, ca: isAbsolute(parsed.mqtt.tls.ca) ? parsed.mqtt.tls.ca : resolve(baseDir, parsed.mqtt.tls.ca) } },
  };
  return deepFreeze(config) as Config;
}

/**
 * A camera's classifier paths (`classify.<label>.model`, `states.<name>.model`) relative to the config file; a bare
 * name (no slash, not `.onnx`) is a trained model's name and stays one (models/trained-models.ts has the same rule).
 */
function classifierPaths<C extends { classify: Record<string, { model: string }>; states: Record<string, { model?: string }> }>(c: C, baseDir: string): C {
  const path = (p: string) => (isAbsolute(p) || !(p.includes('/') || p.toLowerCase().endsWith('.onnx')) ? p : resolve(baseDir, p));
  const classify = Object.fromEntries(Object.entries(c.classify).map(([label, e]) => [label, { ...e, model: path(e.model) }]));
  const states = Object.fromEntries(Object.entries(c.states).map(([name, st]) => [name, st.model === undefined ? st : { ...st, model: path(st.model) }]));
  return { ...c, classify, states };
}

/** Registry names (`yolox-nano`) stay names; anything with a slash or a dot is a path. */
function looksLikeFile(p: string): boolean {
  return p.includes('/') || p.includes('.');
}

/**
 * The largest config file read. A real one is a few kB; without a cap a 50 MB file took 3 GB and 40 s to reject
 * (YAML parsing is far from linear in memory), so a larger file is refused before it is read.
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Reads at most `MAX_CONFIG_BYTES` (+1, to notice a file that grows while read, or a pipe/FIFO without a size). */
async function readCapped(file: string): Promise<string> {
  const tooBig = (size: string) => new LookoutError('LOOKOUT_ERR_CONFIG_READ', `cannot read config ${file}: it is ${size}, more than the ${MAX_CONFIG_BYTES} bytes (1 MiB) a config file may have`);
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new LookoutError('LOOKOUT_ERR_CONFIG_READ', `cannot read config ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new LookoutError('LOOKOUT_ERR_CONFIG_READ', `cannot read config ${file}: it is a directory`);
    if (stat.isFile() && stat.size > MAX_CONFIG_BYTES) throw tooBig(`${stat.size} bytes`);
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, got, buf.length - got, null);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got > MAX_CONFIG_BYTES) throw tooBig('larger');
    }
    return buf.subarray(0, got).toString('utf8');
  } catch (err) {
    if (err instanceof LookoutError) throw err;
    throw new LookoutError('LOOKOUT_ERR_CONFIG_READ', `cannot read config ${file}: ${(err as Error).message}`);
  } finally {
    await handle.close();
  }
}

export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  return parseConfigText(await readCapped(file), file, env);
}

/** The text of a config file (YAML, of which JSON is a subset) to a Config; `file` names it in errors and anchors relative paths. */
export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let raw: unknown;
  try {
    // warnings (an unknown tag or directive) would go to process warnings; what matters is the validated result
    raw = parseYaml(text, { prettyErrors: true, logLevel: 'error' });
  } catch (err) {
    throw new LookoutError('LOOKOUT_ERR_CONFIG_READ', `cannot parse config ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (raw === null || raw === undefined) throw new LookoutError('LOOKOUT_ERR_CONFIG', `${file}: invalid config: (root): the file is empty`);
  return parseConfig(raw, { env, baseDir: dirname(resolve(file)), source: file });
}
