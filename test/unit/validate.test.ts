// `lookout validate` passes what `run` accepts and lists every problem at once, the real cause first; `--print` is
// YAML that loads back to the same config (`--json` for JSON).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { validateCommand } from '../../cli/validate.js';
import { isLookoutError } from '../../core/errors.js';
import { parseConfig } from '../../config/load.js';

describe('validate', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'lookout-validate-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function problems(yaml: string, env: Record<string, string | undefined> = {}): Promise<string> {
    const file = join(dir, 'lookout.yaml');
    writeFileSync(file, yaml);
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    try {
      await validateCommand(file, { print: false, write: () => undefined });
    } catch (err) {
      assert.ok(isLookoutError(err));
      assert.equal(err.code, 'LOOKOUT_ERR_CONFIG');
      return err.message;
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
    assert.fail('expected problems');
  }

  it("refuses what run refuses: http beyond loopback without auth, a model file that does not exist (before its adapter)", async () => {
    const msg = await problems(['model: { path: nope.onnx }', 'cameras: [{ name: a, url: a.mp4 }]', 'http: { host: 0.0.0.0 }'].join('\n'));
    assert.match(msg, /3 problems/);
    const lines = msg.split('\n').slice(1).map((l) => l.trim());
    assert.match(lines[0], /^model\.path: no such file: .*nope\.onnx$/);
    assert.match(lines[1], /^model\.adapter: a model file needs its adapter/);
    assert.match(lines[2], /^http\.host is 0\.0\.0\.0, which is reachable from other machines, and no http\.auth is set/);
  });

  it('a missing ${VAR} is one problem among the others, not the end of the list', async () => {
    const msg = await problems(['model: { path: yolox-nano, threshold: 2 }', 'cameras: [{ name: a, url: "${H17_CAM_URL}", fps: -1 }]'].join('\n'), { H17_CAM_URL: undefined });
    assert.match(msg, /3 problems/);
    assert.match(msg, /cameras\[0\]\.url: environment variable H17_CAM_URL is not set/);
    assert.match(msg, /model\.threshold: must be a number from 0 to 1, got 2/);
    assert.match(msg, /cameras\[0\]\.fps: must be a positive number/);
    assert.doesNotMatch(msg, /cameras\[0\]\.url: (must|expected)/, 'nothing about the empty value left in its place');
  });

  it('--print writes YAML that loads back to the same config; --json writes JSON', async () => {
    const file = join(dir, 'lookout.yaml');
    writeFileSync(file, 'model: { path: yolox-nano }\ncameras: [{ name: a, url: a.mp4, zones: { z: { points: [[0, 0], [1, 0], [1, 1]] } } }]\nmqtt: {}\n');
    const yaml: string[] = [];
    assert.equal(await validateCommand(file, { print: true, write: (l) => yaml.push(l) }), 0);
    assert.doesNotMatch(yaml.join('\n'), /^\s*[{[]/, 'not JSON');
    const again = parseConfig(parseYaml(yaml.join('\n')), { env: {}, baseDir: dir });
    const json: string[] = [];
    await validateCommand(file, { print: true, json: true, write: (l) => json.push(l) });
    assert.deepEqual(JSON.parse(JSON.stringify(again)), JSON.parse(json.join('\n')));
  });
});
