// Real models and media live in ../shared/assets (or $LOOKOUT_ASSETS); tests that need them say so when they are absent.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/...). */
export const repoRoot = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..');

export const assetsDir = process.env.LOOKOUT_ASSETS ?? resolve(repoRoot, '..', 'shared', 'assets');

export function assetPath(relative: string): string {
  return join(assetsDir, relative);
}

/** Skips the calling test (or suite) with a clear reason when an asset is missing; returns its path otherwise. */
export function requireAsset(ctx: Mocha.Context, relative: string): string {
  const p = assetPath(relative);
  if (!existsSync(p)) {
    console.warn(`      (real asset ${relative} not found under ${assetsDir}: set LOOKOUT_ASSETS to run this test)`);
    ctx.skip();
  }
  return p;
}

export const cliPath = join(repoRoot, 'dist', 'cli.js');
