#!/usr/bin/env node
// argv → command → exit code. Errors become one line on stderr: exit 2 for what the user must fix in the invocation or
// config, 1 for runtime failures; stack traces only with --verbose.
// each command's modules are imported when it runs: all of them together take seconds to load (sharp, playwright,
// the trainer), which every command, `lookout detect` included, would pay before its first result
import { commandHelp, helpText, parseCommandLine, preprocessFromOptions, usageError } from './cli/options.js';
import { DEFAULTS, EXECUTION_PROVIDERS, type ExecutionProviderName } from './config/defaults.js';
import { describeError, exitCodeFor, isLookoutError } from './core/errors.js';
import { Logger } from './core/logger.js';
import { parseCnnSize } from './models/train/architecture.js';
import { DEFAULT_TRAIN_SETTINGS } from './models/train/train-settings.js';
import type { TrainArchitecture } from './pipeline/train.js';

function usage(message: string): never {
  throw usageError(message);
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
  const parsed = parseCommandLine(argv);
  const out = (line: string) => process.stdout.write(line + '\n');
  if (parsed.kind === 'version') {
    out((await import('./core/version.js')).LOOKOUT_VERSION);
    return 0;
  }
  if (parsed.kind === 'help' || parsed.kind === 'none') {
    out(parsed.kind === 'help' && parsed.command ? commandHelp(parsed.command) : helpText());
    return parsed.kind === 'help' ? 0 : 2;
  }
  const { command, positionals: rest } = parsed;
  const values = parsed.values as Partial<Record<string, string>> & Partial<Record<'json' | 'print' | 'verbose', boolean>>;
  const logger = new Logger({ level: values.verbose ? 'debug' : 'info', json: false });
  switch (command) {
    case 'detect': {
      if (rest.length === 0) usage('detect: name at least one image or video file');
      if (!values.model) usage('detect: --model PATH|NAME is required');
      const { detectCommand } = await import('./cli/detect.js');
      const detected = await detectCommand({
        files: rest,
        model: values.model,
        adapter: values.adapter,
        labels: values.labels,
        preprocess: preprocessFromOptions(values),
        threshold: numberOption('threshold', values.threshold, DEFAULTS.model.threshold, (v) => v >= 0 && v <= 1, 'a number from 0 to 1'),
        iou: numberOption('iou', values.iou, DEFAULTS.model.iou, (v) => v >= 0 && v <= 1, 'a number from 0 to 1'),
        providers: providersOption(values.providers),
        batch: numberOption('batch', values.batch, DEFAULTS.model.batch.maxSize, (v) => Number.isInteger(v) && v >= 1 && v <= 64, 'an integer from 1 to 64'),
        registry: { from: values.from },
        logger,
      });
      // each unreadable image already said so in one line; the exit code says the run was not clean
      return detected.unreadable > 0 ? 1 : 0;
    }
    case 'eval': {
      if (rest.length > 0) usage(`eval: unexpected argument ${JSON.stringify(rest[0])} (the dataset goes in --dataset SPEC)`);
      if (!values.model) usage('eval: --model PATH|NAME is required');
      if (!values.dataset) usage('eval: --dataset SPEC is required (mnist:DIR, coco:ANNOTATIONS.json[:IMAGES_DIR] or a directory with one sub-folder per class)');
      const { evalCommand } = await import('./cli/eval.js');
      await evalCommand({
        model: values.model,
        adapter: values.adapter,
        labels: values.labels,
        preprocess: preprocessFromOptions(values),
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
      const { TRAIN_ARCHITECTURES } = await import('./pipeline/train.js');
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
      const { trainCommand } = await import('./cli/train.js');
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
        registry: { from: values.from },
      });
      return 0;
    }
    case 'run':
      if (!values.config) usage('run: -c FILE is required');
      return (await import('./cli/run.js')).runCommand({ configFile: values.config, json: values.json ?? false, verbose: values.verbose ?? false, registry: { from: values.from } });
    case 'demo':
      return (await import('./cli/demo.js')).demoCommand({
        port: numberOption('port', values.port, 8080, (v) => Number.isInteger(v) && v >= 0 && v <= 65535, 'a port number'),
        mqttPort: numberOption('mqtt-port', values['mqtt-port'], 1883, (v) => Number.isInteger(v) && v >= 0 && v <= 65535, 'a port number'),
        registry: { from: values.from },
        logger,
        write: out,
      });
    case 'validate':
      if (!values.config) usage('validate: -c FILE is required');
      return (await import('./cli/validate.js')).validateCommand(values.config, { print: values.print ?? false, json: values.json ?? false, write: out });
    case 'models': {
      const [sub, name] = rest;
      const { modelsListCommand, modelsPullCommand } = await import('./cli/models.js');
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
      // the code last, so the line still reads as a sentence and can be looked up in docs/errors.md
      process.stderr.write(`lookout: ${err.message} (${err.code})\n`);
      if (verbose && err.stack) process.stderr.write(err.stack + '\n');
      process.exitCode = exitCodeFor(err.code);
    } else {
      process.stderr.write(`lookout: ${describeError(err)} (LOOKOUT_ERR_INTERNAL)\n`);
      if (verbose && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
      process.exitCode = 1;
    }
  },
);
