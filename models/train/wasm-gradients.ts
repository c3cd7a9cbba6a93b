// Convolution gradients for tfjs's wasm backend, supplied through tfjs's public kernel registry.
// As shipped (4.22) the wasm backend has no Conv2DBackpropFilter, so a conv net cannot train on it at all, and its
// Conv2DBackpropInput is a plain loop that is several times slower than its XNNPACK Conv2D (measured on a 2-core box:
// 1.5 s against 0.27 s for one batch of the Keras-example layer). Both gradients are convolutions in disguise, so each
// is written here as a few calls of kernels the wasm backend already has (Transpose, PadV2, Reverse, Slice, Conv2D):
// - filter gradient: dW[kh,kw,ci,co] = Σ_b,y,x X[b, y·s+kh, x·s+kw, ci] · dY[b,y,x,co], which is a convolution of X
//   with batch and channels swapped (X → [CI,H,W,B]) by dY used as a filter ([OH,OW,B,CO]) dilated by the stride;
// - input gradient (stride 1): a convolution of dY, padded by k−1−pad, with the filter turned 180° and its in/out
//   channels swapped. Strides or dilations above 1 keep the backend's own kernel.
// The dense layers' gradients are matrix products with a transposed operand; the wasm BatchMatMul handles
// transposeA/transposeB several times slower than a Transpose followed by a plain product (73 ms against 10-16 ms for
// a [64, 4608] operand), so those calls are rewritten that way too.
// The unit test checks both against tfjs's cpu backend on random inputs.
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

const BACKEND = 'wasm';

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | [number, number];
}

/** The part of the wasm backend the kernels use: its memory bookkeeping. */
interface WasmBackendLike {
  disposeData(dataId: object): boolean;
}

type Call = (name: string, inputs: Record<string, TensorInfo>, attrs?: object) => TensorInfo;

/**
 * Registers the filter gradient and replaces the stride-1 input gradient of the wasm backend. Idempotent; call it
 * before training (the kernels are looked up when a gradient runs, so order against setBackend does not matter).
 */
export function registerWasmGradients(): void {
  if (registered) return;
  const original = tf.getKernel('Conv2DBackpropInput', BACKEND);
  if (original === undefined) throw new Error('the @tensorflow/tfjs-backend-wasm kernels are not loaded: import the package before registering gradients');
  if (tf.getKernel('Conv2DBackpropFilter', BACKEND) !== undefined) tf.unregisterKernel('Conv2DBackpropFilter', BACKEND);
  tf.registerKernel(filterGradient);
  tf.unregisterKernel('Conv2DBackpropInput', BACKEND);
  // keep the original's setup (it binds the wasm function the fallback calls) when the backend starts later
  tf.registerKernel({ ...inputGradient(original.kernelFunc), setupFunc: original.setupFunc, disposeFunc: original.disposeFunc });
  const matMul = tf.getKernel('BatchMatMul', BACKEND)!;
  tf.unregisterKernel('BatchMatMul', BACKEND);
  tf.registerKernel({ ...transposedMatMul(matMul.kernelFunc), setupFunc: matMul.setupFunc, disposeFunc: matMul.disposeFunc });
  registered = true;
}
let registered = false;

/** Runs a wasm kernel directly on TensorInfos (inside a kernel, tf ops would go through the engine a second time). */
function caller(backend: unknown): Call {
  return (name, inputs, attrs = {}) => {
    const kernel = tf.getKernel(name, BACKEND);
    if (kernel === undefined) throw new Error(`wasm backend: kernel ${name} is missing`);
    return kernel.kernelFunc({ inputs, backend: backend as never, attrs: attrs as NamedAttrMap }) as TensorInfo;
  };
}

function pair(v: number | [number, number] | undefined): [number, number] {
  if (v === undefined) return [1, 1];
  return typeof v === 'number' ? [v, v] : v;
}

function checkNhwc(kernel: string, attrs: ConvAttrs): void {
  if (attrs.dataFormat !== 'NHWC') throw new Error(`${kernel} (wasm): only NHWC is supported, got ${attrs.dataFormat}`);
}

const filterGradient: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: BACKEND,
  kernelFunc: (({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
    checkNhwc('Conv2DBackpropFilter', a);
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    const [kh, kw, ci, co] = a.filterShape;
    const { top, bottom, left, right } = info.padInfo;
    const call = caller(backend);
    const wasm = backend as unknown as WasmBackendLike;
    const temps: TensorInfo[] = [];
    const keep = (t: TensorInfo) => (temps.push(t), t);
    try {
      // Rows or columns past the last window never reach dW: cropping them keeps the conv output no larger than needed.
      const usedH = (info.outHeight - 1) * info.strideHeight + kh;
      const usedW = (info.outWidth - 1) * info.strideWidth + kw;
      let input = x;
      if (top || bottom || left || right) {
        input = keep(call('PadV2', { x }, { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 }));
      }
      const [, ph, pw] = input.shape as number[];
      if (ph! > usedH || pw! > usedW) {
        input = keep(call('Slice', { x: input }, { begin: [0, 0, 0, 0], size: [-1, usedH, usedW, -1] }));
      }
      const xt = keep(call('Transpose', { x: input }, { perm: [3, 1, 2, 0] }));
      const dyt = keep(call('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }));
      const conv = keep(
        call('Conv2D', { x: xt, filter: dyt }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [info.strideHeight, info.strideWidth] }),
      );
      if (conv.shape[1] !== kh || conv.shape[2] !== kw || conv.shape[0] !== ci || conv.shape[3] !== co) {
        throw new Error(`Conv2DBackpropFilter (wasm): internal shape ${conv.shape.join('x')} is not ${ci}x${kh}x${kw}x${co}`);
      }
      return call('Transpose', { x: conv }, { perm: [1, 2, 0, 3] });
    } finally {
      for (const t of temps) wasm.disposeData(t.dataId);
    }
  }) as KernelFunc,
};

function inputGradient(fallback: KernelFunc): KernelConfig {
  return {
    kernelName: 'Conv2DBackpropInput',
    backendName: BACKEND,
    kernelFunc: ((args) => {
      const { inputs, backend, attrs } = args;
      const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
      const a = attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
      const [sh, sw] = pair(a.strides);
      const [dh, dw] = pair(a.dilations);
      if (sh !== 1 || sw !== 1 || dh !== 1 || dw !== 1 || a.dataFormat !== 'NHWC') return fallback(args);
      const [kh, kw] = filter.shape as [number, number, number, number];
      const info = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], 1, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
      const { top, bottom, left, right } = info.padInfo;
      const padding = [kh - 1 - top, kh - 1 - bottom, kw - 1 - left, kw - 1 - right];
      if (padding.some((p) => p < 0)) return fallback(args);
      const call = caller(backend);
      const wasm = backend as unknown as WasmBackendLike;
      const temps: TensorInfo[] = [];
      const keep = (t: TensorInfo) => (temps.push(t), t);
      try {
        const padded = padding.some((p) => p > 0)
          ? keep(call('PadV2', { x: dy }, { paddings: [[0, 0], [padding[0], padding[1]], [padding[2], padding[3]], [0, 0]], constantValue: 0 }))
          : dy;
        const turned = keep(call('Reverse', { x: filter }, { dims: [0, 1] }));
        const swapped = keep(call('Transpose', { x: turned }, { perm: [0, 1, 3, 2] }));
        return call('Conv2D', { x: padded, filter: swapped }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] });
      } finally {
        for (const t of temps) wasm.disposeData(t.dataId);
      }
    }) as KernelFunc,
  };
}

function transposedMatMul(plain: KernelFunc): KernelConfig {
  return {
    kernelName: 'BatchMatMul',
    backendName: BACKEND,
    kernelFunc: ((args) => {
      const { inputs, backend, attrs } = args;
      const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return plain(args);
      const call = caller(backend);
      const wasm = backend as unknown as WasmBackendLike;
      const temps: TensorInfo[] = [];
      const swapLast = (t: TensorInfo) => {
        const perm = t.shape.map((_, i) => i);
        const n = perm.length;
        [perm[n - 2], perm[n - 1]] = [perm[n - 1]!, perm[n - 2]!];
        const out = call('Transpose', { x: t }, { perm });
        temps.push(out);
        return out;
      };
      try {
        return plain({ inputs: { a: transposeA ? swapLast(a) : a, b: transposeB ? swapLast(b) : b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
      } finally {
        for (const t of temps) wasm.disposeData(t.dataId);
      }
    }) as KernelFunc,
  };
}
