// Named models and media, pulled and verified: an explicit local folder first (so an offline box works), then the cache, then
// the pinned upstream URL. Every path returned points at bytes whose SHA-256 matched the table when they were checked.
//
// Cache check: after a file is verified, `<cache>/<file>.sha256` records `<sha256> <size> <mtimeMs>`. A later resolve trusts the
// cached file only while its size and mtime still match the marker, so a hit costs one stat and one tiny read instead of
// hashing the model again; anything else (no marker after a crash, a file replaced by hand) is re-hashed, and a bad copy is
// deleted and downloaded again.

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, readFileSync, statSync, type Stats } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { LookoutError, describeError } from '../core/errors.js';
import { ASSETS, type AssetEntry, type AssetKind } from './registry-entries.js';

export { ASSETS } from './registry-entries.js';
export type { AssetEntry, AssetKind, RegistryAdapter } from './registry-entries.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface DownloadProgress {
  name: string;
  /** bytes received so far */
  received: number;
  /** expected bytes, when the table or the response says */
  total: number | undefined;
}

export interface RegistryOptions {
  /** the asset table; tests and private registries replace the built-in one */
  entries?: readonly AssetEntry[];
  /** where LOOKOUT_ASSETS, LOOKOUT_CACHE and XDG_CACHE_HOME are read; default `process.env` */
  env?: Env;
  /** cache folder; default `cacheDir(env)` */
  cacheDir?: string;
}

export interface ResolveOptions extends RegistryOptions {
  /** a folder holding the asset as `<file>`, `models/<file>` or `media/<file>`; searched before LOOKOUT_ASSETS */
  from?: string;
  /** never download: only a local folder or the cache may answer */
  offline?: boolean;
  /** replaces the global fetch */
  fetchImpl?: typeof fetch;
  /** a mirror: download `<baseUrl>/<file>` instead of the entry's url (also serves entries that have no url); default $LOOKOUT_REGISTRY_MIRROR */
  baseUrl?: string;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
}

export interface AssetListing {
  name: string;
  kind: AssetKind;
  file: string;
  /** a verified copy is in the cache */
  cached: boolean;
  /** the cached copy, when there is one */
  path?: string;
}

const LOCAL_SUBDIRS = ['', 'models', 'media'] as const;

/** `$LOOKOUT_CACHE`, else `$XDG_CACHE_HOME/lookout`, else `~/.cache/lookout`; an empty variable counts as unset. */
export function cacheDir(env: Env = process.env): string {
  const own = nonEmpty(env.LOOKOUT_CACHE);
  if (own !== undefined) return own;
  const xdg = nonEmpty(env.XDG_CACHE_HOME);
  return xdg !== undefined ? join(xdg, 'lookout') : join(homedir(), '.cache', 'lookout');
}

export function findAsset(name: string, entries: readonly AssetEntry[] = ASSETS): AssetEntry | undefined {
  return entries.find((entry) => entry.name === name);
}

export function isRegistryName(s: string, entries: readonly AssetEntry[] = ASSETS): boolean {
  return findAsset(s, entries) !== undefined;
}

/** Every known asset and whether a verified copy is cached. Synchronous and cheap: it reads markers, it never hashes. */
export function listAssets(options: RegistryOptions = {}): AssetListing[] {
  const dir = options.cacheDir ?? cacheDir(options.env ?? process.env);
  return (options.entries ?? ASSETS).map((entry) => {
    const path = join(dir, entry.file);
    const cached = markerMatchesSync(entry, path);
    return cached ? { name: entry.name, kind: entry.kind, file: entry.file, cached, path } : { name: entry.name, kind: entry.kind, file: entry.file, cached };
  });
}

/** A local path whose SHA-256 matches the named asset: from a local folder, the cache, or a fresh download into the cache. */
export async function resolveAsset(name: string, options: ResolveOptions = {}): Promise<string> {
  const entries = options.entries ?? ASSETS;
  const entry = findAsset(name, entries);
  if (entry === undefined) throw unknownName(name, entries);
  const env = options.env ?? process.env;

  const localDirs = [options.from, env.LOOKOUT_ASSETS].filter((dir): dir is string => nonEmpty(dir) !== undefined);
  for (const dir of localDirs) {
    const found = await findLocal(dir, entry.file);
    if (found === undefined) continue;
    // a wrong local copy is an error, not a reason to go online: the user pointed at it on purpose
    await verifyFile(found, entry);
    return found;
  }

  const dir = options.cacheDir ?? cacheDir(env);
  const cached = await fromCache(entry, dir);
  if (cached !== undefined) return cached;
  return download(entry, dir, options, localDirs);
}

/**
 * `lookout models pull`: the named asset verified INTO the cache, so later runs need no local folder. With `from`, the
 * file must be in that folder (a missing or mismatching copy is an error naming it); it is copied and checked on the
 * way, and the cache is left untouched if it does not match. Without `from`: LOOKOUT_ASSETS, the cache, a download.
 * Returns the cached path.
 */
export async function pullAsset(name: string, options: ResolveOptions = {}): Promise<string> {
  const entries = options.entries ?? ASSETS;
  const entry = findAsset(name, entries);
  if (entry === undefined) throw unknownName(name, entries);
  const env = options.env ?? process.env;
  const dir = options.cacheDir ?? cacheDir(env);
  const from = nonEmpty(options.from);
  if (from !== undefined) {
    const found = await findLocal(from, entry.file);
    if (found === undefined) {
      throw new LookoutError('LOOKOUT_ERR_REGISTRY', `${entry.name}: ${from} has no ${entry.file} (looked for ${LOCAL_SUBDIRS.map((sub) => join(from, sub, entry.file)).join(', ')})`);
    }
    return copyIntoCache(found, entry, dir);
  }
  const assets = nonEmpty(env.LOOKOUT_ASSETS);
  const local = assets !== undefined ? await findLocal(assets, entry.file) : undefined;
  if (local !== undefined) return copyIntoCache(local, entry, dir);
  return resolveAsset(name, { ...options, env: { ...env, LOOKOUT_ASSETS: undefined } });
}

/** Copies `source` to `<dir>/<file>` through a temporary name, hashing on the way; only a matching copy is renamed in. */
async function copyIntoCache(source: string, entry: AssetEntry, dir: string): Promise<string> {
  const final = join(dir, entry.file);
  // already there and verified (e.g. a second pull): nothing to copy
  if ((await fromCache(entry, dir)) !== undefined) {
    await verifyFile(source, entry);
    return final;
  }
  return installVerified(entry, dir, source, async (part) => {
    const hash = createHash('sha256');
    const file = await open(part, 'wx');
    try {
      for await (const chunk of createReadStream(source)) {
        hash.update(chunk as Buffer);
        await file.write(chunk as Buffer);
      }
      await file.sync();
    } finally {
      await file.close();
    }
    return hash.digest('hex');
  });
}

/**
 * Writes an asset into the cache whole or not at all: `write` fills a temporary name and returns its SHA-256; only a
 * matching file is renamed in. A random suffix lets two processes pull the same asset at once (whichever finishes last
 * wins, whole). The marker only saves a re-hash next time, so failing to write it fails nothing.
 */
async function installVerified(entry: AssetEntry, dir: string, source: string, write: (part: string) => Promise<string>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const final = join(dir, entry.file);
  const part = `${final}.part-${randomBytes(6).toString('hex')}`;
  try {
    const actual = await write(part);
    if (actual !== entry.sha256) throw checksumError(entry, source, actual);
    await rename(part, final);
  } catch (err) {
    await rm(part, { force: true });
    throw err;
  }
  await writeMarker(entry, final).catch(() => undefined);
  return final;
}

/** An existing file is used as is; a registry name is resolved (pulled if need be); anything else is an error naming both. */
export async function resolveModelPath(pathOrName: string, options: ResolveOptions = {}): Promise<string> {
  if ((await statOrUndefined(pathOrName))?.isFile() === true) return pathOrName;
  const entries = options.entries ?? ASSETS;
  if (isRegistryName(pathOrName, entries)) return resolveAsset(pathOrName, options);
  throw new LookoutError(
    'LOOKOUT_ERR_REGISTRY',
    `${JSON.stringify(pathOrName)} is neither an existing file nor a known registry name (known: ${knownNames(entries)})`,
  );
}


// ---------------------------------------------------------------------------------------------------------------------------

async function findLocal(dir: string, file: string): Promise<string | undefined> {
  for (const sub of LOCAL_SUBDIRS) {
    const candidate = join(dir, sub, file);
    if ((await statOrUndefined(candidate))?.isFile() === true) return candidate;
  }
  return undefined;
}

async function verifyFile(path: string, entry: AssetEntry): Promise<void> {
  const actual = await hashFile(path);
  if (actual !== entry.sha256) throw checksumError(entry, path, actual);
}

async function fromCache(entry: AssetEntry, dir: string): Promise<string | undefined> {
  const path = join(dir, entry.file);
  const stats = await statOrUndefined(path);
  if (stats === undefined || !stats.isFile()) return undefined;
  if (await markerMatches(entry, path, stats)) return path;
  if ((await hashFile(path)) === entry.sha256) {
    await writeMarker(entry, path);
    return path;
  }
  await rm(path, { force: true });
  await rm(markerPath(path), { force: true });
  return undefined;
}

async function download(entry: AssetEntry, dir: string, options: ResolveOptions, localDirs: readonly string[]): Promise<string> {
  // LOOKOUT_REGISTRY_MIRROR: an air-gapped site's own copy of the pinned files (still checked against their SHA-256)
  const baseUrl = options.baseUrl ?? nonEmpty((options.env ?? process.env).LOOKOUT_REGISTRY_MIRROR);
  const url = baseUrl !== undefined ? mirrorUrl(baseUrl, entry.file) : entry.url;
  const hint = offlineHint(entry, localDirs);
  if (url === undefined) {
    throw new LookoutError('LOOKOUT_ERR_REGISTRY', `${entry.name} has no pinned download URL and no local copy was found. ${hint}`);
  }
  if (options.offline === true) {
    throw new LookoutError('LOOKOUT_ERR_REGISTRY', `${entry.name} is not in the cache (${dir}) and downloads are off. ${hint}`);
  }

  return installVerified(entry, dir, url, (part) => fetchToFile(url, part, entry, options, hint));
}

/** Streams `url` into `part`, hashing as it goes; returns the hex SHA-256. The caller deletes `part` on any failure. */
async function fetchToFile(url: string, part: string, entry: AssetEntry, options: ResolveOptions, hint: string): Promise<string> {
  const fetchImpl = options.fetchImpl ?? fetch;
  let response: Response;
  try {
    response = await fetchImpl(url, options.signal !== undefined ? { signal: options.signal } : {});
  } catch (err) {
    throw new LookoutError('LOOKOUT_ERR_REGISTRY', `cannot download ${entry.name} from ${url}: ${reason(err)}. ${hint}`, { cause: err });
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel().catch(() => undefined);
    const status = `HTTP ${response.status}${response.statusText !== '' ? ` ${response.statusText}` : ''}`;
    throw new LookoutError('LOOKOUT_ERR_REGISTRY', `cannot download ${entry.name} from ${url}: ${status}. ${hint}`);
  }

  const total = entry.size ?? contentLength(response);
  const hash = createHash('sha256');
  const reader = response.body.getReader();
  const file = await open(part, 'wx');
  let received = 0;
  try {
    options.onProgress?.({ name: entry.name, received, total });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      // stop early rather than fill the disk with something that cannot be the pinned file
      if (entry.size !== undefined && received > entry.size) {
        throw new LookoutError('LOOKOUT_ERR_CHECKSUM', `${entry.file} from ${url} is larger than its pinned ${entry.size} bytes; refused`);
      }
      hash.update(value);
      await file.write(value);
      options.onProgress?.({ name: entry.name, received, total });
    }
    // on disk before the rename, so a crash never leaves a short file under the final name
    await file.sync();
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    if (err instanceof LookoutError) throw err;
    throw new LookoutError(
      'LOOKOUT_ERR_REGISTRY',
      `download of ${entry.name} from ${url} failed after ${received} bytes: ${reason(err)}. ${hint}`,
      { cause: err },
    );
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

function contentLength(response: Response): number | undefined {
  // fetch decodes gzip/br transparently, so an encoded response's Content-Length is not the size we will receive
  const encoding = response.headers.get('content-encoding');
  if (encoding !== null && encoding !== 'identity') return undefined;
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

function mirrorUrl(baseUrl: string, file: string): string {
  return new URL(encodeURIComponent(file), baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).href;
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function markerPath(path: string): string {
  return `${path}.sha256`;
}

function markerText(entry: AssetEntry, stats: Stats): string {
  return `${entry.sha256} ${stats.size} ${stats.mtimeMs}\n`;
}

async function writeMarker(entry: AssetEntry, path: string): Promise<void> {
  await writeFile(markerPath(path), markerText(entry, await stat(path)));
}

async function markerMatches(entry: AssetEntry, path: string, stats: Stats): Promise<boolean> {
  const text = await readFile(markerPath(path), 'utf8').catch(() => undefined);
  return text === markerText(entry, stats);
}

function markerMatchesSync(entry: AssetEntry, path: string): boolean {
  try {
    const stats = statSync(path);
    return stats.isFile() && readFileSync(markerPath(path), 'utf8') === markerText(entry, stats);
  } catch {
    return false;
  }
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

function checksumError(entry: AssetEntry, where: string, actual: string): LookoutError {
  return new LookoutError(
    'LOOKOUT_ERR_CHECKSUM',
    `${entry.file} (${entry.name}) from ${where} does not match its pinned SHA-256: expected ${entry.sha256}, got ${actual}`,
  );
}

function unknownName(name: string, entries: readonly AssetEntry[]): LookoutError {
  return new LookoutError('LOOKOUT_ERR_REGISTRY', `unknown asset ${JSON.stringify(name)} (known: ${knownNames(entries)})`);
}

function knownNames(entries: readonly AssetEntry[]): string {
  return entries.map((entry) => entry.name).join(', ');
}

function offlineHint(entry: AssetEntry, localDirs: readonly string[]): string {
  const looked = localDirs.length > 0 ? ` (looked in ${localDirs.join(', ')})` : '';
  return (
    `To use a local copy${looked}, set LOOKOUT_ASSETS=DIR or pass --from DIR, ` +
    `where DIR holds ${entry.file}, models/${entry.file} or media/${entry.file}.`
  );
}

/** fetch hides the real cause (ECONNREFUSED, ENOTFOUND) one level down in `cause`. */
function reason(err: unknown): string {
  const message = describeError(err);
  const cause = err instanceof Error ? err.cause : undefined;
  return cause !== undefined ? `${message} (${describeError(cause)})` : message;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value !== '' ? value : undefined;
}

export interface SizeUnit {
  label: string;
  format(bytes: number): string;
}

/** The unit (B, kB, MB, GB) a byte count is best shown in (download progress, listings). */
export function unitFor(bytes: number): SizeUnit {
  const steps: readonly [string, number][] = [['GB', 1024 ** 3], ['MB', 1024 ** 2], ['kB', 1024]];
  for (const [label, size] of steps) {
    if (bytes >= size) return { label, format: (b) => (b / size).toFixed(1) };
  }
  return { label: 'B', format: (b) => String(b) };
}
