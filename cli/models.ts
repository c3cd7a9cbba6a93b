// `lookout models list|pull NAME`: what the registry knows, and fetching a pinned model (and its labels) into the cache.
import { findAsset, listAssets, pullAsset, type ResolveOptions } from '../models/registry.js';
import { ProgressLine, renderDownloadProgress } from './progress.js';

export function modelsListCommand(write: (line: string) => void, opts: ResolveOptions = {}): void {
  const rows = listAssets(opts);
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) write(`${r.name.padEnd(width)}  ${r.kind.padEnd(6)}  ${r.cached ? `cached  ${r.path}` : 'not cached'}`);
}

/** Pulls `name` and, for a model, its labels file, into the cache; writes each cached path. Returns the first. */
export async function modelsPullCommand(name: string, opts: ResolveOptions & { tty: boolean }, write: (line: string) => void): Promise<string> {
  const path = await pullOne(name, opts, write);
  const labels = findAsset(name, opts.entries)?.labels;
  // an offline box needs the labels as much as the model
  if (typeof labels === 'string') await pullOne(labels, opts, write);
  return path;
}

async function pullOne(name: string, opts: ResolveOptions & { tty: boolean }, write: (line: string) => void): Promise<string> {
  let last = '';
  const progress = new ProgressLine({ isTTY: opts.tty, write: (t) => process.stderr.write(t) });
  const path = await pullAsset(name, {
    ...opts,
    onProgress: (p) => {
      const line = renderDownloadProgress(p.name, p.received, p.total);
      // off a terminal only the finished line, once, so logs get no progress noise
      if (!progress.tty && line.endsWith('100%') && line !== last) process.stderr.write(line + '\n');
      progress.draw(line);
      last = line;
    },
  });
  progress.end('keep');
  write(path);
  return path;
}
