// `lookout models list|pull NAME`: what the registry knows, and fetching a pinned model into the cache.
import { listAssets, renderDownloadProgress, resolveAsset, type ResolveOptions } from '../models/registry.js';

export function modelsListCommand(write: (line: string) => void, opts: ResolveOptions = {}): void {
  const rows = listAssets(opts);
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) write(`${r.name.padEnd(width)}  ${r.kind.padEnd(6)}  ${r.cached ? `cached  ${r.path}` : 'not cached'}`);
}

export async function modelsPullCommand(name: string, opts: ResolveOptions & { tty: boolean }, write: (line: string) => void): Promise<string> {
  let last = '';
  const path = await resolveAsset(name, {
    ...opts,
    onProgress: (p) => {
      const line = renderDownloadProgress(p.name, p.received, p.total);
      if (opts.tty) process.stderr.write(`\r${line}`);
      else if (line.endsWith('100%') && line !== last) process.stderr.write(line + '\n');
      last = line;
    },
  });
  if (opts.tty && last) process.stderr.write('\n');
  write(path);
  return path;
}
