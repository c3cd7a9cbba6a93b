// The Teach page's Train button: `train --arch head` on a collect folder, in this process. The folder holds
// `unlabelled/` and class folders the user may have made but not filled yet, which the eval loader would read as
// classes; so training reads a view of it instead: a hidden staging folder beside them (`.train-view-*`, skipped as a
// class by the loader) of symbolic links, one per labelled crop, in the non-empty class folders. The view is removed
// afterwards; the model, its labels and card are written atomically by train-head.ts, or not at all.
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { LookoutError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { TeachTrain, TeachTrainResult } from '../core/teach.js';
import type { ResolveOptions } from '../models/registry.js';
import type { ClassificationJson } from './eval/report.js';
import { IMAGE_EXTENSIONS } from './eval/folder.js';
import { trainHeadModel } from './train-head.js';
import { UNLABELLED as UNLABELLED_FOLDER } from '../sinks/collect/collect-store.js';

export interface TeachTrainOptions {
  /** where models go (`lookout train`'s default: `<cache>/models`) */
  outDir: string;
  lookoutVersion: string;
  logger: Logger;
  registry?: ResolveOptions;
  seed?: number;
  testSplit?: number;
  validationSplit?: number;
}

export function teachTrainer(opts: TeachTrainOptions): TeachTrain {
  return async ({ dataset, name, onProgress, signal }) => {
    const root = resolve(dataset);
    const view = await mkdtemp(join(root, '.train-view-'));
    try {
      const left: string[] = [];
      for (const e of (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== UNLABELLED_FOLDER)) {
        const images = (await readdir(join(root, e.name))).filter((f) => !f.startsWith('.') && IMAGE_EXTENSIONS.includes(extname(f).toLowerCase()));
        if (images.length === 0) {
          left.push(e.name);
          continue;
        }
        await mkdir(join(view, e.name));
        for (const f of images) await symlink(join(root, e.name, f), join(view, e.name, f));
      }
      if (left.length > 0) onProgress({ phase: 'prepare', message: `left out (no examples yet): ${left.join(', ')}` });
      const r = await trainHeadModel({
        dataset: view,
        name,
        outDir: opts.outDir,
        seed: opts.seed ?? 1,
        testSplit: opts.testSplit ?? 0.2,
        validationSplit: opts.validationSplit ?? 0.1,
        lookoutVersion: opts.lookoutVersion,
        logger: opts.logger,
        registry: opts.registry,
        signal,
        onProgress: (p) => {
          if (p.kind === 'load') onProgress({ phase: 'load', done: p.done, total: p.total });
          else if (p.kind === 'check') onProgress({ phase: 'check' });
        },
      }).catch((err: unknown) => {
        // the messages name the staging view; the user knows the folder they collected into
        if (err instanceof LookoutError) throw new LookoutError(err.code, err.message.split(view).join(root), { cause: err });
        throw err;
      });
      const m = r.card.metrics as ClassificationJson;
      const result: TeachTrainResult = {
        name,
        files: { model: r.files.model, labels: r.files.labels, card: r.files.card },
        wallSeconds: r.wallSeconds,
        classes: r.card.classes.map((c) => ({ name: c.name, train: c.train + c.validation, test: c.test })),
        metrics: {
          accuracy: m.accuracy,
          correct: m.correct,
          macro: m.macro,
          classes: m.classes.map((c) => ({ label: c.label, precision: c.precision, recall: c.recall, f1: c.f1, support: c.support })),
          confusion: m.confusion,
        },
      };
      return result;
    } finally {
      await rm(view, { recursive: true, force: true });
    }
  };
}
