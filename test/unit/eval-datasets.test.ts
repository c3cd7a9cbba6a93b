import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { canonicalCategoryName, matchCategories, shortLabelNames } from '../../pipeline/eval/categories.js';
import { parseCocoAnnotations, readCocoDataset } from '../../pipeline/eval/coco.js';
import { openDataset, parseDatasetSpec } from '../../pipeline/eval/datasets.js';
import { readImageFolder, type FolderDataset } from '../../pipeline/eval/folder.js';
import { classTruth } from '../../pipeline/eval/run-eval.js';
import { MNIST_IMAGES, MNIST_LABELS, readMnist } from '../../pipeline/eval/mnist.js';
import { isLookoutError } from '../../core/errors.js';
import { missingDependency } from '../helpers/require.js';

// dist/test/unit/ → the repository root → its sibling shared/assets
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const assets = process.env['LOOKOUT_ASSETS'] ?? join(repoRoot, '..', 'shared', 'assets');

/** asserts a LOOKOUT_ERR_DATASET whose message matches every pattern */
function datasetError(...patterns: RegExp[]) {
  return (err: unknown): boolean => {
    assert.ok(isLookoutError(err), `expected a LookoutError, got ${String(err)}`);
    assert.equal(err.code, 'LOOKOUT_ERR_DATASET');
    for (const p of patterns) assert.match(err.message, p);
    return true;
  };
}

/** an IDX file of unsigned bytes: magic, one uint32 per dimension, data */
function idx(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

describe('eval datasets', () => {
  let tmp: string;
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'lookout-eval-'));
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  describe('parseDatasetSpec', () => {
    it('reads the three forms', () => {
      assert.deepEqual(parseDatasetSpec('mnist:/data/mnist'), { kind: 'mnist', dir: '/data/mnist' });
      assert.deepEqual(parseDatasetSpec('/data/flowers'), { kind: 'folder', dir: '/data/flowers' });
      assert.deepEqual(parseDatasetSpec('folder:rel/dir'), { kind: 'folder', dir: 'rel/dir' });
      // images default to the JSON's folder
      assert.deepEqual(parseDatasetSpec('coco:/c/annotations/instances_val2017.json'), {
        kind: 'coco',
        annotationsFile: '/c/annotations/instances_val2017.json',
        imagesDir: '/c/annotations',
      });
      // split at ".json:", so the images folder may contain a colon
      assert.deepEqual(parseDatasetSpec('coco:/c/a.JSON:/img/x:y'), { kind: 'coco', annotationsFile: '/c/a.JSON', imagesDir: '/img/x:y' });
    });

    it('rejects a spec that names nothing', () => {
      for (const spec of ['', '  ', 'mnist:', 'coco:', 'folder:']) assert.throws(() => parseDatasetSpec(spec), datasetError(/expected mnist:DIR/));
    });
  });

  describe('matchCategories', () => {
    it('matches COCO names to darknet labels, case- and space-insensitively', () => {
      const labels = ['person', 'bicycle', 'car', 'motorbike', 'aeroplane', 'sofa', 'pottedplant', 'diningtable', 'tvmonitor'];
      const categories = [
        { id: 1, name: 'Person' },
        { id: 4, name: 'motorcycle' },
        { id: 5, name: 'airplane' },
        { id: 63, name: 'couch' },
        { id: 64, name: 'potted plant' },
        { id: 67, name: 'dining table' },
        { id: 72, name: 'tv' },
      ];
      const { datasetToModel, modelToDataset } = matchCategories(categories, labels);
      assert.deepEqual([...datasetToModel], [[1, 0], [4, 3], [5, 4], [63, 5], [64, 6], [67, 7], [72, 8]]);
      assert.equal(modelToDataset.get(8), 72);
      // bicycle and car are model classes the dataset lacks: no entry, their detections get dropped
      assert.equal(modelToDataset.has(1), false);
    });

    it('matches the other way round too (darknet-named dataset, COCO-named model)', () => {
      const m = matchCategories([{ id: 0, name: 'tvmonitor' }, { id: 1, name: 'sofa' }], ['couch', 'tv']);
      assert.deepEqual([...m.datasetToModel], [[0, 1], [1, 0]]);
      assert.equal(canonicalCategoryName('Dining_Table'), 'diningtable');
    });

    it('throws LOOKOUT_ERR_DATASET listing every unmatched name', () => {
      assert.throws(
        () => matchCategories([{ id: 1, name: 'person' }, { id: 2, name: 'unicorn' }, { id: 3, name: 'dragon' }], ['person', 'car']),
        datasetError(/"unicorn", "dragon"/, /model labels: "person", "car"/),
      );
    });

    it('throws when two dataset categories would land on one model class', () => {
      assert.throws(() => matchCategories([{ id: 1, name: 'tv' }, { id: 2, name: 'tvmonitor' }], ['tv']), datasetError(/"tv" and "tvmonitor" both match/));
    });

    describe('ImageNet-style label lines', () => {
      const labels = ['n02123045 tabby, tabby cat', 'n02012849 crane', 'n03126707 crane', 'n02110063 malamute, malemute, Alaskan malamute', 'traffic light'];
      it('reads the id and the first name of a label line; a plain name has none', () => {
        assert.deepEqual(shortLabelNames('n02123045 tabby, tabby cat'), ['n02123045', 'tabby']);
        assert.deepEqual(shortLabelNames('n03126707 crane'), ['n03126707', 'crane']);
        assert.deepEqual(shortLabelNames('traffic light'), []);
        assert.deepEqual(shortLabelNames('tabby, tabby cat'), ['tabby']);
      });

      it('matches a class folder by its full label line, its synset id or its first name', () => {
        const m = matchCategories(
          [
            { id: 0, name: 'n02123045 tabby, tabby cat' },
            { id: 1, name: 'n02012849' },
            { id: 2, name: 'Malamute' },
            { id: 3, name: 'traffic_light' },
          ],
          labels,
        );
        assert.deepEqual([...m.datasetToModel], [[0, 0], [1, 1], [2, 3], [3, 4]]);
      });

      it('refuses a first name two classes share, naming both, and takes the id instead', () => {
        assert.throws(() => matchCategories([{ id: 0, name: 'crane' }], labels), datasetError(/"crane" is the short name of several model classes \("n02012849 crane", "n03126707 crane"\)/));
        assert.deepEqual([...matchCategories([{ id: 0, name: 'n03126707' }], labels).datasetToModel], [[0, 2]]);
      });

      it('lets a whole label line win over another label\'s short name', () => {
        // "tabby" is the whole of label 1 and the first name of label 0
        assert.deepEqual([...matchCategories([{ id: 0, name: 'tabby' }], ['n02123045 tabby, tabby cat', 'tabby']).datasetToModel], [[0, 1]]);
      });
    });

    it("matches all 80 COCO category names to the shared assets' darknet coco.names", function () {
      const file = join(assets, 'models', 'coco.names');
      if (!existsSync(file)) missingDependency(this, `${file} not found: set LOOKOUT_ASSETS to the shared assets folder`);
      const labels = readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '');
      const coco = ['person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light', 'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant', 'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush'];
      // COCO's sparse ids (1..90 with gaps) do not matter: matching is by name; here the order is the same
      const m = matchCategories(coco.map((name, i) => ({ id: i + 100, name })), labels);
      coco.forEach((_, i) => assert.equal(m.datasetToModel.get(i + 100), i));
    });
  });

  describe('MNIST', () => {
    it('reads the real test set: 10000 digits of 28×28, first labels 7 2 1 0 4', async function () {
      const dir = join(assets, 'media');
      if (!existsSync(join(dir, `${MNIST_IMAGES}.gz`)) && !existsSync(join(dir, MNIST_IMAGES))) {
        missingDependency(this, `the MNIST test set is not in ${dir}: set LOOKOUT_ASSETS to the shared assets folder`);
      }
      const ds = await readMnist(dir);
      assert.equal(ds.items.length, 10000);
      assert.deepEqual(ds.items.slice(0, 5).map((i) => i.label), [7, 2, 1, 0, 4]);
      assert.equal(ds.width, 28);
      assert.equal(ds.height, 28);
      assert.equal(ds.categories.length, 10);
      assert.equal(ds.categories[7]!.name, '7');
      const first = ds.items[0]!;
      assert.equal(first.pixels.length, 28 * 28);
      // a white digit on black: the corners are 0 and some pixel is bright
      assert.equal(first.pixels[0], 0);
      assert.ok(Math.max(...first.pixels) > 200);
      // each label 0..9 occurs about 1000 times
      const counts = new Array<number>(10).fill(0);
      for (const item of ds.items) counts[item.label]!++;
      assert.ok(counts.every((c) => c > 850 && c < 1150), String(counts));
    });

    it('reads plain and gzipped files alike', async () => {
      const pixels = Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => i * 10);
      await writeFile(join(tmp, MNIST_IMAGES), idx(2051, [2, 2, 3], pixels));
      await writeFile(join(tmp, `${MNIST_LABELS}.gz`), gzipSync(idx(2049, [2], Uint8Array.from([3, 9]))));
      const ds = await readMnist(tmp);
      assert.equal(ds.width, 3);
      assert.equal(ds.height, 2);
      assert.deepEqual(ds.items.map((i) => i.label), [3, 9]);
      assert.deepEqual([...ds.items[1]!.pixels], [60, 70, 80, 90, 100, 110]);
    });

    it('given a wrong magic number, then the error names the file and the expected magic', async () => {
      await writeFile(join(tmp, `${MNIST_IMAGES}.gz`), gzipSync(idx(2049, [1], Uint8Array.from([1]))));
      await writeFile(join(tmp, MNIST_LABELS), idx(2049, [1], Uint8Array.from([1])));
      await assert.rejects(readMnist(tmp), datasetError(new RegExp(`${MNIST_IMAGES}\\.gz: magic number 2049 is not 2051`)));
    });

    it('given a truncated images file, then the error says what the header promised', async () => {
      await writeFile(join(tmp, MNIST_IMAGES), idx(2051, [3, 28, 28], new Uint8Array(2 * 28 * 28)));
      await writeFile(join(tmp, MNIST_LABELS), idx(2049, [3], Uint8Array.from([1, 2, 3])));
      await assert.rejects(readMnist(tmp), datasetError(/promises 3×28×28 = 2352 bytes of data but the file holds 1568 \(truncated\?\)/));
    });

    it('given image and label counts that differ, then the error names both files', async () => {
      await writeFile(join(tmp, MNIST_IMAGES), idx(2051, [2, 1, 1], Uint8Array.from([0, 0])));
      await writeFile(join(tmp, MNIST_LABELS), idx(2049, [3], Uint8Array.from([1, 2, 3])));
      await assert.rejects(readMnist(tmp), datasetError(/holds 2 images but .*t10k-labels-idx1-ubyte holds 3 labels/));
    });

    it('given a header cut short, a broken gzip, a label above 9 or a missing file, then each says so', async () => {
      await writeFile(join(tmp, MNIST_IMAGES), Buffer.from([0, 0, 8, 3, 0, 0]));
      await writeFile(join(tmp, MNIST_LABELS), idx(2049, [1], Uint8Array.from([1])));
      await assert.rejects(readMnist(tmp), datasetError(/header is cut short/));

      await writeFile(join(tmp, MNIST_IMAGES), idx(2051, [1, 1, 1], Uint8Array.from([0])));
      await writeFile(join(tmp, MNIST_LABELS), Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]));
      await assert.rejects(readMnist(tmp), datasetError(/t10k-labels-idx1-ubyte: not a valid gzip file/));

      await writeFile(join(tmp, MNIST_LABELS), idx(2049, [1], Uint8Array.from([12])));
      await assert.rejects(readMnist(tmp), datasetError(/label 12 of item 0 is not a digit/));

      await rm(join(tmp, MNIST_LABELS));
      await assert.rejects(readMnist(tmp), datasetError(/neither .*t10k-labels-idx1-ubyte nor .*\.gz exists/));
    });
  });

  describe('image folders', () => {
    it('lists one class per sub-folder, sorted, with .jpg/.jpeg/.png images in any case', async () => {
      await mkdir(join(tmp, 'dog'));
      await mkdir(join(tmp, 'cat'));
      await mkdir(join(tmp, '.cache'));
      for (const f of ['b.JPG', 'a.png', 'notes.txt', '.hidden.jpg']) await writeFile(join(tmp, 'dog', f), '');
      await writeFile(join(tmp, 'cat', 'x.jpeg'), '');
      await writeFile(join(tmp, 'stray.jpg'), '');
      const ds = await readImageFolder(tmp);
      assert.deepEqual(ds.categories, [{ id: 0, name: 'cat' }, { id: 1, name: 'dog' }]);
      assert.deepEqual(
        ds.items.map((i) => [i.index, i.label, i.path.slice(tmp.length + 1)]),
        [
          [0, 0, join('cat', 'x.jpeg')],
          [1, 1, join('dog', 'a.png')],
          [2, 1, join('dog', 'b.JPG')],
        ],
      );
    });

    it('rejects a missing directory, one without class folders, and an empty class', async () => {
      await assert.rejects(readImageFolder(join(tmp, 'nope')), datasetError(/nope: cannot be read/));
      await assert.rejects(readImageFolder(tmp), datasetError(/no class sub-folders/));
      await mkdir(join(tmp, 'a'));
      await mkdir(join(tmp, 'b'));
      await writeFile(join(tmp, 'a', '1.jpg'), '');
      await assert.rejects(readImageFolder(tmp), datasetError(/no \.jpg\/\.jpeg\/\.png images in class folder "b"/));
    });
  });

  describe('COCO', () => {
    const instances = () => ({
      images: [
        { id: 397133, file_name: 'a.jpg', width: 640, height: 427 },
        { id: 37777, file_name: 'b.jpg' },
      ],
      annotations: [
        { id: 1, image_id: 397133, category_id: 1, bbox: [10, 20, 30, 40], area: 900.5, iscrowd: 0 },
        { id: 2, image_id: 397133, category_id: 1, bbox: [0, 0, 100, 50], iscrowd: 1 },
        { id: 3, image_id: 37777, category_id: 18, bbox: [1, 2, 3, 4] },
      ],
      categories: [
        { id: 1, name: 'person', supercategory: 'person' },
        { id: 18, name: 'dog' },
      ],
    });

    it('reads images, annotations and categories; images default to the JSON folder', async () => {
      await writeFile(join(tmp, 'instances.json'), JSON.stringify(instances()));
      await writeFile(join(tmp, 'a.jpg'), '');
      await writeFile(join(tmp, 'b.jpg'), '');
      const ds = await openDataset(`coco:${join(tmp, 'instances.json')}`);
      assert.equal(ds.kind, 'coco');
      if (ds.kind !== 'coco') return;
      assert.deepEqual(ds.categories, [{ id: 1, name: 'person' }, { id: 18, name: 'dog' }]);
      assert.deepEqual(ds.imageIds, [397133, 37777]);
      assert.equal(ds.items[0]!.path, join(tmp, 'a.jpg'));
      assert.equal(ds.items[0]!.width, 640);
      assert.equal(ds.items[1]!.width, undefined);
      assert.deepEqual(ds.items[0]!.annotations, [
        { imageId: 397133, categoryId: 1, bbox: [10, 20, 30, 40], area: 900.5 },
        { imageId: 397133, categoryId: 1, bbox: [0, 0, 100, 50], iscrowd: true },
      ]);
      assert.equal(ds.groundTruths.length, 3);
    });

    it('looks for images in the folder given after the JSON, and names the missing ones', async () => {
      await writeFile(join(tmp, 'instances.json'), JSON.stringify(instances()));
      await mkdir(join(tmp, 'val2017'));
      await writeFile(join(tmp, 'val2017', 'a.jpg'), '');
      await assert.rejects(
        readCocoDataset(join(tmp, 'instances.json'), join(tmp, 'val2017')),
        datasetError(/1 of 2 images .* are missing from .*val2017: .*b\.jpg/),
      );
      const unchecked = await readCocoDataset(join(tmp, 'instances.json'), join(tmp, 'val2017'), { checkImages: false });
      assert.equal(unchecked.items[1]!.path, join(tmp, 'val2017', 'b.jpg'));
    });

    it('names what is wrong in a malformed JSON', async () => {
      const check = (json: unknown, ...patterns: RegExp[]) => assert.throws(() => parseCocoAnnotations(json, 'x.json', '.'), datasetError(/^x\.json: /, ...patterns));
      check([], /expected a JSON object/);
      const { annotations: _, ...withoutAnnotations } = instances();
      check(withoutAnnotations, /"annotations" is missing/);
      check({ ...instances(), images: {} }, /"images" must be an array/);
      const bad = instances();
      (bad.annotations[0] as Record<string, unknown>)['bbox'] = [1, 2, -3, 4];
      (bad.annotations[2] as Record<string, unknown>)['category_id'] = 99;
      check(bad, /annotations\[0\]\.bbox: expected \[x, y, width, height\]/, /annotations\[2\]\.category_id: 99 is not the id of a category/);
      const dupes = instances();
      dupes.images.push({ id: 37777, file_name: 'c.jpg' });
      check(dupes, /images\[2\]\.id: 37777 appears twice/);
      const unknownImage = instances();
      unknownImage.annotations[1]!.image_id = 5;
      check(unknownImage, /annotations\[1\]\.image_id: 5 is not the id of an image/);
      await writeFile(join(tmp, 'broken.json'), '{"images": [');
      await assert.rejects(readCocoDataset(join(tmp, 'broken.json')), datasetError(/broken\.json: not valid JSON/));
    });
  });

  it('openDataset dispatches on the spec', async () => {
    await mkdir(join(tmp, 'only'));
    await writeFile(join(tmp, 'only', 'x.png'), '');
    const folder = await openDataset(tmp);
    assert.equal(folder.kind, 'folder');
    await assert.rejects(openDataset(`mnist:${tmp}`), datasetError(/mnist: neither/));
  });
});

describe('classTruth: class ids of image-folder items', () => {
  const folder = (names: string[]): FolderDataset => ({
    kind: 'folder',
    dir: '/data/digits',
    categories: names.map((name, id) => ({ id, name })),
    // one item per class folder, in folder order
    items: names.map((name, index) => ({ index, path: `/data/digits/${name}/a.png`, label: index })),
  });

  it('given a model without labels and folders named 0 … 11, then each folder name is the class id (not its sort position)', () => {
    const names = ['0', '1', '10', '11', '2', '3', '4', '5', '6', '7', '8', '9']; // code-unit order, as readImageFolder sorts
    const { truth, labels } = classTruth(folder(names), []);
    assert.deepEqual(names.map((_, i) => truth(i)), names.map(Number));
    assert.deepEqual(labels, Array.from({ length: 12 }, (_, i) => String(i)));
  });

  it('given a model without labels and folders named otherwise, then it refuses, naming the folders that are not class ids and --labels', () => {
    for (const names of [['0', '1', 'cat'], ['00', '1'], ['-1', '0'], ['1.0', '2']]) {
      assert.throws(
        () => classTruth(folder(names), []),
        (err: unknown) => isLookoutError(err) && err.code === 'LOOKOUT_ERR_DATASET' && /--labels FILE/.test(err.message) && err.message.includes(JSON.stringify(names.find((n) => !/^(0|[1-9][0-9]*)$/.test(n)))),
        names.join(','),
      );
    }
  });

  it('given model labels, then folders are matched by name, also when the names are numbers', () => {
    const { truth } = classTruth(folder(['1', '0']), ['1', '0']);
    assert.deepEqual([truth(0), truth(1)], [0, 1]);
  });
});
