// Builds ONNX models in memory, so tests (and benchmarks) know every weight and therefore every expected output exactly.
// A hand-written protobuf writer needs no onnx/protobuf dependency; ONNX needs only varints,
// fixed32 floats and length-delimited fields. Field numbers follow onnx/onnx.proto (proto2, so repeated scalars are
// written unpacked, the encoding every proto2 and proto3 parser accepts).

export type ElemType = 'float' | 'uint8' | 'int32' | 'int64' | 'bool';
/** A number is a fixed size; a string is a symbolic (dynamic) dimension such as `'batch'`. */
export type Dim = number | string;

export interface ValueInfoSpec {
  name: string;
  elemType: ElemType;
  dims: readonly Dim[];
}

export type TensorData = Float32Array | Int32Array | BigInt64Array | Uint8Array;

export interface TensorSpec {
  name: string;
  dims: readonly number[];
  data: TensorData;
  /** only to mark a Uint8Array as `bool`; otherwise inferred from the array type */
  elemType?: ElemType;
}

export type TypedAttr =
  | { type: 'float'; value: number }
  | { type: 'floats'; value: readonly number[] }
  | { type: 'int'; value: number | bigint }
  | { type: 'ints'; value: readonly (number | bigint)[] }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: TensorSpec };

/**
 * A plain integer is INT and a plain non-integer FLOAT; an array of integers is INTS, otherwise FLOATS. When the
 * inference is wrong (a float attribute that happens to be 1), say it with `attr.float(1)`.
 */
export type AttrValue = number | bigint | string | readonly number[] | TypedAttr;

export const attr = {
  float: (value: number): TypedAttr => ({ type: 'float', value }),
  floats: (value: readonly number[]): TypedAttr => ({ type: 'floats', value }),
  int: (value: number | bigint): TypedAttr => ({ type: 'int', value }),
  ints: (value: readonly (number | bigint)[]): TypedAttr => ({ type: 'ints', value }),
  string: (value: string): TypedAttr => ({ type: 'string', value }),
  tensor: (value: TensorSpec): TypedAttr => ({ type: 'tensor', value }),
} as const;

export interface NodeSpec {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  /** defaults to `<op>_<index>` */
  name?: string;
  attrs?: Readonly<Record<string, AttrValue>>;
}

export interface ModelSpec {
  /** default 13: ReduceMax/ReduceMin take `axes` as an attribute there, Unsqueeze takes it as an input */
  opset?: number;
  /** default 8 (what onnxruntime 1.14+ accepts for opset 13) */
  irVersion?: number;
  producer?: string;
  graphName?: string;
  inputs: readonly ValueInfoSpec[];
  outputs: readonly ValueInfoSpec[];
  initializers?: readonly TensorSpec[];
  nodes: readonly NodeSpec[];
}

const DATA_TYPE: Record<ElemType, number> = { float: 1, uint8: 2, int32: 6, int64: 7, bool: 9 };
const ATTR_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;
const WIRE = { VARINT: 0, LEN: 2, FIXED32: 5 } as const;

/** Encodes an integer as a protobuf varint; negatives take 10 bytes (two's complement int64), as protobuf does. */
export function encodeVarint(value: number | bigint): Uint8Array {
  const out: number[] = [];
  pushVarint(out, toBigInt(value, 'value'));
  return Uint8Array.from(out);
}

function toBigInt(value: number | bigint, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (!Number.isSafeInteger(value)) throw new RangeError(`${what} must be a safe integer, got ${value}`);
  return BigInt(value);
}

function pushVarint(out: number[], value: bigint): void {
  let v = BigInt.asUintN(64, value);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

/** Collects chunks and concatenates once, so nested messages are not copied per level more than once. */
class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;
  private static readonly encoder = new TextEncoder();

  private push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  private tag(field: number, wire: number): void {
    this.push(encodeVarint((field << 3) | wire));
  }

  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE.VARINT);
    this.push(encodeVarint(value));
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE.FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WIRE.LEN);
    this.push(encodeVarint(data.length));
    this.push(data);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, ProtoWriter.encoder.encode(value));
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

function tensorElemType(t: TensorSpec): ElemType {
  const natural: ElemType =
    t.data instanceof Float32Array ? 'float' : t.data instanceof Int32Array ? 'int32' : t.data instanceof BigInt64Array ? 'int64' : 'uint8';
  if (t.elemType === undefined || t.elemType === natural) return natural;
  if (natural === 'uint8' && t.elemType === 'bool') return 'bool';
  throw new TypeError(`tensor ${t.name}: elemType ${t.elemType} does not match its ${t.data.constructor.name}`);
}

/** Little-endian bytes whatever the host order, as ONNX raw_data requires. */
function rawBytes(data: TensorData): Uint8Array {
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  if (data instanceof Float32Array) data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  else if (data instanceof Int32Array) data.forEach((v, i) => view.setInt32(i * 4, v, true));
  else if (data instanceof BigInt64Array) data.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  else out.set(data);
  return out;
}

function writeTensor(w: ProtoWriter, t: TensorSpec): void {
  const count = t.dims.reduce((a, d) => a * d, 1);
  if (t.dims.some((d) => !Number.isInteger(d) || d < 0)) throw new RangeError(`tensor ${t.name}: dims must be non-negative integers, got [${t.dims.join(', ')}]`);
  if (count !== t.data.length) throw new RangeError(`tensor ${t.name}: dims [${t.dims.join(', ')}] hold ${count} elements, data has ${t.data.length}`);
  for (const d of t.dims) w.int(1, d);
  w.int(2, DATA_TYPE[tensorElemType(t)]);
  w.string(8, t.name);
  w.bytes(9, rawBytes(t.data));
}

function writeValueInfo(w: ProtoWriter, v: ValueInfoSpec): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, DATA_TYPE[v.elemType]);
      tensor.message(2, (shape) => {
        for (const d of v.dims) {
          shape.message(1, (dim) => (typeof d === 'string' ? dim.string(2, d) : dim.int(1, d)));
        }
      });
    }),
  );
}

function typedAttr(name: string, value: AttrValue): TypedAttr {
  if (typeof value === 'object' && 'type' in value) return value;
  if (typeof value === 'string') return { type: 'string', value };
  if (typeof value === 'bigint') return { type: 'int', value };
  if (typeof value === 'number') return Number.isInteger(value) ? { type: 'int', value } : { type: 'float', value };
  if (Array.isArray(value)) {
    const list = value as readonly number[];
    return list.every(Number.isInteger) ? { type: 'ints', value: list } : { type: 'floats', value: list };
  }
  throw new TypeError(`attribute ${name}: unsupported value ${String(value)}`);
}

function writeAttribute(w: ProtoWriter, name: string, value: AttrValue): void {
  const a = typedAttr(name, value);
  w.string(1, name);
  switch (a.type) {
    case 'float':
      w.float(2, a.value).int(20, ATTR_TYPE.FLOAT);
      break;
    case 'int':
      w.int(3, toBigInt(a.value, `attribute ${name}`)).int(20, ATTR_TYPE.INT);
      break;
    case 'string':
      w.string(4, a.value).int(20, ATTR_TYPE.STRING);
      break;
    case 'tensor': {
      const t = a.value;
      w.message(5, (tw) => writeTensor(tw, t)).int(20, ATTR_TYPE.TENSOR);
      break;
    }
    case 'floats':
      for (const f of a.value) w.float(7, f);
      w.int(20, ATTR_TYPE.FLOATS);
      break;
    case 'ints':
      for (const i of a.value) w.int(8, toBigInt(i, `attribute ${name}`));
      w.int(20, ATTR_TYPE.INTS);
      break;
  }
}

function writeNode(w: ProtoWriter, n: NodeSpec, index: number): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name ?? `${n.op}_${index}`);
  w.string(4, n.op);
  for (const [name, value] of Object.entries(n.attrs ?? {})) w.message(5, (aw) => writeAttribute(aw, name, value));
}

/** Serialises a model to ONNX protobuf bytes (what `InferenceSession.create(bytes)` or an `.onnx` file holds). */
export function buildModel(spec: ModelSpec): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, spec.irVersion ?? 8);
  w.string(2, spec.producer ?? 'lookout-test');
  w.message(7, (g) => {
    spec.nodes.forEach((n, i) => g.message(1, (nw) => writeNode(nw, n, i)));
    g.string(2, spec.graphName ?? 'graph');
    for (const t of spec.initializers ?? []) g.message(5, (tw) => writeTensor(tw, t));
    for (const v of spec.inputs) g.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of spec.outputs) g.message(12, (vw) => writeValueInfo(vw, v));
  });
  // domain '' is the default ai.onnx operator set
  w.message(8, (o) => o.string(1, '').int(2, spec.opset ?? 13));
  return w.finish();
}

/** Shorthand for initializers: a float tensor (scalar when `dims` is empty). */
export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): TensorSpec {
  return { name, dims, data: Float32Array.from(values) };
}

/** Shorthand for int64 initializers (indices, shapes, axes). */
export function int64Tensor(name: string, dims: readonly number[], values: ArrayLike<number>): TensorSpec {
  return { name, dims, data: BigInt64Array.from(values, (v) => BigInt(v)) };
}
