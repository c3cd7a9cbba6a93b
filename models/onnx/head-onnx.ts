// A head trained on backbone features, exported together with the backbone as ONE ONNX file the `classifier` adapter
// serves with its defaults: input `image` [N, 3, 224, 224], RGB in 0..1 (the adapter's default scaling), the ImageNet
// normalisation done inside the graph, then the backbone up to its `features`, then Gemm (the head) and Softmax →
// `probabilities` [N, K]. The backbone's own ImageNet classifier nodes are pruned, so nothing runs that is not needed.
import type { onnx as OnnxNamespace } from 'onnx-proto';
import { BACKBONE, addFeaturesOutput, decodeModel } from '../backbone.js';
import { floatTensor, floatValue, node, onnxSchema, type ModelMeta } from './onnx-graph.js';

export const HEAD_INPUT = 'image';
export const HEAD_OUTPUT = 'probabilities';

/** A linear head: logits = W·x + b, W row-major [classes × features]. */
export interface LinearHead {
  classes: number;
  features: number;
  weights: Float32Array;
  bias: Float32Array;
}

export function headToOnnx(backboneBytes: Uint8Array, head: LinearHead, meta: ModelMeta): Uint8Array {
  if (head.features !== BACKBONE.featureSize) throw new RangeError(`head.features: the backbone gives ${BACKBONE.featureSize}, got ${head.features}`);
  if (head.weights.length !== head.classes * head.features || head.bias.length !== head.classes) throw new RangeError('head: weights/bias do not match classes × features');
  const model = decodeModel(addFeaturesOutput(backboneBytes));
  const graph = model.graph as OnnxNamespace.GraphProto;
  const normalised = BACKBONE.input;
  const extra: OnnxNamespace.INodeProto[] = [
    node('Sub', [HEAD_INPUT, 'head_mean'], ['head_centred']),
    node('Div', ['head_centred', 'head_std'], [normalised]),
  ];
  const tail: OnnxNamespace.INodeProto[] = [
    node('Gemm', [BACKBONE.features, 'head_weights', 'head_bias'], ['head_logits'], { transB: { int: 1 } }),
    node('Softmax', ['head_logits'], [HEAD_OUTPUT], { axis: { int: 1 } }),
  ];
  const nodes = [...extra, ...graph.node, ...tail];
  // keep only what `probabilities` needs: walk back from it
  const producer = new Map<string, OnnxNamespace.INodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) producer.set(o, n);
  const needed = new Set<OnnxNamespace.INodeProto>();
  const tensors = new Set<string>();
  const stack = [HEAD_OUTPUT];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (tensors.has(t)) continue;
    tensors.add(t);
    const n = producer.get(t);
    if (n && !needed.has(n)) {
      needed.add(n);
      for (const i of n.input ?? []) if (i !== '') stack.push(i);
    }
  }
  graph.node = nodes.filter((n) => needed.has(n)).map((n) => onnxSchema().NodeProto.create(n));
  graph.initializer = [
    ...graph.initializer.filter((t) => tensors.has(t.name ?? "")),
    onnxSchema().TensorProto.create(floatTensor('head_mean', [1, 3, 1, 1], Float32Array.from(BACKBONE.mean))),
    onnxSchema().TensorProto.create(floatTensor('head_std', [1, 3, 1, 1], Float32Array.from(BACKBONE.std))),
    onnxSchema().TensorProto.create(floatTensor('head_weights', [head.classes, head.features], head.weights)),
    onnxSchema().TensorProto.create(floatTensor('head_bias', [head.classes], head.bias)),
  ];
  graph.valueInfo = graph.valueInfo.filter((v) => tensors.has(v.name ?? "") && v.name !== normalised);
  graph.input = [onnxSchema().ValueInfoProto.create(floatValue(HEAD_INPUT, ['batch_size', 3, BACKBONE.height, BACKBONE.width]))];
  graph.output = [onnxSchema().ValueInfoProto.create(floatValue(HEAD_OUTPUT, ['batch_size', head.classes]))];
  graph.name = 'lookout_head';
  model.producerName = 'lookout';
  model.producerVersion = meta.producerVersion;
  model.docString = meta.docString;
  model.metadataProps = Object.entries(meta.properties ?? {}).map(([key, value]) => onnxSchema().StringStringEntryProto.create({ key, value }));
  const err = onnxSchema().ModelProto.verify(model);
  if (err) throw new Error(`head export does not fit the ONNX schema: ${err}`);
  return onnxSchema().ModelProto.encode(model).finish();
}
