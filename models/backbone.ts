// The frozen backbone that heads trained on the box stand on: MobileNetV2-1.0 int8 from the registry, with its pooled
// 1280-d vector added as a graph output. The file has that vector only as `464_quantized` (uint8, the output of the
// global average pool); onnxruntime cannot add outputs to a loaded model, so the graph itself is edited (with the
// onnx-proto schema, never by hand): DequantizeLinear(464_quantized, 464_scale, 464_zero_point) → Flatten(axis 1) →
// `features` [N, 1280]. The edit is made once per backbone SHA-256 and cached beside the registry's copy; every
// consumer loads the cached file.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { onnx as OnnxNamespace } from 'onnx-proto';
import { LookoutError, describeError } from '../core/errors.js';
import { floatValue, node, onnxSchema } from './onnx/onnx-graph.js';
import { cacheDir, findAsset, resolveAsset, type ResolveOptions } from './registry.js';
import { writeFileAtomic } from './write-file-atomic.js';

/** What the backbone takes and gives, from SOURCES.md (checked against the Model Zoo's reference preprocessing). */
export const BACKBONE = Object.freeze({
  registryName: 'mobilenetv2-int8',
  input: 'input',
  width: 224,
  height: 224,
  /** ImageNet statistics of RGB in 0..1 */
  mean: Object.freeze([0.485, 0.456, 0.406]),
  std: Object.freeze([0.229, 0.224, 0.225]),
  /** the ImageNet logits, left as they are by the edit */
  output: 'output',
  features: 'features',
  featureSize: 1280,
  /** the pooled vector inside the graph, and its quantisation parameters */
  pooled: '464_quantized',
  pooledScale: '464_scale',
  pooledZeroPoint: '464_zero_point',
});

/** Decodes ONNX bytes (protobufjs). */
export function decodeModel(bytes: Uint8Array): OnnxNamespace.ModelProto {
  return onnxSchema().ModelProto.decode(bytes);
}

/** Adds the `features` output to the backbone's graph; everything else stays as it was. */
export function addFeaturesOutput(bytes: Uint8Array): Uint8Array {
  const model = decodeModel(bytes);
  const graph = model.graph as OnnxNamespace.GraphProto | null;
  if (!graph) throw new LookoutError('LOOKOUT_ERR_MODEL_SHAPE', 'backbone: the ONNX file has no graph');
  const produced = new Set(graph.node.flatMap((n) => n.output));
  const initializers = new Set(graph.initializer.map((t) => t.name));
  if (!produced.has(BACKBONE.pooled) || !initializers.has(BACKBONE.pooledScale) || !initializers.has(BACKBONE.pooledZeroPoint)) {
    throw new LookoutError('LOOKOUT_ERR_MODEL_SHAPE', `backbone: the graph has no ${BACKBONE.pooled} with ${BACKBONE.pooledScale}/${BACKBONE.pooledZeroPoint}; it is not the MobileNetV2 int8 file the registry names`);
  }
  if (graph.output.some((o) => o.name === BACKBONE.features)) return bytes;
  const pooled = `${BACKBONE.features}_pooled`;
  graph.node.push(
    onnxSchema().NodeProto.create(node('DequantizeLinear', [BACKBONE.pooled, BACKBONE.pooledScale, BACKBONE.pooledZeroPoint], [pooled])),
    onnxSchema().NodeProto.create(node('Flatten', [pooled], [BACKBONE.features], { axis: { int: 1 } })),
  );
  graph.output.push(onnxSchema().ValueInfoProto.create(floatValue(BACKBONE.features, ['batch_size', BACKBONE.featureSize])));
  const err = onnxSchema().ModelProto.verify(model);
  if (err) throw new Error(`backbone: the edited model does not fit the ONNX schema: ${err}`);
  return onnxSchema().ModelProto.encode(model).finish();
}

/**
 * Runs the original and the edited graph on the same input and throws unless `output` is bit-identical (the edit must
 * only add, never change). Returns the features the edited graph gave, for callers that want to look at them.
 */
export async function checkOutputUnchanged(original: string | Uint8Array, edited: string | Uint8Array, input: Float32Array, batch: number): Promise<Float32Array> {
  const dims = [batch, 3, BACKBONE.height, BACKBONE.width];
  const run = async (model: string | Uint8Array) => {
    const session = typeof model === 'string' ? await ort.InferenceSession.create(model, { intraOpNumThreads: 1 }) : await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
    try {
      return await session.run({ [BACKBONE.input]: new ort.Tensor('float32', input, dims) });
    } finally {
      await session.release();
    }
  };
  const before = await run(original);
  const after = await run(edited);
  const a = before[BACKBONE.output]!.data as Float32Array;
  const b = after[BACKBONE.output]!.data as Float32Array;
  if (a.length !== b.length) throw new LookoutError('LOOKOUT_ERR_MODEL_SHAPE', `backbone edit changed ${BACKBONE.output}: ${a.length} values became ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) throw new LookoutError('LOOKOUT_ERR_MODEL_SHAPE', `backbone edit changed ${BACKBONE.output}[${i}]: ${a[i]} became ${b[i]}`);
  }
  const features = after[BACKBONE.features];
  if (!features || features.dims[1] !== BACKBONE.featureSize) throw new LookoutError('LOOKOUT_ERR_MODEL_SHAPE', `backbone edit: no ${BACKBONE.features} [N, ${BACKBONE.featureSize}] output`);
  return features.data as Float32Array;
}

/** A fixed, seeded test picture: values spread over the normalised range, the same on every run. */
export function probeInput(batch: number): Float32Array {
  const out = new Float32Array(batch * 3 * BACKBONE.width * BACKBONE.height);
  let s = 0x9e3779b9;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    out[i] = (s / 0x100000000) * 4 - 2;
  }
  return out;
}

export interface Backbone {
  /** the registry's verified file */
  original: string;
  /** the edited file with `features` (cached) */
  path: string;
  sha256: string;
}

/**
 * The backbone with its `features` output: the registry's verified file, edited once and cached as
 * `<cache>/mobilenetv2-12-int8.features-<sha12>.onnx`. The edited file is checked (original `output` unchanged) before
 * it is written, and written atomically, so a cached file is always a checked one.
 */
export async function resolveBackbone(options: ResolveOptions = {}): Promise<Backbone> {
  const entry = findAsset(BACKBONE.registryName, options.entries);
  if (!entry) throw new LookoutError('LOOKOUT_ERR_REGISTRY', `${BACKBONE.registryName} is not in the registry`);
  const original = await resolveAsset(BACKBONE.registryName, options);
  const dir = options.cacheDir ?? cacheDir(options.env ?? process.env);
  const path = join(dir, `${entry.file.replace(/\.onnx$/, '')}.features-${entry.sha256.slice(0, 12)}.onnx`);
  if (!existsSync(path)) {
    const bytes = await readFile(original);
    let edited: Uint8Array;
    try {
      edited = addFeaturesOutput(bytes);
      await checkOutputUnchanged(bytes, edited, probeInput(2), 2);
    } catch (err) {
      if (err instanceof LookoutError) throw err;
      throw new LookoutError('LOOKOUT_ERR_MODEL_SHAPE', `backbone: adding the ${BACKBONE.features} output failed: ${describeError(err)}`, { cause: err });
    }
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(path, edited);
  }
  return { original, path, sha256: entry.sha256 };
}
