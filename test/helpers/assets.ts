// Real models and media live in ../shared/assets (or $LOOKOUT_ASSETS); tests that need them say so when they are absent.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingDependency } from './require.js';

/** The repository root (tests run from dist/test/...). */
export const repoRoot = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..');

export const assetsDir = process.env.LOOKOUT_ASSETS ?? resolve(repoRoot, '..', 'shared', 'assets');

export function assetPath(relative: string): string {
  return join(assetsDir, relative);
}

/** Returns an asset's path; when it is missing, skips the calling test (or fails it under LOOKOUT_REQUIRE_ALL=1). */
export function requireAsset(ctx: Mocha.Context, relative: string): string {
  const p = assetPath(relative);
  if (!existsSync(p)) missingDependency(ctx, `real asset ${relative} not found under ${assetsDir}: set LOOKOUT_ASSETS to the shared assets folder`);
  return p;
}

export const cliPath = join(repoRoot, 'dist', 'cli.js');
