import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { attr, buildModel, encodeVarint, floatTensor, int64Tensor } from '../helpers/onnx-builder.js';

describe('onnx-builder', () => {
  describe('encodeVarint', () => {
    it('encodes the protobuf reference values', () => {
      assert.deepEqual([...encodeVarint(0)], [0x00]);
      assert.deepEqual([...encodeVarint(1)], [0x01]);
      assert.deepEqual([...encodeVarint(127)], [0x7f]);
      assert.deepEqual([...encodeVarint(128)], [0x80, 0x01]);
      assert.deepEqual([...encodeVarint(300)], [0xac, 0x02]);
      assert.deepEqual([...encodeVarint(2n ** 63n - 1n)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    });

    it('encodes negatives as 10-byte two’s complement, as int64 fields require', () => {
      assert.deepEqual([...encodeVarint(-1)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    });

    it('rejects numbers that are not safe integers', () => {
      assert.throws(() => encodeVarint(1.5), RangeError);
      assert.throws(() => encodeVarint(2 ** 53), RangeError);
    });
  });

  describe('buildModel', () => {
    it('starts with ir_version (field 1, varint) = 8', () => {
      const bytes = buildModel({ inputs: [], outputs: [], nodes: [] });
      assert.deepEqual([...bytes.subarray(0, 2)], [0x08, 0x08]);
    });

    it('gives a model that onnxruntime loads, with symbolic and fixed dims and an initializer', async () => {
      const bytes = buildModel({
        inputs: [{ name: 'x', elemType: 'float', dims: ['n', 3] }],
        outputs: [{ name: 'y', elemType: 'float', dims: ['n', 3] }],
        initializers: [floatTensor('b', [3], [10, 20, 30])],
        nodes: [{ op: 'Add', inputs: ['x', 'b'], outputs: ['y'] }],
      });
      const session = await ort.InferenceSession.create(bytes);
      try {
        const input = session.inputMetadata[0];
        assert.ok(input?.isTensor);
        assert.deepEqual(input.shape, ['n', 3]);
        const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]) });
        assert.deepEqual(out.y?.dims, [2, 3]);
        assert.deepEqual([...(out.y?.data as Float32Array)], [11, 22, 33, 14, 25, 36]);
      } finally {
        await session.release();
      }
    });

    it('writes every attribute type in the form onnxruntime expects', async () => {
      const bytes = buildModel({
        inputs: [{ name: 'x', elemType: 'float', dims: [2] }],
        outputs: [
          { name: 'leaky', elemType: 'float', dims: [2] },
          { name: 'c_float', elemType: 'float', dims: [] },
          { name: 'c_floats', elemType: 'float', dims: [3] },
          { name: 'c_int', elemType: 'int64', dims: [] },
          { name: 'c_ints', elemType: 'int64', dims: [3] },
          { name: 'c_tensor', elemType: 'int64', dims: [2, 2] },
          { name: 'c_string', elemType: 'float', dims: [1, 2, 2, 2] },
          { name: 'reduced', elemType: 'float', dims: [1] },
        ],
        initializers: [floatTensor('img', [1, 8, 1, 1], [0, 1, 2, 3, 4, 5, 6, 7])],
        nodes: [
          // a float attribute whose value is an integer must be marked, or it would be written as INT
          { op: 'LeakyRelu', inputs: ['x'], outputs: ['leaky'], attrs: { alpha: attr.float(2) } },
          { op: 'Constant', inputs: [], outputs: ['c_float'], attrs: { value_float: 0.25 } },
          { op: 'Constant', inputs: [], outputs: ['c_floats'], attrs: { value_floats: [0.5, 1.5, -2.25] } },
          { op: 'Constant', inputs: [], outputs: ['c_int'], attrs: { value_int: -7 } },
          { op: 'Constant', inputs: [], outputs: ['c_ints'], attrs: { value_ints: [1, -2, 3] } },
          { op: 'Constant', inputs: [], outputs: ['c_tensor'], attrs: { value: attr.tensor(int64Tensor('t', [2, 2], [5, 6, 7, 8])) } },
          // a string attribute: the default 'DCR' would give [0, 2, 4, 6, 1, 3, 5, 7], so the output proves 'CRD' was read
          { op: 'DepthToSpace', inputs: ['img'], outputs: ['c_string'], attrs: { blocksize: 2, mode: 'CRD' } },
          { op: 'ReduceMax', inputs: ['x'], outputs: ['reduced'], attrs: { axes: [0], keepdims: 1 } },
        ],
      });
      const session = await ort.InferenceSession.create(bytes);
      try {
        const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([-1, 3]), [2]) });
        const values = (name: string) => Array.from(out[name]?.data as ArrayLike<number | bigint>);
        assert.deepEqual(values('leaky'), [-2, 3]);
        assert.deepEqual(values('c_float'), [0.25]);
        assert.deepEqual(values('c_floats'), [0.5, 1.5, -2.25]);
        assert.deepEqual(values('c_int'), [-7n]);
        assert.deepEqual(values('c_ints'), [1n, -2n, 3n]);
        assert.deepEqual(values('c_tensor'), [5n, 6n, 7n, 8n]);
        assert.deepEqual(out.c_tensor?.dims, [2, 2]);
        assert.deepEqual(values('c_string'), [0, 1, 2, 3, 4, 5, 6, 7]);
        assert.deepEqual(values('reduced'), [3]);
      } finally {
        await session.release();
      }
    });

    it('writes int32, int64 and bool initializers as raw little-endian data', async () => {
      const bytes = buildModel({
        inputs: [],
        outputs: [
          { name: 'i32', elemType: 'int32', dims: [3] },
          { name: 'i64', elemType: 'int64', dims: [2] },
          { name: 'not', elemType: 'bool', dims: [2] },
        ],
        initializers: [
          { name: 'a', dims: [3], data: Int32Array.from([-1, 0, 70000]) },
          { name: 'b', dims: [2], data: BigInt64Array.from([-(2n ** 40n), 2n ** 62n]) },
          { name: 'c', dims: [2], data: Uint8Array.from([1, 0]), elemType: 'bool' },
        ],
        nodes: [
          { op: 'Identity', inputs: ['a'], outputs: ['i32'] },
          { op: 'Identity', inputs: ['b'], outputs: ['i64'] },
          { op: 'Not', inputs: ['c'], outputs: ['not'] },
        ],
      });
      const session = await ort.InferenceSession.create(bytes);
      try {
        const out = await session.run({});
        assert.deepEqual([...(out.i32?.data as Int32Array)], [-1, 0, 70000]);
        assert.deepEqual([...(out.i64?.data as BigInt64Array)], [-(2n ** 40n), 2n ** 62n]);
        assert.equal(out.not?.type, 'bool');
        assert.deepEqual([...(out.not?.data as Uint8Array)], [0, 1]);
      } finally {
        await session.release();
      }
    });

    it('rejects a tensor whose data does not fill its dims, naming it', () => {
      assert.throws(
        () => buildModel({ inputs: [], outputs: [], nodes: [], initializers: [floatTensor('w', [2, 2], [1, 2, 3])] }),
        (err: unknown) => err instanceof RangeError && /tensor w/.test(err.message),
      );
    });

    it('rejects an elemType that does not match the array', () => {
      assert.throws(
        () => buildModel({ inputs: [], outputs: [], nodes: [], initializers: [{ name: 'w', dims: [1], data: Float32Array.from([1]), elemType: 'int64' }] }),
        TypeError,
      );
    });
  });
});
