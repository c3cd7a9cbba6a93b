// The inference session a worker owns (onnxruntime's `session.run()` blocks the thread it runs on): it prepares tensors
// from shared frame buffers, runs the model and decodes detections, so the main thread only moves small messages.
// One class with one session: a re-init releases the old session before it loads the next; close releases it.
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import type { ExecutionProviderName } from '../config/defaults.js';
import { isLookoutError, LookoutError, type ErrorCode } from '../core/errors.js';
import type { ImageTransform } from '../core/types.js';
import { cropTransform } from '../core/letterbox.js';
import { cropResize } from './crop-resize.js';
import type { AdapterOptions, ModelAdapter, ModelIO, OutputTensor, TensorInfo } from './adapter.js';
import { createAdapter } from './adapters/index.js';
import type { DetectOutput, PictureCrop } from '../core/detector.js';
import { providerAdvice, providerPlan } from './providers.js';

export interface InitRequest {
  type: 'init';
  modelPath: string;
  adapter: string;
  options: AdapterOptions;
  providers: ExecutionProviderName[];
  maxBatch: number;
  intraOpThreads?: number;
}
export interface RunRequest {
  type: 'run';
  id: number;
  frames: { data: Uint8Array; transform: ImageTransform; crop?: PictureCrop }[];
}
export type WorkerRequest = InitRequest | RunRequest | { type: 'close' };

export interface InitReply {
  type: 'ready';
  io: ModelIO;
  format: ModelAdapter['format'];
  dynamicBatch: boolean;
  provider: string;
  warnings: string[];
}
export interface RunReply {
  type: 'result';
  id: number;
  results: DetectOutput[];
  inferenceMs: number;
}
export interface ErrorReply {
  type: 'error';
  id?: number;
  code: ErrorCode;
  message: string;
}
export type WorkerReply = InitReply | RunReply | ErrorReply;

export class WorkerSession {
  private session: ort.InferenceSession | undefined;
  private adapter: ModelAdapter | undefined;
  private dynamicBatch = false;
  private tensorData: Float32Array | undefined;
  private inputDims: number[] = [];
  /** a region's pixels in the model's planar layout, before tensor preparation (regions mode) */
  private cropData: Uint8Array | undefined;

  /** the live session, for tests that check an old one was released */
  get current(): ort.InferenceSession | undefined {
    return this.session;
  }

  /** Loads the model (the first provider of the plan that works); a session already loaded is released first. */
  async init(req: InitRequest): Promise<InitReply> {
    await this.release();
    const warnings: string[] = [];
    let lastError = '';
    const plan = providerPlan(req.providers);
    for (const provider of plan) {
      try {
        const session = await ort.InferenceSession.create(req.modelPath, {
          executionProviders: [provider],
          graphOptimizationLevel: 'all',
          // errors reach the user through our own messages (the thrown error carries the same text); onnxruntime's own
          // log lines are raw, coloured text on stderr that would break `log.json` output, so only fatal ones pass
          logSeverityLevel: 4,
          ...(req.intraOpThreads ? { intraOpNumThreads: req.intraOpThreads } : {}),
        });
        this.session = session;
        const io = ioOf(session);
        const a = createAdapter(req.adapter, io, req.options);
        this.adapter = a;
        const input = io.inputs.find((i) => i.name === a.inputName)!;
        this.dynamicBatch = !(input.dims[0] > 0);
        this.inputDims = [...input.dims.slice(1)].map((d, k) => (d > 0 ? d : k === 1 ? a.format.height : k === 2 ? a.format.width : d));
        const batch = this.dynamicBatch ? req.maxBatch : 1;
        this.tensorData = new Float32Array(batch * a.frameElements);
        try {
          await this.warmUp();
        } catch (err) {
          // a model that loads but cannot run: on the last resort (cpu) that is the model's fault, so say so
          if (provider === 'cpu') throw new LookoutError('LOOKOUT_ERR_INFERENCE', `model ${req.modelPath} failed its warm-up run: ${firstLine(err)}`);
          throw err;
        }
        return { type: 'ready', io, format: a.format, dynamicBatch: this.dynamicBatch, provider, warnings };
      } catch (err) {
        await this.release();
        if (isLookoutError(err)) throw err;
        lastError = err instanceof Error ? err.message : String(err);
        if (provider !== 'cpu') warnings.push(`${providerAdvice(provider, lastError)}; falling back to ${plan[plan.indexOf(provider) + 1]}`);
      }
    }
    throw new LookoutError('LOOKOUT_ERR_MODEL_LOAD', `cannot load model ${req.modelPath}: ${describeLoadError(lastError)}`);
  }

  private async warmUp(): Promise<void> {
    const data = this.tensorData!.subarray(0, this.adapter!.frameElements);
    data.fill(0);
    await this.session!.run({ [this.adapter!.inputName]: new ort.Tensor('float32', data, [1, ...this.inputDims]) });
  }

  async run(req: RunRequest): Promise<RunReply> {
    const { session, adapter: a, tensorData } = this;
    if (!session || !a || !tensorData) throw new LookoutError('LOOKOUT_ERR_DETECTOR_CLOSED', 'the detector is not initialised');
    const results: DetectOutput[] = [];
    let inferenceMs = 0;
    const chunk = this.dynamicBatch ? Math.max(1, tensorData.length / a.frameElements) : 1;
    for (let start = 0; start < req.frames.length; start += chunk) {
      const frames = req.frames.slice(start, start + chunk);
      const t0 = performance.now();
      const transforms = frames.map((f, i) => {
        if (!f.crop) {
          a.prepare(f.data, tensorData, i * a.frameElements);
          return f.transform;
        }
        const crop = this.cropInto(f.crop, a.format);
        a.prepare(this.cropData!, tensorData, i * a.frameElements);
        return cropTransform(f.transform, f.crop.picture, crop);
      });
      const input = new ort.Tensor('float32', tensorData.subarray(0, frames.length * a.frameElements), [frames.length, ...this.inputDims]);
      let raw: ort.InferenceSession.ReturnType;
      try {
        raw = await session.run({ [a.inputName]: input });
      } catch (err) {
        throw new LookoutError('LOOKOUT_ERR_INFERENCE', `model run failed: ${firstLine(err)}`);
      }
      inferenceMs += performance.now() - t0;
      const outputs: Record<string, OutputTensor> = {};
      for (const [name, t] of Object.entries(raw)) outputs[name] = { data: asFloat32(t.data), dims: t.dims };
      frames.forEach((f, i) => {
        const t1 = performance.now();
        const detections = a.decode(outputs, i, transforms[i]);
        results.push({ detections, postprocessMs: performance.now() - t1 });
      });
      for (const t of Object.values(raw)) t.dispose();
    }
    return { type: 'result', id: req.id, results, inferenceMs };
  }

  /** Crops and resizes a region of the picture into `cropData`, in the model's layout; square model inputs only. */
  private cropInto(crop: PictureCrop, format: ModelAdapter['format']): ReturnType<typeof cropResize> {
    if (format.width !== format.height) throw new LookoutError('LOOKOUT_ERR_INFERENCE', `regions need a square model input, this one is ${format.width}x${format.height}`);
    const bytes = format.width * format.height * (format.layout === 'gray' ? 1 : 3);
    if (this.cropData?.length !== bytes) this.cropData = new Uint8Array(bytes);
    return cropResize(crop.picture, crop.region, format.width, format.layout, this.cropData, crop.pad);
  }

  /** Idempotent: releases the session (its native memory) and forgets the adapter. */
  async release(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.adapter = undefined;
    this.tensorData = undefined;
    await session?.release().catch(() => undefined);
  }
}

function describeLoadError(message: string): string {
  if (/protobuf parsing failed|Load model from .* failed:Protobuf/i.test(message)) return 'not a valid ONNX file (protobuf parsing failed)';
  if (/No such file|does not exist|open file/i.test(message)) return 'no such file';
  return message.split('\n')[0];
}

function ioOf(s: ort.InferenceSession): ModelIO {
  const dims = (shape: readonly (number | string)[] | undefined): number[] => (shape ?? []).map((d) => (typeof d === 'number' && d > 0 ? d : -1));
  const info = (meta: readonly ort.InferenceSession.ValueMetadata[]): TensorInfo[] =>
    meta.map((m) => ({ name: m.name, dims: m.isTensor ? dims(m.shape) : [] }));
  return { inputs: info(s.inputMetadata), outputs: info(s.outputMetadata) };
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

/** Adapters read float32; the odd model returns int64 or float64 outputs (a class index, say). */
function asFloat32(data: ort.Tensor['data']): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float32Array.from(data, Number);
  return Float32Array.from(data as ArrayLike<number>);
}
