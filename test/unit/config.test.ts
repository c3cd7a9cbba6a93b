import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, MAX_CONFIG_BYTES, parseConfig } from '../../config/load.js';
import { isLookoutError } from '../../core/errors.js';
import { DEFAULTS } from '../../config/defaults.js';
import { redactConfig } from '../../config/redact.js';

const base = () => ({ model: { path: 'yolox-nano' }, cameras: [{ name: 'front', url: 'clips/front.mp4' }] });

function configError(raw: unknown, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(raw, { env, baseDir: '/cfg' });
  } catch (err) {
    assert.ok(isLookoutError(err), 'a LookoutError');
    assert.equal(err.code, 'LOOKOUT_ERR_CONFIG');
    return err.message;
  }
  assert.fail('expected the config to be rejected');
}

describe('config', () => {
  it('fills defaults, resolves relative paths against the config folder and freezes the result', () => {
    const c = parseConfig(base(), { env: {}, baseDir: '/cfg' });
    assert.equal(c.model.threshold, 0.3);
    assert.deepEqual(c.model.providers, ['cpu']);
    assert.equal(c.model.batch.maxSize, 4);
    assert.equal(c.cameras[0].fps, 5);
    assert.equal(c.cameras[0].realtime, true);
    assert.equal(c.cameras[0].loop, false);
    assert.equal(c.cameras[0].url, '/cfg/clips/front.mp4');
    assert.equal(c.model.path, 'yolox-nano', 'a registry name stays a name');
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.cameras[0]) && Object.isFrozen(c.model.providers));
  });

  it('names the path and the reason of a bad value', () => {
    const raw = base();
    raw.cameras.push({ name: 'back', url: 'b.mp4', fps: -2 } as never);
    assert.match(configError(raw), /cameras\[1\]\.fps: must be a positive number, got -2/);
  });

  it('rejects unknown keys, naming the known ones', () => {
    const raw = { ...base(), cameras: [{ name: 'front', url: 'a.mp4', fsp: 5 }] };
    assert.match(configError(raw), /cameras\[0\]\.fsp: unknown setting \(known: name, url, fps/);
    assert.match(configError({ ...base(), extra: 1 }), /extra: unknown setting/);
  });

  it('reports every problem at once', () => {
    const msg = configError({ model: { path: 'm.onnx', threshold: 2, providers: ['gpu'] }, cameras: [{ name: 'Front Door', url: 5 }] });
    assert.match(msg, /4 problems/);
    assert.match(msg, /model\.threshold: must be a number from 0 to 1, got 2/);
    assert.match(msg, /model\.providers\[0\]: must be one of cpu, cuda, tensorrt, webgpu/);
    assert.match(msg, /cameras\[0\]\.name: must match \[a-z0-9_-\]\+/);
    assert.match(msg, /cameras\[0\]\.url: must be a string, got number 5/);
  });

  it('requires the model and at least one camera', () => {
    assert.match(configError({ cameras: [] }), /model: is required/);
    assert.match(configError({ model: { path: 'x.onnx' }, cameras: [] }), /cameras: must have at least 1 item/);
  });

  it('rejects duplicate camera names', () => {
    const raw = { ...base(), cameras: [{ name: 'a', url: 'x.mp4' }, { name: 'a', url: 'y.mp4' }] };
    assert.match(configError(raw), /cameras\[1\]\.name "a" is used twice/);
  });

  it('rejects URLs that are not camera inputs, with the reason', () => {
    const raw = { ...base(), cameras: [{ name: 'a', url: 'ftp://cam/stream' }] };
    assert.match(configError(raw), /cameras\[0\]\.url: ftp:\/\/ is not a camera input: expected rtsp:\/\/, rtsps:\/\/, http\(s\):\/\//);
  });

  it('substitutes ${VAR} from the environment, with defaults and escapes', () => {
    const raw = { ...base(), cameras: [{ name: 'a', url: '${CLIP_DIR}/a.mp4' }, { name: 'b', url: '${NOPE:-/x}/b.mp4' }, { name: 'c', url: '/lit/$${HOME}.mp4' }] };
    const c = parseConfig(raw, { env: { CLIP_DIR: '/clips' } });
    assert.deepEqual(c.cameras.map((x) => x.url), ['/clips/a.mp4', '/x/b.mp4', '/lit/${HOME}.mp4']);
  });

  it('names the variable and the path of a missing ${VAR}', () => {
    const raw = { ...base(), cameras: [{ name: 'a', url: '${CAM_PATH}' }] };
    assert.match(configError(raw), /cameras\[0\]\.url: environment variable CAM_PATH is not set/);
  });

  describe('loadConfig', () => {
    let dir: string;
    before(() => (dir = mkdtempSync(join(tmpdir(), 'lookout-config-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('reads YAML and names the file in errors', async () => {
      const file = join(dir, 'ok.yaml');
      writeFileSync(file, 'model: { path: yolox-nano }\ncameras:\n  - name: front\n    url: front.mp4\n    fps: 2\n');
      const c = await loadConfig(file, {});
      assert.equal(c.cameras[0].url, join(dir, 'front.mp4'));
      assert.equal(c.cameras[0].fps, 2);
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'model: { path: yolox-nano }\ncameras:\n  - name: front\n    url: front.mp4\n    fps: fast\n');
      await assert.rejects(loadConfig(bad, {}), (err: Error) => err.message.includes(bad) && /cameras\[0\]\.fps: must be a positive number, got string "fast"/.test(err.message));
    });

    it('gives LOOKOUT_ERR_CONFIG_READ for a missing file and for broken YAML', async () => {
      await assert.rejects(loadConfig(join(dir, 'missing.yaml'), {}), { code: 'LOOKOUT_ERR_CONFIG_READ', message: /no such file/ });
      const broken = join(dir, 'broken.yaml');
      writeFileSync(broken, 'model: [unclosed\n');
      await assert.rejects(loadConfig(broken, {}), { code: 'LOOKOUT_ERR_CONFIG_READ', message: /cannot parse config/ });
      const empty = join(dir, 'empty.yaml');
      writeFileSync(empty, '');
      await assert.rejects(loadConfig(empty, {}), { code: 'LOOKOUT_ERR_CONFIG', message: /the file is empty/ });
    });

    it('refuses a file over the 1 MiB cap before reading it, naming the size and the cap', async () => {
      assert.equal(MAX_CONFIG_BYTES, 1024 * 1024);
      const big = join(dir, 'big.yaml');
      // a valid config padded with a comment past the cap: only the size can be the reason
      const head = 'model: { path: yolox-nano }\ncameras: [{ name: front, url: front.mp4 }]\n#';
      writeFileSync(big, head + 'x'.repeat(MAX_CONFIG_BYTES - head.length) + '\n');
      const before = process.memoryUsage().arrayBuffers;
      await assert.rejects(loadConfig(big, {}), { code: 'LOOKOUT_ERR_CONFIG_READ', message: new RegExp(`big\\.yaml: it is ${MAX_CONFIG_BYTES + 1} bytes, more than the ${MAX_CONFIG_BYTES} bytes \\(1 MiB\\)`) });
      assert.ok(process.memoryUsage().arrayBuffers - before < MAX_CONFIG_BYTES, 'not read whole');
      // exactly at the cap it is read (and valid)
      writeFileSync(big, head + 'x'.repeat(MAX_CONFIG_BYTES - 1 - head.length) + '\n');
      assert.equal((await loadConfig(big, {})).cameras[0].name, 'front');
      await assert.rejects(loadConfig(dir, {}), { code: 'LOOKOUT_ERR_CONFIG_READ', message: /is a directory/ });
    });
  });

  describe('the effective config (validate --print)', () => {
    const full = () => ({
      model: { path: '/m/yolox.onnx', adapter: 'yolox' },
      cameras: [
        { name: 'front', url: '/clips/front.mp4', objects: { track: ['person', 'car'], filters: { car: { threshold: 0.8 } } }, zones: { door: { points: [[0, 0], [1, 0], [1, 1]] } }, tracker: { iou: 0.4 } },
        { name: 'back', url: 'rtsp://cam.local/stream' },
      ],
      mqtt: { url: 'mqtt://127.0.0.1:1883' },
      http: {},
    });

    it('shows every default: tracker, per-label filters and zone inertia are complete, not {}', () => {
      const c = parseConfig(full(), { env: {}, baseDir: '/cfg' });
      assert.deepEqual(c.cameras[1].tracker, DEFAULTS.tracker);
      assert.deepEqual(c.cameras[0].tracker, { ...DEFAULTS.tracker, iou: 0.4 });
      assert.deepEqual(c.cameras[1].objects, { track: ['person'], filters: { person: DEFAULTS.labelFilter }, showAll: false });
      assert.deepEqual(c.cameras[0].objects.filters, { person: DEFAULTS.labelFilter, car: { ...DEFAULTS.labelFilter, threshold: 0.8 } });
      assert.equal(c.cameras[0].zones.door.inertia, DEFAULTS.zone.inertia);
    });

    it('printed and read back, it is the same config', () => {
      const once = parseConfig(full(), { env: {}, baseDir: '/cfg' });
      const printed = JSON.stringify(redactConfig(once), null, 2);
      const again = parseConfig(JSON.parse(printed), { env: {}, baseDir: '/elsewhere' });
      assert.deepEqual(again, once);
      assert.equal(JSON.stringify(redactConfig(again), null, 2), printed);
    });
  });
});
