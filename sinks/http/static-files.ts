// The dashboard's files, read once at start and served from memory.
import { readFile } from 'node:fs/promises';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface StaticFile {
  type: string;
  body: Buffer;
}

/** `sinks/dashboard/` in the repository (the compiled server runs from dist/sinks/http/). */
export const DASHBOARD_DIR = new URL('../../../sinks/dashboard/', import.meta.url);

export async function loadDashboard(dir: URL = DASHBOARD_DIR): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  for (const name of ['index.html', 'app.js', 'app.css', 'favicon.svg', 'teach.html', 'teach.js', 'teach.css']) {
    const ext = name.slice(name.lastIndexOf('.'));
    const path = name === 'index.html' ? '/' : name === 'teach.html' ? '/teach' : `/${name}`;
    files.set(path, { type: TYPES[ext], body: await readFile(new URL(name, dir)) });
  }
  return files;
}
