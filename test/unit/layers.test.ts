// The layering rule of docs/architecture.md, checked over the import graph of every non-test .ts file: each arrow
// between top-level folders must be one the rule allows, and a forbidden one is named with the rule it breaks.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What each layer may import besides itself (the arrows point down only). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  core: [],
  config: ['core'],
  sources: ['core', 'config'],
  models: ['core', 'config'],
  sinks: ['core', 'config'],
  pipeline: ['core', 'config', 'sources', 'models', 'sinks'],
  cli: ['core', 'config', 'sources', 'models', 'sinks', 'pipeline'],
  bench: ['core', 'config', 'sources', 'models', 'sinks', 'pipeline'],
};

/** cli.ts sits beside the folders and belongs to the CLI layer. */
const layerOf = (file: string): string => (file === 'cli.ts' ? 'cli' : file.split('/')[0]);

const SPECIFIER = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Relative specifiers of `source` (import … from, export … from, side-effect imports, dynamic import()). */
export function importSpecifiers(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(SPECIFIER)) {
    const s = m[1] ?? m[2];
    if (s !== undefined && s.startsWith('.')) out.push(s);
  }
  return out;
}

/** The forbidden arrows among `files` (repo-relative path → source text), one line each. */
export function layerViolations(files: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  for (const [file, source] of files) {
    const from = layerOf(file);
    const allowed = ALLOWED[from];
    for (const spec of importSpecifiers(source)) {
      const target = relative('/r', resolve('/r', dirname(file), spec)).replace(/\.js$/, '.ts');
      const to = layerOf(target);
      if (to === from) continue;
      if (allowed === undefined) problems.push(`${file} → ${target}: ${from}/ is not a known layer`);
      else if (!allowed.includes(to)) problems.push(`${file} → ${target}: ${from} may import only ${allowed.length > 0 ? allowed.join(', ') : 'nothing of ours'}`);
    }
  }
  return problems;
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SKIP = new Set(['node_modules', 'dist', 'test', '.git', '.cache', 'test-artifacts']);

function sourceFiles(dir = ROOT, out = new Map<string, string>()): Map<string, string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name) || e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) sourceFiles(path, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.set(relative(ROOT, path), readFileSync(path, 'utf8'));
  }
  return out;
}

describe('layers (the import graph of every non-test .ts file)', () => {
  it('has no forbidden arrow: core ← config ← sources, models, sinks ← pipeline ← cli, bench; nothing imports test/', () => {
    const files = sourceFiles();
    assert.ok(files.size > 100, `found only ${files.size} source files under ${ROOT}`);
    assert.ok(files.has('pipeline/runtime.ts') && files.has('core/errors.ts'), 'walks the repository root');
    assert.deepEqual(layerViolations(files), []);
  });

  it('names a forbidden arrow and the rule it breaks (and sees every import form)', () => {
    const planted = new Map([
      ['sinks/http/api.ts', "import { isBatchLost } from '../../models/detector-supervisor.js';\nimport type { Config } from '../../config/types.js';"],
      ['config/schema.ts', "export { ADAPTER_NAMES } from '../models/adapters/index.js';"],
      ['bench/soak.ts', "const m = await import('../test/helpers/ports.js');"],
      ['core/x.ts', "import '../config/load.js';"],
      ['sources/a.ts', "import {\n  x,\n  y,\n} from '../models/tensor.js';"],
    ]);
    assert.deepEqual(layerViolations(planted), [
      'sinks/http/api.ts → models/detector-supervisor.ts: sinks may import only core, config',
      'config/schema.ts → models/adapters/index.ts: config may import only core',
      'bench/soak.ts → test/helpers/ports.ts: bench may import only core, config, sources, models, sinks, pipeline',
      'core/x.ts → config/load.ts: core may import only nothing of ours',
      'sources/a.ts → models/tensor.ts: sources may import only core, config',
    ]);
  });
});
