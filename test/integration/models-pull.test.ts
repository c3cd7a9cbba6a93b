// `lookout models pull NAME --from DIR` fills the cache with verified copies, so an offline box needs neither DIR nor
// LOOKOUT_ASSETS afterwards; a copy that is missing or does not match its pinned SHA-256 is refused by name.
import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { requireAsset } from '../helpers/assets.js';
import { runLookout } from '../helpers/cli.js';
import { useTmpDir } from '../helpers/tmp.js';

describe('lookout models pull --from DIR', function () {
  this.timeout(60000);
  const tmp = useTmpDir('lookout-pull-');
  // no local folder but the one given, and a mirror nobody listens on: any download attempt fails
  const offline = (cache: string) => ({ LOOKOUT_CACHE: cache, LOOKOUT_ASSETS: '', LOOKOUT_REGISTRY_MIRROR: 'http://127.0.0.1:9/' });

  it('copies the model into the cache, verified, and later commands use it without DIR or LOOKOUT_ASSETS', async function () {
    const source = requireAsset(this, 'models/mnist-8.onnx');
    const dir = join(tmp(), 'usb');
    await mkdir(join(dir, 'models'), { recursive: true });
    await copyFile(source, join(dir, 'models', 'mnist-8.onnx'));
    const cache = join(tmp(), 'cache-ok');

    const pull = await runLookout(['models', 'pull', 'mnist-8', '--from', dir], offline(cache));
    assert.equal(pull.code, 0, pull.stderr);
    assert.equal(pull.stdout.trim(), join(cache, 'mnist-8.onnx'));
    assert.deepEqual(await readFile(join(cache, 'mnist-8.onnx')), await readFile(source));

    const list = await runLookout(['models', 'list'], offline(cache));
    assert.match(list.stdout, new RegExp(`^mnist-8\\s+model\\s+cached\\s+${join(cache, 'mnist-8.onnx').replace(/[.]/g, '\\.')}$`, 'm'));

    // a white 28×28 digit: detect runs from the cache alone (the mirror would fail, and nothing else is given)
    const digit = join(tmp(), 'digit.png');
    await sharp({ create: { width: 28, height: 28, channels: 3, background: '#000' } }).png().toFile(digit);
    const detect = await runLookout(['detect', '-m', 'mnist-8', '--threshold', '0', digit], offline(cache));
    assert.equal(detect.code, 0, detect.stderr);
    const line = JSON.parse(detect.stdout.trim()) as { detections: { label: string }[] };
    assert.ok(line.detections.length > 0 && /^[0-9]$/.test(line.detections[0]!.label), detect.stdout);
  });

  it("pulls a model's labels file with it", async function () {
    const assets = requireAsset(this, 'models/mobilenetv2-12-int8.onnx');
    requireAsset(this, 'models/imagenet_synset.txt');
    const cache = join(tmp(), 'cache-labels');
    const pull = await runLookout(['models', 'pull', 'mobilenetv2-int8', '--from', join(assets, '..', '..')], offline(cache));
    assert.equal(pull.code, 0, pull.stderr);
    assert.deepEqual(pull.stdout.trim().split('\n'), [join(cache, 'mobilenetv2-12-int8.onnx'), join(cache, 'imagenet_synset.txt')]);
  });

  it('refuses a corrupted copy, naming the file, and leaves nothing of it in the cache', async function () {
    const bytes = await readFile(requireAsset(this, 'models/mnist-8.onnx'));
    bytes[bytes.length - 1] ^= 0xff;
    const dir = join(tmp(), 'corrupt');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'mnist-8.onnx'), bytes);
    const cache = join(tmp(), 'cache-bad');

    const pull = await runLookout(['models', 'pull', 'mnist-8', '--from', dir], offline(cache));
    assert.equal(pull.code, 1);
    assert.match(pull.stderr, /^lookout: mnist-8\.onnx \(mnist-8\) from .*corrupt\/mnist-8\.onnx does not match its pinned SHA-256.*\(LOOKOUT_ERR_CHECKSUM\)$/m);
    assert.deepEqual(await readdir(cache).catch(() => []), []);
  });

  it('says which file DIR lacks', async () => {
    const dir = join(tmp(), 'empty');
    await mkdir(dir, { recursive: true });
    const pull = await runLookout(['models', 'pull', 'mnist-8', '--from', dir], offline(join(tmp(), 'cache-none')));
    assert.equal(pull.code, 1);
    assert.match(pull.stderr, /^lookout: mnist-8: .*empty has no mnist-8\.onnx \(looked for .*empty\/mnist-8\.onnx, .*empty\/models\/mnist-8\.onnx, .*empty\/media\/mnist-8\.onnx\)/m);
  });
});
