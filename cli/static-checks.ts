// What `lookout run` would refuse before opening a camera, checked without running anything, so that `validate`
// passes exactly what `run` accepts: binding beyond loopback without auth, the model file, its adapter, the labels,
// classifier preprocessing (its values are checked by the schema, config/preprocess.ts; here, that the adapter takes it),
// and the classifiers the cameras name.
import { stat } from 'node:fs/promises';
import { ADAPTER_NAMES } from '../config/defaults.js';
import type { Config } from '../config/types.js';
import { findAsset, isRegistryName } from '../models/registry.js';
import { bindProblem } from '../sinks/http/auth.js';
import { classifierProblem, trainedModelsDir } from '../models/trained-models.js';

/** One line per problem, each naming its config path; the real cause first (a missing file before its adapter). */
export async function staticProblems(config: Config): Promise<string[]> {
  const problems: string[] = [];
  const { model } = config;
  const entry = findAsset(model.path);
  if (entry === undefined) {
    const missing = await fileProblem(model.path);
    if (missing) problems.push(`model.path: ${missing}`);
    if (model.adapter === undefined) problems.push(`model.adapter: a model file needs its adapter (one of ${ADAPTER_NAMES.join(', ')}); only registry names imply one`);
  } else if (entry.kind !== 'model') {
    problems.push(`model.path: ${model.path} is a ${entry.kind} asset, not a model`);
  }
  const adapter = model.adapter ?? (entry?.kind === 'model' ? entry.adapter : undefined);
  if (model.preprocess !== undefined && adapter !== undefined && adapter !== 'classifier') {
    problems.push(`model.preprocess: applies to the classifier adapter only, and this model's adapter is ${adapter}`);
  }
  if (model.labels !== undefined && !isRegistryName(model.labels)) {
    const missing = await fileProblem(model.labels);
    if (missing) problems.push(`model.labels: ${missing}`);
  }
  // the classifiers cameras name (sub-labels, states): a trained model's name or an .onnx path with labels beside it
  const modelsDir = trainedModelsDir();
  for (const c of config.cameras) {
    if (!c.enabled) continue;
    for (const [label, e] of Object.entries(c.classify)) {
      if (!c.objects.track.includes(label)) problems.push(`cameras.${c.name}.classify.${label}: the camera does not track ${label} (objects.track: ${c.objects.track.join(', ')})`);
      const p = await classifierProblem(e.model, modelsDir);
      if (p) problems.push(`cameras.${c.name}.classify.${label}.model: ${p}`);
    }
    for (const [name, st] of Object.entries(c.states)) {
      const p = st.model === undefined ? undefined : await classifierProblem(st.model, modelsDir);
      if (p) problems.push(`cameras.${c.name}.states.${name}.model: ${p}`);
    }
  }
  if (config.http) {
    const p = bindProblem(config.http.host, config.http.auth);
    if (p) problems.push(p);
  } else if (config.websocket) {
    const p = bindProblem(config.websocket.host, config.websocket.auth, 'websocket');
    if (p) problems.push(p);
  }
  return problems;
}

async function fileProblem(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? undefined : `${path} is not a file`;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${(err as Error).message}`;
  }
}
