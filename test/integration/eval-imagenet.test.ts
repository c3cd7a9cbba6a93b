// An ImageNet classifier evaluated on class folders named the way ImageNet sets are (by synset id, or by a first name),
// with and without its own normalisation: MobileNetV2 reads crops of the darknet sample photos right only with the
// `imagenet` preset its registry entry carries; mnist's 0..1 scaling (the adapter's old default) gets them wrong.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { ClassificationJson } from '../../pipeline/eval/report.js';
import { assetsDir, requireAsset } from '../helpers/assets.js';
import { runLookout } from '../helpers/cli.js';
import { useTmpDir } from '../helpers/tmp.js';

/** folder (synset id or first name of a label line in imagenet_synset.txt) → crops of the sample photos: file, left, top, width, height */
const CROPS: Record<string, [string, number, number, number, number][]> = {
  // n02110063 malamute, malemute, Alaskan malamute: the dog in darknet_dog.jpg, close and whole picture
  n02110063: [['darknet_dog.jpg', 120, 210, 200, 330], ['darknet_dog.jpg', 0, 0, 768, 576]],
  // n02106166 Border collie: the dog in darknet_person.jpg
  'Border collie': [['darknet_person.jpg', 55, 255, 150, 100]],
  // n03769881 minibus: the van behind the dog
  minibus: [['darknet_dog.jpg', 460, 70, 230, 110]],
};

describe('lookout eval: an ImageNet classifier on synset-named class folders', function () {
  this.timeout(120000);
  const tmp = useTmpDir('lookout-imagenet-');
  let dataset: string;

  before(async function () {
    for (const f of ['models/mobilenetv2-12-int8.onnx', 'models/imagenet_synset.txt', 'media/darknet_dog.jpg', 'media/darknet_person.jpg']) requireAsset(this, f);
    dataset = join(tmp(), 'crops');
    for (const [folder, crops] of Object.entries(CROPS)) {
      await mkdir(join(dataset, folder), { recursive: true });
      for (const [i, [file, left, top, width, height]] of crops.entries()) {
        await sharp(join(assetsDir, 'media', file)).extract({ left, top, width, height }).jpeg({ quality: 95 }).toFile(join(dataset, folder, `${i}.jpg`));
      }
    }
  });

  const evaluate = async (...extra: string[]): Promise<ClassificationJson> => {
    const r = await runLookout(['eval', '-m', 'mobilenetv2-int8', '--dataset', dataset, '--json', ...extra], { LOOKOUT_ASSETS: assetsDir });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as ClassificationJson;
  };

  it("matches folders by synset id and first name, and reads at least 3 of 4 with the registry's imagenet preset, at most 1 with 0..1 scaling", async () => {
    const imagenet = await evaluate();
    const plain = await evaluate('--preprocess', 'mnist');
    assert.equal(imagenet.items, 4);
    assert.ok(imagenet.correct >= 3, JSON.stringify(imagenet));
    assert.ok(plain.correct <= 1, JSON.stringify(plain));
    // the explicit preset is the registry's, item for item
    assert.equal((await evaluate('--preprocess', 'imagenet')).correct, imagenet.correct);
  });

  it('reads them with center-crop fitting too (aspect kept, overflow cut)', async () => {
    const r = await evaluate('--resize', 'center-crop');
    assert.ok(r.correct >= 3, JSON.stringify(r));
  });
});
