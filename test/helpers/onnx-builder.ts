// Moved to models/onnx-graph-builder.js so production-side code (bench, demo) can use it without importing test/; re-exported for the tests.
export { attr, encodeVarint, buildModel, floatTensor, int64Tensor } from '../../models/onnx-graph-builder.js';
export type { ElemType, Dim, ValueInfoSpec, TensorData, TensorSpec, TypedAttr, AttrValue, NodeSpec, ModelSpec } from '../../models/onnx-graph-builder.js';
