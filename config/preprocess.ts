// How a classifier's input tensor is made from pixels: a preset (what the model was trained with) plus the fields a
// user overrides. ImageNet models read 1 of 11 crops right with MNIST's 0..1 scaling and 7 of 11 with their own
// mean/std (issue 17), so this is part of a model, never a guess.
import { list, num, obj, oneOf, optional, refine, type Schema } from './schema-kit.js';

export const PREPROCESS_PRESETS = ['mnist', 'imagenet'] as const;
export type PreprocessPreset = (typeof PREPROCESS_PRESETS)[number];

/**
 * `stretch` ignores the aspect ratio (the adapter's default); `letterbox` keeps it and pads the sides evenly;
 * `center-crop` keeps it, fills the input and cuts the overflow off both ends (ImageNet's evaluation crop).
 */
export const CLASSIFIER_RESIZE_MODES = ['stretch', 'letterbox', 'center-crop'] as const;
export type ClassifierResize = (typeof CLASSIFIER_RESIZE_MODES)[number];
export const CHANNEL_ORDERS = ['rgb', 'bgr'] as const;

/** The complete recipe: tensor value = (byte × scale − mean[c]) / std[c], channels in `channelOrder`. */
export interface Preprocess {
  resize: ClassifierResize;
  channelOrder: 'rgb' | 'bgr';
  /** multiplies each byte (0..255) first: 1/255 makes 0..1 */
  scale: number;
  /** one value for every channel, or one per channel in tensor order */
  mean: readonly number[];
  std: readonly number[];
}

/** What config and the command line may say: a preset and any fields that differ from it. */
export interface PreprocessSettings {
  preset?: PreprocessPreset;
  resize?: ClassifierResize;
  channelOrder?: 'rgb' | 'bgr';
  scale?: number;
  mean?: readonly number[];
  std?: readonly number[];
}

export const PRESETS: Readonly<Record<PreprocessPreset, Preprocess>> = Object.freeze({
  // 0..1, what mnist-8 and the classifiers `lookout train` writes expect; the classifier adapter's default
  mnist: Object.freeze({ resize: 'stretch', channelOrder: 'rgb', scale: 1 / 255, mean: Object.freeze([0]), std: Object.freeze([1]) }),
  // torchvision's ImageNet normalisation (MobileNet, ResNet, EfficientNet from the ONNX model zoo)
  imagenet: Object.freeze({ resize: 'stretch', channelOrder: 'rgb', scale: 1 / 255, mean: Object.freeze([0.485, 0.456, 0.406]), std: Object.freeze([0.229, 0.224, 0.225]) }),
});

/** Without a preset from the user or the registry, a classifier keeps the adapter's long-standing 0..1 scaling. */
export const DEFAULT_PRESET: PreprocessPreset = 'mnist';

/**
 * The recipe for a model: the user's preset, else the registry entry's, else DEFAULT_PRESET; then the user's fields
 * on top. Throws RangeError on values no tensor can be made with (see preprocessProblems).
 */
export function resolvePreprocess(settings: PreprocessSettings | undefined, registryPreset?: PreprocessPreset): Preprocess {
  const base = PRESETS[settings?.preset ?? registryPreset ?? DEFAULT_PRESET];
  const out: Preprocess = {
    resize: settings?.resize ?? base.resize,
    channelOrder: settings?.channelOrder ?? base.channelOrder,
    scale: settings?.scale ?? base.scale,
    mean: settings?.mean ?? base.mean,
    std: settings?.std ?? base.std,
  };
  const problems = preprocessProblems(out);
  if (problems.length > 0) throw new RangeError(`preprocess: ${problems.join('; ')}`);
  return out;
}

/** What is wrong with a recipe (empty when nothing): counts of mean/std, a zero std, a scale that is not positive. */
export function preprocessProblems(p: Partial<Preprocess>): string[] {
  const problems: string[] = [];
  for (const name of ['mean', 'std'] as const) {
    const values = p[name];
    if (values === undefined) continue;
    if (values.length !== 1 && values.length !== 3) problems.push(`${name}: expected 1 value or 3 (one per channel), got ${values.length}`);
    if (values.some((v) => !Number.isFinite(v))) problems.push(`${name}: expected finite numbers`);
  }
  if (p.std?.some((v) => v === 0)) problems.push('std: must not be 0 (it divides)');
  if (p.scale !== undefined && !(Number.isFinite(p.scale) && p.scale > 0)) problems.push(`scale: must be a number > 0, got ${p.scale}`);
  return problems;
}

/**
 * The same recipe in the units the tensor writer takes (bytes): (byte × scale − mean) / std = (byte − mean/scale) /
 * (std/scale). A single value stays single, so it serves grey and colour models alike.
 */
export function toByteUnits(p: Preprocess): { mean: number | number[]; std: number | number[] } {
  const unit = (values: readonly number[]) => (values.length === 1 ? values[0]! / p.scale : values.map((v) => v / p.scale));
  return { mean: unit(p.mean), std: unit(p.std) };
}

const numbers = () => list(num({ what: 'a number' }), { minLength: 1 });

/** `model.preprocess` in config: every field optional, checked together. */
export const preprocessSchema: Schema<PreprocessSettings> = refine(
  obj({
    preset: optional(oneOf(PREPROCESS_PRESETS)),
    resize: optional(oneOf(CLASSIFIER_RESIZE_MODES)),
    channelOrder: optional(oneOf(CHANNEL_ORDERS)),
    scale: optional(num({ min: 0, exclusiveMin: true, what: 'a number > 0' })),
    mean: optional(numbers()),
    std: optional(numbers()),
  }),
  (p) => {
    const problems = preprocessProblems(p);
    return problems.length > 0 ? problems.join('; ') : undefined;
  },
);
