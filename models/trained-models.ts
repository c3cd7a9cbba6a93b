// Where a classifier named in config or in `POST /api/classify?model=NAME` is found: a path to an .onnx file (its
// labels beside it as NAME.labels.txt, the layout `lookout train` writes), or the bare NAME of a model `lookout train`
// wrote to its default folder (<cache>/models). One rule for cameras, validate and the API.
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LookoutError } from '../core/errors.js';
import { parseLabels } from './labels.js';
import { cacheDir } from './registry.js';

type Env = Record<string, string | undefined>;

/** Where `lookout train` puts models unless --out says otherwise, and where bare names are looked up. */
export function trainedModelsDir(env: Env = process.env): string {
  return join(cacheDir(env), 'models');
}

/** A bare model name: what `lookout train --name` accepts as a file name, no folder, no extension. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function isModelName(ref: string): boolean {
  return NAME.test(ref) && !/\.onnx$/i.test(ref);
}

export interface ClassifierFiles {
  modelPath: string;
  labelsPath: string;
}

/** The files a reference names (nothing is read): a bare name is `<modelsDir>/NAME.onnx`. */
export function classifierFiles(ref: string, modelsDir: string): ClassifierFiles {
  const modelPath = isModelName(ref) ? join(modelsDir, `${ref}.onnx`) : ref;
  const stem = basename(modelPath).replace(/\.onnx$/i, '');
  return { modelPath, labelsPath: join(dirname(modelPath), `${stem}.labels.txt`) };
}

/** What is wrong with a reference, in words, or undefined when both files are there. */
export async function classifierProblem(ref: string, modelsDir: string): Promise<string | undefined> {
  const files = classifierFiles(ref, modelsDir);
  const named = isModelName(ref) ? `no trained model named ${ref} in ${modelsDir} (train one with lookout train --name ${ref}, or give the path of an .onnx file)` : `no such file: ${ref}`;
  if (!(await isFile(files.modelPath))) return named;
  if (!(await isFile(files.labelsPath))) return `${files.modelPath} has no labels file beside it (${files.labelsPath})`;
  return undefined;
}

export interface ClassifierModel extends ClassifierFiles {
  labels: string[];
}

/** The model file and its labels; LOOKOUT_ERR_MODEL_LOAD / LOOKOUT_ERR_LABELS naming what is missing. */
export async function loadClassifierModel(ref: string, modelsDir: string): Promise<ClassifierModel> {
  const problem = await classifierProblem(ref, modelsDir);
  const files = classifierFiles(ref, modelsDir);
  if (problem) throw new LookoutError(problem.includes('labels') ? 'LOOKOUT_ERR_LABELS' : 'LOOKOUT_ERR_MODEL_LOAD', problem);
  const labels = parseLabels(await readFile(files.labelsPath, 'utf8'));
  if (labels.length < 2) throw new LookoutError('LOOKOUT_ERR_LABELS', `${files.labelsPath}: a classifier needs at least 2 labels, found ${labels.length}`);
  return { ...files, labels };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
