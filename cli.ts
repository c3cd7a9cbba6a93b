#!/usr/bin/env node
// argv → command → exit code. Errors become one line on stderr: exit 2 for what the user must fix in the invocation or
// config, 1 for runtime failures; stack traces only with --verbose.
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { demoCommand } from './cli/demo.js';
import { detectCommand } from './cli/detect.js';
import { evalCommand } from './cli/eval.js';
import { modelsListCommand, modelsPullCommand } from './cli/models.js';
import { runCommand } from './cli/run.js';
import { trainCommand } from './cli/train.js';
import { validateCommand } from './cli/validate.js';
import { DEFAULTS, EXECUTION_PROVIDERS, type ExecutionProviderName } from './config/defaults.js';
import { describeError, exitCodeFor, isLookoutError, LookoutError } from './core/errors.js';
import { Logger } from './core/logger.js';
import { parseCnnSize } from './models/train/architecture.js';
import { DEFAULT_TRAIN_SETTINGS } from './models/train/train-settings.js';
import { TRAIN_ARCHITECTURES, type TrainArchitecture } from './pipeline/train.js';

const HELP = `lookout: camera-feed recognition (ffmpeg → onnxruntime → detections)

Usage:
  lookout detect FILE... --model PATH|NAME [--adapter NAME] [--labels FILE] [--threshold X] [--iou X]
                         [--providers cpu,cuda,...] [--batch N]
      Images: one JSON line each {"file","width","height","detections":[{"label","classId","score","box"}]}.
      Videos: one JSON line per frame (with "frame"), then {"summary":{"frames","seconds","fps"}}.
  lookout eval --model PATH|NAME [--adapter NAME] --dataset SPEC [--labels FILE] [--threshold X] [--json]
               [--limit N] [--batch N] [--iou X] [--providers cpu,cuda,...]
      How good a model is on labelled images, run like on the cameras (same runtime, adapter, batching).
      SPEC: mnist:DIR (t10k-*-idx*-ubyte[.gz]) or DIR with one sub-folder per class, for --adapter classifier
      (accuracy, per-class and macro precision/recall/F1, confusion matrix); coco:ANNOTATIONS.json[:IMAGES_DIR]
      for detectors (COCO mAP@.5:.95, mAP@.5, per class; precision/recall at --threshold, default 0.3, while mAP
      counts every box scoring 0.001 or more). Prints items per second. A table, or JSON with --json.
  lookout train --dataset SPEC --name NAME [--arch cnn] [--size small|keras|C1,C2,DENSE] [--input 28x28]
                [--channels 1|3] [--epochs 10] [--patience 3] [--batch 64] [--learning-rate 0.001] [--seed 1]
                [--test-split 0.2] [--validation-split 0.1] [--no-augment] [--out DIR] [--json]
      Trains an image classifier from scratch on a worker thread (tfjs, wasm backend) and writes NAME.onnx (served
      by --adapter classifier), NAME.labels.txt, a model card (NAME.card.json/.md) and the test split (NAME.test)
      to DIR (default: <cache>/models). SPEC as for eval: mnist:DIR or a directory with one sub-folder per class.
      Every class is split with the seed: test split held out, validation split of the rest for early stopping.
      The export is checked against the trained model and evaluated on the test split like lookout eval.
  lookout demo [--port 8080] [--mqtt-port 1883] [--from DIR]
                                    the demo (npm start): sample clip + yolox-nano + dashboard + embedded MQTT broker
  lookout run -c FILE [--json]      run the configured cameras until they end or SIGINT/SIGTERM
  lookout validate -c FILE [--print] check a config file (exit 0 valid, 2 invalid); --print shows it with defaults
  lookout models list               known models and media, and what is cached
  lookout models pull NAME [--from DIR]
                                    download a pinned model into the cache and verify its SHA-256
                                    (or take it from DIR / $LOOKOUT_ASSETS)

Options:
  --verbose      debug logs and stack traces
  -h, --help     this help
  --version      the version

Models by name: yolox-nano, fastestdet, ultraface (pulled on first use). Adapters: yolox, fastestdet, ultralytics,
ultraface, classifier. Environment: LOOKOUT_ASSETS=DIR (local copies of models and clips), LOOKOUT_CACHE=DIR.
Exit codes: 0 ok, 1 runtime failure, 2 usage or config error.`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  verbose: { type: 'boolean' },
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
  print: { type: 'boolean' },
  model: { type: 'string', short: 'm' },
  adapter: { type: 'string' },
  labels: { type: 'string' },
  threshold: { type: 'string' },
  iou: { type: 'string' },
  providers: { type: 'string' },
  batch: { type: 'string' },
  from: { type: 'string' },
  port: { type: 'string' },
  'mqtt-port': { type: 'string' },
  dataset: { type: 'string' },
  limit: { type: 'string' },
  arch: { type: 'string' },
  name: { type: 'string' },
  size: { type: 'string' },
  input: { type: 'string' },
  channels: { type: 'string' },
  epochs: { type: 'string' },
  patience: { type: 'string' },
  'learning-rate': { type: 'string' },
  seed: { type: 'string' },
  'test-split': { type: 'string' },
  'validation-split': { type: 'string' },
  'no-augment': { type: 'boolean' },
  out: { type: 'string' },
} satisfies ParseArgsConfig['options'];

function usage(message: string): never {
  throw new LookoutError('LOOKOUT_ERR_USAGE', `${message} (see lookout --help)`);
}

function numberOption(name: string, value: string | undefined, fallback: number, check: (v: number) => boolean, what: string): number {
  if (value === undefined) return fallback;
  const v = Number(value);
  if (!Number.isFinite(v) || !check(v)) usage(`--${name}: must be ${what}, got ${JSON.stringify(value)}`);
  return v;
}

function providersOption(value: string | undefined): ExecutionProviderName[] {
  if (value === undefined) return [...DEFAULTS.model.providers];
  const list = value.split(',').map((p) => p.trim()).filter(Boolean);
  for (const p of list) if (!(EXECUTION_PROVIDERS as readonly string[]).includes(p)) usage(`--providers: unknown provider ${JSON.stringify(p)} (known: ${EXECUTION_PROVIDERS.join(', ')})`);
  return list as ExecutionProviderName[];
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    usage(describeError(err));
  }
  const { values, positionals } = parsed;
  const out = (line: string) => process.stdout.write(line + '\n');
  if (values.version) {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    out(pkg.version);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    out(HELP);
    return command || values.help ? 0 : 2;
  }
  const logger = new Logger({ level: values.verbose ? 'debug' : 'info', json: false });
  switch (command) {
    case 'detect': {
      if (rest.length === 0) usage('detect: name at least one image or video file');
      if (!values.model) usage('detect: --model PATH|NAME is required');
      await detectCommand({
        files: rest,
        model: values.model,
        adapter: values.adapter,
        labels: values.labels,
        threshold: numberOption('threshold', values.threshold, DEFAULTS.model.threshold, (v) => v >= 0 && v <= 1, 'a number from 0 to 1'),
        iou: numberOption('iou', values.iou, DEFAULTS.model.iou, (v) => v >= 0 && v <= 1, 'a number from 0 to 1'),
        providers: providersOption(values.providers),
        batch: numberOption('batch', values.batch, DEFAULTS.model.batch.maxSize, (v) => Number.isInteger(v) && v >= 1 && v <= 64, 'an integer from 1 to 64'),
        registry: { from: values.from },
        logger,
      });
      return 0;
    }
    case 'eval': {
      if (rest.length > 0) usage(`eval: unexpected argument ${JSON.stringify(rest[0])} (the dataset goes in --dataset SPEC)`);
      if (!values.model) usage('eval: --model PATH|NAME is required');
      if (!values.dataset) usage('eval: --dataset SPEC is required (mnist:DIR, coco:ANNOTATIONS.json[:IMAGES_DIR] or a directory with one sub-folder per class)');
      await evalCommand({
        model: values.model,
        adapter: values.adapter,
        labels: values.labels,
        dataset: values.dataset,
        threshold: numberOption('threshold', values.threshold, DEFAULTS.model.threshold, (v) => v >= 0 && v <= 1, 'a number from 0 to 1'),
        iou: numberOption('iou', values.iou, DEFAULTS.model.iou, (v) => v >= 0 && v <= 1, 'a number from 0 to 1'),
        providers: providersOption(values.providers),
        batch: numberOption('batch', values.batch, DEFAULTS.model.batch.maxSize, (v) => Number.isInteger(v) && v >= 1 && v <= 64, 'an integer from 1 to 64'),
        limit: values.limit === undefined ? undefined : numberOption('limit', values.limit, 0, (v) => Number.isInteger(v) && v >= 1, 'a positive integer'),
        json: values.json ?? false,
        registry: { from: values.from },
        logger,
      });
      return 0;
    }
    case 'train': {
      if (rest.length > 0) usage(`train: unexpected argument ${JSON.stringify(rest[0])} (the dataset goes in --dataset SPEC)`);
      if (!values.dataset) usage('train: --dataset SPEC is required (mnist:DIR or a directory with one sub-folder per class)');
      if (!values.name) usage('train: --name NAME is required (the model is written as NAME.onnx)');
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(values.name)) usage(`--name: letters, digits, '.', '_' and '-' only (at most 64, not starting with '.' or '-'), got ${JSON.stringify(values.name)}`);
      const arch = values.arch ?? 'cnn';
      if (!(TRAIN_ARCHITECTURES as readonly string[]).includes(arch)) usage(`--arch: expected ${TRAIN_ARCHITECTURES.join(', ')}, got ${JSON.stringify(arch)}`);
      let widths;
      try {
        widths = parseCnnSize(values.size ?? 'small');
      } catch (err) {
        usage(`--size: ${describeError(err)}`);
      }
      const inputMatch = /^(\d+)x(\d+)$/.exec(values.input ?? '28x28');
      if (!inputMatch) usage(`--input: expected WIDTHxHEIGHT such as 28x28, got ${JSON.stringify(values.input)}`);
      const [width, height] = [Number(inputMatch[1]), Number(inputMatch[2])];
      if (width < 6 || height < 6 || width > 512 || height > 512) usage(`--input: each side must be 6 to 512 pixels, got ${values.input}`);
      const channels = numberOption('channels', values.channels, 1, (v) => v === 1 || v === 3, '1 (grey) or 3 (RGB)') as 1 | 3;
      const seed = numberOption('seed', values.seed, 1, (v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff, 'an integer from 0 to 4294967295');
      await trainCommand({
        arch: arch as TrainArchitecture,
        dataset: values.dataset,
        name: values.name,
        outDir: values.out,
        input: { width, height, channels },
        conv: widths.conv,
        dense: widths.dense,
        settings: {
          seed,
          epochs: numberOption('epochs', values.epochs, DEFAULT_TRAIN_SETTINGS.epochs, (v) => Number.isInteger(v) && v >= 1 && v <= 1000, 'an integer from 1 to 1000'),
          patience: numberOption('patience', values.patience, DEFAULT_TRAIN_SETTINGS.patience, (v) => Number.isInteger(v) && v >= 1, 'a positive integer'),
          batchSize: numberOption('batch', values.batch, DEFAULT_TRAIN_SETTINGS.batchSize, (v) => Number.isInteger(v) && v >= 1 && v <= 1024, 'an integer from 1 to 1024'),
          learningRate: numberOption('learning-rate', values['learning-rate'], DEFAULT_TRAIN_SETTINGS.learningRate, (v) => v > 0 && v <= 1, 'a number above 0, at most 1'),
          augment: !(values['no-augment'] ?? false),
        },
        testSplit: numberOption('test-split', values['test-split'], 0.2, (v) => v > 0 && v <= 0.9, 'a fraction above 0, at most 0.9'),
        validationSplit: numberOption('validation-split', values['validation-split'], 0.1, (v) => v >= 0 && v <= 0.9, 'a fraction from 0 to 0.9'),
        json: values.json ?? false,
        logger,
      });
      return 0;
    }
    case 'run':
      if (!values.config) usage('run: -c FILE is required');
      return runCommand({ configFile: values.config, json: values.json ?? false, verbose: values.verbose ?? false, registry: { from: values.from } });
    case 'demo':
      return demoCommand({
        port: numberOption('port', values.port, 8080, (v) => Number.isInteger(v) && v >= 0 && v <= 65535, 'a port number'),
        mqttPort: numberOption('mqtt-port', values['mqtt-port'], 1883, (v) => Number.isInteger(v) && v >= 0 && v <= 65535, 'a port number'),
        registry: { from: values.from },
        logger,
        write: out,
      });
    case 'validate':
      if (!values.config) usage('validate: -c FILE is required');
      return validateCommand(values.config, { print: values.print ?? false, write: out });
    case 'models': {
      const [sub, name] = rest;
      if (sub === 'list') {
        modelsListCommand(out);
        return 0;
      }
      if (sub === 'pull') {
        if (!name) usage('models pull: name a model (see lookout models list)');
        await modelsPullCommand(name, { from: values.from, tty: process.stderr.isTTY === true }, out);
        return 0;
      }
      return usage(`models: expected list or pull, got ${JSON.stringify(sub ?? '')}`);
    }
    default:
      return usage(`unknown command ${JSON.stringify(command)}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const verbose = process.argv.includes('--verbose');
    if (isLookoutError(err)) {
      process.stderr.write(`lookout: ${err.message}\n`);
      if (verbose && err.stack) process.stderr.write(err.stack + '\n');
      process.exitCode = exitCodeFor(err.code);
    } else {
      process.stderr.write(`lookout: ${describeError(err)}\n`);
      if (verbose && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
      process.exitCode = 1;
    }
  },
);
