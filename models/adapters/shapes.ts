// Shape checks shared by the adapters, so every mismatch is reported the same way: adapter, tensor, expected, got.
import { LookoutError } from '../../core/errors.js';
import type { AdapterOptions, ModelIO, OutputTensor, TensorInfo } from '../adapter.js';

export function shapeError(adapter: string, message: string): LookoutError {
  return new LookoutError('LOOKOUT_ERR_MODEL_SHAPE', `${adapter}: ${message}`);
}

/** `[1,3,?,?]`: dynamic dimensions show as `?`. */
export function formatDims(dims: readonly number[]): string {
  return `[${dims.map((d) => (d >= 0 ? String(d) : '?')).join(',')}]`;
}

/** True when a declared dimension is fixed (onnxruntime reports a dynamic one as -1). */
export function isFixed(dim: number | undefined): dim is number {
  return dim !== undefined && dim >= 0;
}

export interface ImageInput {
  name: string;
  channels: number;
  width: number;
  height: number;
}

export interface ImageInputExpectation {
  /** channel counts the adapter can feed */
  channels: readonly number[];
  /** size to use when the model's spatial dims are dynamic and the options name none; absent = the options must */
  width?: number;
  height?: number;
}

function spatialSize(adapter: string, input: TensorInfo, axis: 'width' | 'height', dim: number, wanted: number | undefined, fallback: number | undefined): number {
  const option = axis === 'width' ? 'inputWidth' : 'inputHeight';
  if (isFixed(dim)) {
    if (wanted !== undefined && wanted !== dim) {
      throw shapeError(adapter, `input "${input.name}" ${formatDims(input.dims)} has a fixed ${axis} of ${dim}, but ${option} is ${wanted}`);
    }
    return dim;
  }
  const size = wanted ?? fallback;
  if (!(size !== undefined && Number.isInteger(size) && size > 0)) {
    throw shapeError(adapter, `input "${input.name}" ${formatDims(input.dims)} has a dynamic ${axis}; set ${option} to a positive integer`);
  }
  return size;
}

/** The one NCHW image input an adapter feeds, with its size resolved (fixed by the model, or from the options). */
export function imageInput(adapter: string, io: ModelIO, options: AdapterOptions, expect: ImageInputExpectation): ImageInput {
  if (io.inputs.length !== 1) {
    throw shapeError(adapter, `expected one image input, got ${io.inputs.length} (${io.inputs.map((i) => i.name).join(', ') || 'none'})`);
  }
  const input = io.inputs[0]!;
  const dims = input.dims;
  const channelText = expect.channels.join(' or ');
  if (dims.length !== 4) {
    throw shapeError(adapter, `input "${input.name}": expected rank 4 [N,${channelText},H,W], got ${formatDims(dims)}`);
  }
  const channels = dims[1]!;
  if (!expect.channels.includes(channels)) {
    throw shapeError(adapter, `input "${input.name}": expected ${channelText} channels [N,${channelText},H,W], got ${formatDims(dims)}`);
  }
  const height = spatialSize(adapter, input, 'height', dims[2]!, options.inputHeight, expect.height);
  const width = spatialSize(adapter, input, 'width', dims[3]!, options.inputWidth, expect.width);
  return { name: input.name, channels, width, height };
}

/** The output named `name` if there is one, else the first of rank `rank`. */
export function pickOutput(adapter: string, io: ModelIO, rank: number, name?: string): TensorInfo {
  const byName = name === undefined ? undefined : io.outputs.find((o) => o.name === name);
  const found = byName ?? io.outputs.find((o) => o.dims.length === rank);
  if (!found) {
    const got = io.outputs.map((o) => `"${o.name}" ${formatDims(o.dims)}`).join(', ') || 'none';
    throw shapeError(adapter, `expected ${name === undefined ? 'an' : `output "${name}" or an`} output of rank ${rank}, got ${got}`);
  }
  return found;
}

/**
 * The raw output `name`, checked to hold batch item `index` and as many values as its dims say.
 * Adapters then check the per-item dims against their layout.
 */
export function batchOutput(adapter: string, outputs: Readonly<Record<string, OutputTensor>>, name: string, index: number): OutputTensor {
  const tensor = outputs[name];
  if (!tensor) throw shapeError(adapter, `output "${name}" is missing from the results (got ${Object.keys(outputs).join(', ') || 'none'})`);
  const dims = tensor.dims;
  let size = 1;
  for (const d of dims) size *= d;
  if (dims.length === 0 || size !== tensor.data.length) {
    throw shapeError(adapter, `output "${name}": dims ${formatDims(dims)} do not match its ${tensor.data.length} values`);
  }
  if (!(Number.isInteger(index) && index >= 0 && index < dims[0]!)) {
    throw new RangeError(`index: batch item ${index} is outside output "${name}" ${formatDims(dims)}`);
  }
  return tensor;
}
