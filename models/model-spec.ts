// Turns the model part of a config (a path or registry name, an adapter, a labels file) into what the detector loads.
import { readFile } from 'node:fs/promises';
import { LookoutError } from '../core/errors.js';
import { ADAPTER_NAMES } from './adapters/index.js';
import { resolvePreprocess, type Preprocess, type PreprocessSettings } from '../config/preprocess.js';
import { parseLabels } from './labels.js';
import { findAsset, isRegistryName, resolveAsset, resolveModelPath, type ResolveOptions } from './registry.js';

export interface ModelRef {
  /** a file path or a registry name (`yolox-nano`) */
  path: string;
  adapter?: string;
  /** a labels file (one class a line) or a registry name (`coco-names`) */
  labels?: string;
  /** classifiers: a preset and overrides (config `model.preprocess`, or the command line) */
  preprocess?: PreprocessSettings;
}

export interface ResolvedModel {
  modelPath: string;
  adapter: string;
  labels: string[];
  /** classifiers only: the complete input recipe (the user's settings over the registry entry's preset) */
  preprocess?: Preprocess;
}

export async function resolveModel(ref: ModelRef, opts: ResolveOptions = {}): Promise<ResolvedModel> {
  const entry = findAsset(ref.path, opts.entries);
  if (entry && entry.kind !== 'model') throw new LookoutError('LOOKOUT_ERR_REGISTRY', `${ref.path} is a ${entry.kind} asset, not a model`);
  const adapter = ref.adapter ?? entry?.adapter;
  // a file that does not exist is the real cause: say so before asking for its adapter
  if (!adapter && !entry) await resolveModelPath(ref.path, opts);
  if (!adapter) {
    throw new LookoutError('LOOKOUT_ERR_ADAPTER', `model ${ref.path}: name its adapter (one of ${ADAPTER_NAMES.join(', ')}) with --adapter or model.adapter`);
  }
  if (ref.preprocess !== undefined && adapter !== 'classifier') {
    throw new LookoutError('LOOKOUT_ERR_ADAPTER', `model ${ref.path}: preprocess settings apply to the classifier adapter only, not ${adapter}`);
  }
  let preprocess: Preprocess | undefined;
  try {
    if (adapter === 'classifier') preprocess = resolvePreprocess(ref.preprocess, entry?.preprocess);
  } catch (err) {
    throw new LookoutError('LOOKOUT_ERR_CONFIG', `model ${ref.path}: ${(err as Error).message}`);
  }
  const modelPath = await resolveModelPath(ref.path, opts);
  let labels: string[] = [];
  if (ref.labels !== undefined) labels = await readLabels(ref.labels, opts);
  else if (typeof entry?.labels === 'string') labels = await readLabels(entry.labels, opts);
  else if (Array.isArray(entry?.labels)) labels = [...entry.labels];
  return preprocess !== undefined ? { modelPath, adapter, labels, preprocess } : { modelPath, adapter, labels };
}

async function readLabels(pathOrName: string, opts: ResolveOptions): Promise<string[]> {
  const file = isRegistryName(pathOrName, opts.entries) ? await resolveAsset(pathOrName, opts) : pathOrName;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new LookoutError('LOOKOUT_ERR_LABELS', `cannot read labels ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const labels = parseLabels(text);
  if (labels.length === 0) throw new LookoutError('LOOKOUT_ERR_LABELS', `labels ${file} is empty`);
  return labels;
}
