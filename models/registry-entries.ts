// The table of assets Lookout knows by name. URLs are pinned to a commit and hashes come from ../shared/assets/SHA256SUMS,
// so the bytes behind a name never change; a test compares this table with SHA256SUMS.

import type { PreprocessPreset } from '../config/preprocess.js';

export type AssetKind = 'model' | 'media' | 'labels';

/** Model adapters the registry can name; the adapter table in models/adapters decides what each means. */
export type RegistryAdapter = 'yolox' | 'fastestdet' | 'ultraface' | 'classifier';

export interface AssetEntry {
  /** registry name, e.g. `yolox-nano` */
  readonly name: string;
  readonly kind: AssetKind;
  /** file name as in SOURCES.md, without its folder; also the name in the cache */
  readonly file: string;
  /** pinned upstream URL; absent when there is no public raw URL to pin (then only a local folder or a mirror serves it) */
  readonly url?: string;
  /** lower-case hex SHA-256 of the file */
  readonly sha256: string;
  /** size in bytes: the download total for progress (a gzip-encoded response's Content-Length is not), and a cap */
  readonly size?: number;
  /** models only: the adapter that feeds and decodes it */
  readonly adapter?: RegistryAdapter;
  /**
   * Models only. A string is the registry name of a `labels` entry (one class a line); an array lists the classes inline,
   * for models whose classes are not worth a file.
   */
  readonly labels?: string | readonly string[];
  /** classifiers only: the input normalisation it was trained with (config/preprocess.ts) */
  readonly preprocess?: PreprocessPreset;
}

const DIGITS: readonly string[] = Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

const TABLE: AssetEntry[] = [
  {
    name: 'yolox-nano',
    kind: 'model',
    file: 'yolox_nano.onnx',
    url: 'https://raw.githubusercontent.com/hamacom2004jp/iinfer/c7f9a3c5216c6f8b3e8b35886f863dffa2dc0bf9/models/yolox_nano.onnx',
    sha256: 'd39bee73564e338080378b0ad567fbb40e818b55bbfaf971de82a0267ed16b8a',
    size: 3713911,
    adapter: 'yolox',
    labels: 'coco-names',
  },
  {
    name: 'fastestdet',
    kind: 'model',
    file: 'FastestDet.onnx',
    url: 'https://raw.githubusercontent.com/dog-qiuqiu/FastestDet/50473cd155cb088aa4a99e64ff6a4b3c24fa07e1/example/onnx-runtime/FastestDet.onnx',
    sha256: '31cb14c017fce347cb4c846ec62fdf00d76bb3beecdf4be21e7116ac67feb880',
    size: 998169,
    adapter: 'fastestdet',
    labels: 'coco-names',
  },
  {
    name: 'ultraface',
    kind: 'model',
    file: 'ultraface_version-RFB-320.onnx',
    url: 'https://raw.githubusercontent.com/Linzaer/Ultra-Light-Fast-Generic-Face-Detector-1MB/dffdddda9794a50607cba8f318507a28c1c27cab/models/onnx/version-RFB-320.onnx',
    sha256: '34cd7e60aeff28744c657de7a3dc64e872d506741de66987f3426f2b79f88017',
    size: 1270727,
    adapter: 'ultraface',
    // the model scores [background, face]; the adapter reads column 1, so the one class users see is 'face'
    labels: Object.freeze(['face']),
  },
  {
    name: 'coco-names',
    kind: 'labels',
    file: 'coco.names',
    url: 'https://raw.githubusercontent.com/dog-qiuqiu/FastestDet/50473cd155cb088aa4a99e64ff6a4b3c24fa07e1/example/onnx-runtime/coco.names',
    sha256: '634a1132eb33f8091d60f2c346ababe8b905ae08387037aed883953b7329af84',
    size: 625,
  },
  {
    // SOURCES.md names a repository and commit but no raw URL we have checked, so no url: LOOKOUT_ASSETS / --from only
    name: 'mnist-8',
    kind: 'model',
    file: 'mnist-8.onnx',
    sha256: 'ddd007b8b9b1e79c323e0b090266409dc73ba8e137c192a163148c908222ed11',
    size: 26463,
    adapter: 'classifier',
    labels: DIGITS,
    preprocess: 'mnist',
  },
  {
    // a frozen backbone for heads trained on the box (lookout train --arch head); models/backbone.ts adds its pooled
    // 1280-d vector as a `features` output, which the file itself does not have
    name: 'mobilenetv2-int8',
    kind: 'model',
    file: 'mobilenetv2-12-int8.onnx',
    url: 'https://raw.githubusercontent.com/Lawrence-lugs/MARP/92ce10f77c2359b68699e6fe9a16d09c106532c8/onnx_models/mobilenetv2-12-int8.onnx',
    sha256: '83530ad811bc31d2b60a5599a21265a5057608c9b044b4ee758cc22f2309f54f',
    size: 3655640,
    adapter: 'classifier',
    labels: 'imagenet-synset',
    preprocess: 'imagenet',
  },
  {
    name: 'imagenet-synset',
    kind: 'labels',
    file: 'imagenet_synset.txt',
    url: 'https://raw.githubusercontent.com/onnx/models/b1eeaa1ac722dcc1cd1a8284bde34393dab61c3d/validated/vision/classification/synset.txt',
    sha256: 'acf75ef0abe89694b19056e0796401068b459c457baa30335f240c7692857355',
    size: 31675,
  },
  {
    name: 'one-by-one-person-detection',
    kind: 'media',
    file: 'one-by-one-person-detection.mp4',
    url: 'https://raw.githubusercontent.com/intel-iot-devkit/sample-videos/57978890822836f2b4743852f04f62fc511757e4/one-by-one-person-detection.mp4',
    sha256: 'a5964aa259099a482a8b360ffc2c57b5a30f84d5919236a4dad01f8e929ac07c',
    size: 3291918,
  },
];

// frozen so no caller can repoint a URL or hash at run time
export const ASSETS: readonly AssetEntry[] = Object.freeze(TABLE.map((entry) => Object.freeze(entry)));
