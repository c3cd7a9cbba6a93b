// Each command's options in one table: the parser takes only what the command takes (anything else is a usage error
// naming it, exit 2) and the help text is generated from the same table, so the two cannot drift apart.
import { parseArgs } from 'node:util';
import { describeError, LookoutError } from '../core/errors.js';
import { CHANNEL_ORDERS, CLASSIFIER_RESIZE_MODES, PREPROCESS_PRESETS, preprocessProblems, type PreprocessSettings } from '../config/preprocess.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** what the value looks like in help (string options) */
  arg?: string;
  /** shown in the synopsis without brackets */
  required?: boolean;
  help: string;
}

export interface CommandSpec {
  /** positional arguments in the synopsis, e.g. `FILE...` */
  positionals?: string;
  /** lines under the synopsis */
  about: string[];
  options: Readonly<Record<string, OptionSpec>>;
}

const model: OptionSpec = { type: 'string', short: 'm', arg: 'PATH|NAME', required: true, help: 'an ONNX file or a registry name (pulled on first use)' };
const adapter: OptionSpec = { type: 'string', arg: 'NAME', help: 'the model adapter (yolox, fastestdet, ultralytics, ultraface, classifier)' };
const labels: OptionSpec = { type: 'string', arg: 'FILE', help: 'class names, one a line, in class-id order' };
const threshold: OptionSpec = { type: 'string', arg: 'X', help: 'least score of a detection, 0..1 (default 0.3)' };
const iou: OptionSpec = { type: 'string', arg: 'X', help: 'NMS IoU, 0..1 (default 0.45)' };
const providers: OptionSpec = { type: 'string', arg: 'cpu,cuda,...', help: 'execution providers, in order of preference' };
const batch: OptionSpec = { type: 'string', arg: 'N', help: 'frames per inference batch, 1..64 (default 4)' };
const from: OptionSpec = { type: 'string', arg: 'DIR', help: 'take models and media from DIR instead of downloading' };
// classifiers' input recipe (config/preprocess.ts): a preset, then any field that differs from it
const preprocessOptions = {
  preprocess: { type: 'string', arg: PREPROCESS_PRESETS.join('|'), help: "classifiers: the input normalisation preset (default the registry entry's, else mnist: 0..1)" },
  resize: { type: 'string', arg: CLASSIFIER_RESIZE_MODES.join('|'), help: 'classifiers: stretch to the input, keep the aspect and pad, or keep it and cut the overflow' },
  'channel-order': { type: 'string', arg: CHANNEL_ORDERS.join('|'), help: 'classifiers: channel order of the tensor' },
  scale: { type: 'string', arg: 'X', help: 'classifiers: each byte is multiplied by X first (1/255 is 0.00392156862745098)' },
  mean: { type: 'string', arg: 'M|R,G,B', help: 'classifiers: subtracted after scale, one value or one per channel' },
  std: { type: 'string', arg: 'S|R,G,B', help: 'classifiers: divides after the mean, one value or one per channel' },
} as const satisfies Record<string, OptionSpec>;

const config: OptionSpec = { type: 'string', short: 'c', arg: 'FILE', required: true, help: 'the config file (YAML)' };

export const COMMANDS = {
  detect: {
    positionals: 'FILE...',
    about: [
      'Images: one JSON line each {"file","width","height","detections":[{"label","classId","score","box"}]}.',
      'Videos: one JSON line per frame (with "frame"), then {"summary":{"frames","seconds","fps"}}.',
    ],
    options: { model, adapter, labels, threshold, iou, providers, batch, from, ...preprocessOptions },
  },
  eval: {
    about: [
      'How good a model is on labelled images, run like on the cameras (same runtime, adapter, batching).',
      'SPEC: mnist:DIR (t10k-*-idx*-ubyte[.gz]) or DIR with one sub-folder per class, for --adapter classifier',
      '(accuracy, per-class and macro precision/recall/F1, confusion matrix); coco:ANNOTATIONS.json[:IMAGES_DIR]',
      'for detectors (COCO mAP@.5:.95, mAP@.5, per class; precision/recall at --threshold, default 0.3, while mAP',
      'counts every box scoring 0.001 or more). Prints items per second. A table, or JSON with --json.',
    ],
    options: {
      model,
      dataset: { type: 'string', arg: 'SPEC', required: true, help: 'mnist:DIR, coco:ANNOTATIONS.json[:IMAGES_DIR] or a folder of class folders' },
      adapter,
      labels,
      threshold,
      iou,
      providers,
      batch,
      limit: { type: 'string', arg: 'N', help: 'evaluate only the first N items' },
      json: { type: 'boolean', help: 'the report as JSON' },
      from,
      ...preprocessOptions,
    },
  },
  train: {
    about: [
      'Trains an image classifier from scratch on a worker thread (tfjs, wasm backend) and writes NAME.onnx (served',
      'by --adapter classifier), NAME.labels.txt, a model card (NAME.card.json/.md) and the test split (NAME.test)',
      'to DIR (default: <cache>/models). SPEC as for eval: mnist:DIR or a directory with one sub-folder per class.',
      'Every class is split with the seed: test split held out, validation split of the rest for early stopping.',
      'The export is checked against the trained model and evaluated on the test split like lookout eval.',
    ],
    options: {
      dataset: { type: 'string', arg: 'SPEC', required: true, help: 'mnist:DIR or a folder of class folders' },
      name: { type: 'string', arg: 'NAME', required: true, help: 'the model name (NAME.onnx)' },
      arch: { type: 'string', arg: 'cnn|head', help: 'cnn: from scratch (default); head: a head on the frozen MobileNetV2 int8 backbone (224x224 RGB)' },
      size: { type: 'string', arg: 'small|keras|C1,C2,DENSE', help: 'CNN widths (default small)' },
      input: { type: 'string', arg: 'WxH', help: 'input size (default 28x28)' },
      channels: { type: 'string', arg: '1|3', help: 'grey or RGB (default 1)' },
      epochs: { type: 'string', arg: 'N', help: 'most epochs (default 10)' },
      patience: { type: 'string', arg: 'N', help: 'epochs without validation gain before stopping (default 3)' },
      batch: { type: 'string', arg: 'N', help: 'training batch size (default 64)' },
      'learning-rate': { type: 'string', arg: 'X', help: 'Adam learning rate (default 0.001)' },
      seed: { type: 'string', arg: 'N', help: 'seed of split, weights and augmentation (default 1)' },
      'test-split': { type: 'string', arg: 'X', help: 'fraction held out for the report (default 0.2)' },
      'validation-split': { type: 'string', arg: 'X', help: 'fraction of the rest for early stopping (default 0.1)' },
      'no-augment': { type: 'boolean', help: 'no shifts, rotations or stroke changes' },
      out: { type: 'string', arg: 'DIR', help: 'where the model goes (default <cache>/models)' },
      json: { type: 'boolean', help: 'the report as JSON' },
      from,
    },
  },
  demo: {
    about: ['The demo (npm start): sample clip + yolox-nano + dashboard + embedded MQTT broker.'],
    options: {
      port: { type: 'string', arg: 'N', help: 'the dashboard and API port (default 8080)' },
      'mqtt-port': { type: 'string', arg: 'N', help: 'the embedded broker port (default 1883)' },
      from,
    },
  },
  run: {
    about: ['Runs the configured cameras until they end or SIGINT/SIGTERM.'],
    options: { config, json: { type: 'boolean', help: 'log lines as JSON' }, from },
  },
  validate: {
    about: ['Checks a config file (exit 0 valid, 2 invalid).'],
    options: {
      config,
      print: { type: 'boolean', help: 'print the complete effective config as YAML, every default filled in, secrets masked' },
      json: { type: 'boolean', help: 'print JSON instead (the config with --print, else {file, valid, cameras, model})' },
    },
  },
  models: {
    positionals: 'list | pull NAME',
    about: ['list: known models and media, and what is cached.', 'pull: put a pinned model (and its labels) into the cache, its SHA-256 verified: copied from --from DIR or',
      '$LOOKOUT_ASSETS, else downloaded (from $LOOKOUT_REGISTRY_MIRROR when set). Later runs then need neither.'],
    options: { from },
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

/** Options every command takes. */
export const GLOBAL_OPTIONS = {
  verbose: { type: 'boolean', help: 'debug logs and stack traces' },
  help: { type: 'boolean', short: 'h', help: 'this help (lookout COMMAND --help: that command only)' },
} as const satisfies Record<string, OptionSpec>;

const VERSION: OptionSpec = { type: 'boolean', help: 'the version' };

function flag(name: string, o: OptionSpec): string {
  return `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.arg ?? 'VALUE'}` : ''}`;
}

export function synopsis(name: CommandName): string {
  const spec: CommandSpec = COMMANDS[name];
  const parts = [`lookout ${name}`];
  if (spec.positionals) parts.push(spec.positionals);
  for (const [n, o] of Object.entries(spec.options)) {
    const text = o.short ? `-${o.short}${o.type === 'string' ? ` ${o.arg ?? 'VALUE'}` : ''}` : `--${n}${o.type === 'string' ? ` ${o.arg ?? 'VALUE'}` : ''}`;
    parts.push(o.required ? text : `[${text}]`);
  }
  return parts.join(' ');
}

function optionLines(options: Readonly<Record<string, OptionSpec>>, indent: string): string[] {
  const rows = Object.entries(options).map(([n, o]) => [flag(n, o), o.help + (o.required ? ' (required)' : '')] as const);
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  return rows.map(([f, h]) => `${indent}${f.padEnd(width)}${h}`);
}

/** One command's section of the help. */
export function commandHelp(name: CommandName): string {
  const spec: CommandSpec = COMMANDS[name];
  return [`  ${synopsis(name)}`, ...spec.about.map((l) => `      ${l}`), ...optionLines(spec.options, '      ')].join('\n');
}

export function helpText(): string {
  return [
    'lookout: camera-feed recognition (ffmpeg → onnxruntime → detections)',
    '',
    'Usage:',
    ...(Object.keys(COMMANDS) as CommandName[]).map(commandHelp),
    '',
    'Options of every command:',
    ...optionLines({ ...GLOBAL_OPTIONS, version: VERSION }, '  '),
    '',
    'Models by name: yolox-nano, fastestdet, ultraface (pulled on first use). Environment: LOOKOUT_ASSETS=DIR (local',
    'copies of models and clips), LOOKOUT_CACHE=DIR, LOOKOUT_REGISTRY_MIRROR=URL (a mirror of the pinned files).',
    'Exit codes: 0 ok, 1 runtime failure, 2 usage or config error.',
  ].join('\n');
}

export type ParsedCommandLine =
  | { kind: 'help'; command?: CommandName }
  | { kind: 'version' }
  | { kind: 'none' }
  | { kind: 'command'; command: CommandName; values: Record<string, string | boolean | undefined>; positionals: string[] };

export function usageError(message: string): LookoutError {
  return new LookoutError('LOOKOUT_ERR_USAGE', `${message} (see lookout --help)`);
}

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** Parses argv for the command it names, with that command's options only. */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const first = argv[0];
  if (first === undefined || first.startsWith('-')) {
    let values;
    try {
      ({ values } = parseArgs({ args: [...argv], options: { ...GLOBAL_OPTIONS, version: VERSION }, allowPositionals: true, strict: true }));
    } catch (err) {
      throw usageError(describeError(err));
    }
    if (values.version) return { kind: 'version' };
    if (values.help) return { kind: 'help' };
    const positional = argv.find((a) => !a.startsWith('-'));
    if (positional !== undefined) throw usageError(`unknown command ${JSON.stringify(positional)}`);
    return { kind: 'none' };
  }
  if (!isCommand(first)) throw usageError(`unknown command ${JSON.stringify(first)}`);
  const spec: CommandSpec = COMMANDS[first];
  const all: Record<string, OptionSpec> = { ...spec.options, ...GLOBAL_OPTIONS };
  const options = Object.fromEntries(Object.entries(all).map(([n, o]) => [n, o.short ? { type: o.type, short: o.short } : { type: o.type }]));
  let parsed;
  try {
    parsed = parseArgs({ args: argv.slice(1), options, allowPositionals: true, strict: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const unknown = /'([^']+)'/.exec(describeError(err))?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown !== undefined) {
      const takes = Object.entries(spec.options).map(([n, o]) => (o.short ? `-${o.short}/--${n}` : `--${n}`));
      throw new LookoutError('LOOKOUT_ERR_USAGE', `${first}: ${unknown} is not an option of lookout ${first} (it takes ${takes.join(', ')}; see lookout ${first} --help)`);
    }
    throw usageError(`${first}: ${describeError(err)}`);
  }
  if (parsed.values.help) return { kind: 'help', command: first };
  return { kind: 'command', command: first, values: parsed.values, positionals: parsed.positionals };
}

/**
 * The classifier recipe the command line asks for (`--preprocess`, `--resize`, `--channel-order`, `--scale`, `--mean`,
 * `--std`), or undefined when it names none of them. A value that cannot be used is a usage error naming its option.
 */
export function preprocessFromOptions(values: Readonly<Record<string, unknown>>): PreprocessSettings | undefined {
  const text = (name: string): string | undefined => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const choice = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
    const v = text(name);
    if (v !== undefined && !(allowed as readonly string[]).includes(v)) throw usageError(`--${name}: expected ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T | undefined;
  };
  const numbers = (name: string): number[] | undefined => {
    const v = text(name);
    if (v === undefined) return undefined;
    const parts = v.split(',').map((p) => p.trim());
    const out = parts.map(Number);
    if (parts.some((p) => p === '') || out.some((n) => !Number.isFinite(n))) throw usageError(`--${name}: expected a number or numbers separated by commas, got ${JSON.stringify(v)}`);
    return out;
  };
  const settings: PreprocessSettings = {};
  const preset = choice('preprocess', PREPROCESS_PRESETS);
  if (preset !== undefined) settings.preset = preset;
  const resize = choice('resize', CLASSIFIER_RESIZE_MODES);
  if (resize !== undefined) settings.resize = resize;
  const order = choice('channel-order', CHANNEL_ORDERS);
  if (order !== undefined) settings.channelOrder = order;
  const scale = numbers('scale');
  if (scale !== undefined) {
    if (scale.length !== 1) throw usageError(`--scale: expected one number, got ${scale.length}`);
    settings.scale = scale[0]!;
  }
  const mean = numbers('mean');
  if (mean !== undefined) settings.mean = mean;
  const std = numbers('std');
  if (std !== undefined) settings.std = std;
  const problems = preprocessProblems(settings);
  if (problems.length > 0) throw usageError(problems.map((p) => `--${p}`).join('; '));
  return Object.keys(settings).length > 0 ? settings : undefined;
}
