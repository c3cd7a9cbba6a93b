// Docs that cannot rot: every ```yaml block in README.md, docs/*.md and examples/*.yaml is parsed and validated the
// way `lookout validate` reads a config file, so a sample a user copies always loads.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseConfig, parseConfigText } from '../../config/load.js';
import { repoRoot } from '../helpers/assets.js';
import { staticProblems } from '../../cli/static-checks.js';

interface Block { file: string; line: number; text: string }

/** The fenced ```yaml blocks of a Markdown file, with the line each starts on. */
function yamlBlocks(file: string, markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*```ya?ml\s*$/.test(lines[i])) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end])) end++;
    assert.ok(end < lines.length, `${file}:${start}: a yaml block is not closed`);
    blocks.push({ file, line: start, text: dedent(lines.slice(start, end)).join('\n') });
    i = end;
  }
  return blocks;
}

function dedent(lines: string[]): string[] {
  const indents = lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length);
  const cut = Math.min(...indents);
  return lines.map((l) => l.slice(cut));
}

const TOP_LEVEL = new Set(['model', 'cameras', 'log', 'mqtt', 'websocket', 'http']);
const base = () => ({ model: { path: 'yolox-nano' }, cameras: [{ name: 'front', url: 'clips/front.mp4' }] as Record<string, unknown>[] });

/** Every `${VAR}` a block uses, set, so that validation reaches the values themselves. */
function envFor(text: string): NodeJS.ProcessEnv {
  return Object.fromEntries([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => [m[1], 'sample-secret']));
}

/** Validates a block: a whole config as it stands; a fragment (top-level sections, or a camera's keys) inside a minimal config. */
async function validateBlock(b: Block): Promise<void> {
  const where = `${b.file}:${b.line}`;
  const env = envFor(b.text);
  let raw: unknown;
  try {
    raw = parseYaml(b.text, { prettyErrors: true, logLevel: 'error' });
  } catch (err) {
    assert.fail(`${where}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  assert.ok(raw && typeof raw === 'object' && !Array.isArray(raw), `${where}: expected a mapping`);
  const keys = Object.keys(raw);
  try {
    if (keys.includes('model') && keys.includes('cameras')) {
      // a whole sample passes `lookout validate` completely: the schema and what `run` checks before starting
      const problems = await staticProblems(parseConfigText(b.text, join(repoRoot, 'lookout.yaml'), env));
      assert.deepEqual(problems, [], `${where}: lookout validate would refuse it`);
    } else if (keys.every((k) => TOP_LEVEL.has(k))) {
      parseConfig({ ...base(), ...raw }, { env, baseDir: repoRoot });
    } else {
      const config = base();
      config.cameras[0] = { ...config.cameras[0], ...raw };
      parseConfig(config, { env, baseDir: repoRoot });
    }
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    assert.fail(`${where}: does not validate: ${(err as Error).message}`);
  }
}

function docFiles(): string[] {
  const docs = readdirSync(join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f));
  return ['README.md', ...docs];
}

describe('docs: YAML samples', () => {
  const blocks = docFiles().flatMap((f) => yamlBlocks(f, readFileSync(join(repoRoot, f), 'utf8')));

  it('finds the README configuration sample among the blocks', () => {
    const readme = blocks.filter((b) => b.file === 'README.md');
    assert.ok(readme.some((b) => /^model:/m.test(b.text) && /^cameras:/m.test(b.text)), 'the README has a whole config sample');
  });

  for (const b of blocks) {
    it(`${b.file}:${b.line} parses and validates`, async () => validateBlock(b));
  }

  for (const f of readdirSync(join(repoRoot, 'examples')).filter((f) => /\.ya?ml$/.test(f))) {
    it(`examples/${f} parses and validates`, async () => {
      const text = readFileSync(join(repoRoot, 'examples', f), 'utf8');
      await validateBlock({ file: `examples/${f}`, line: 1, text });
    });
  }

  it('a flow map holding an unquoted ${VAR} is caught (the trap the README once had)', async () => {
    const trap = 'model: { path: yolox-nano }\ncameras: [{ name: a, url: a.mp4 }]\nhttp:\n  auth: { token: ${LOOKOUT_TOKEN} }\n';
    await assert.rejects(validateBlock({ file: 'trap', line: 1, text: trap }), /not valid YAML|cannot parse/);
  });
});
