// The main-thread side of the ONNX detector: starts the worker that owns the session and turns its messages into promises.
import { Worker } from 'node:worker_threads';
import type { ExecutionProviderName } from '../config/defaults.js';
import { LookoutError } from '../core/errors.js';
import type { AdapterOptions } from './adapter.js';
import type { ClassifierOptions } from './adapters/classifier.js';
import { toByteUnits, type Preprocess } from '../config/preprocess.js';
import type { BatchOutput, DetectInput, Detector, DetectorInfo } from '../core/detector.js';
import type { InitReply, WorkerReply, WorkerRequest } from './detector-worker.js';
import { defaultInferenceThreads } from './inference-threads.js';

export interface OnnxDetectorOptions {
  modelPath: string;
  adapter: string;
  labels: readonly string[];
  threshold: number;
  iou: number;
  topK?: number;
  providers?: readonly ExecutionProviderName[];
  /** most frames in one model run (dynamic-batch models) */
  maxBatch?: number;
  inputWidth?: number;
  inputHeight?: number;
  /** onnxruntime intra-op threads; default `defaultInferenceThreads()` (undefined there: onnxruntime's own default) */
  intraOpThreads?: number;
  /** classifiers: how pixels become the tensor (model-spec's resolveModel gives it); default the adapter's 0..1 */
  preprocess?: Preprocess;
}

// the choice lives in inference-threads.ts; re-exported for the callers that imported it from here
export { defaultInferenceThreads } from './inference-threads.js';

function classifierFields(p: Preprocess): Pick<ClassifierOptions, 'mean' | 'std' | 'channelOrder' | 'resize'> {
  return { ...toByteUnits(p), channelOrder: p.channelOrder, resize: p.resize };
}

type Pending = { resolve: (out: BatchOutput) => void; reject: (err: Error) => void };

export class OnnxDetector implements Detector {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private failure: LookoutError | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly worker: Worker,
    readonly info: DetectorInfo,
  ) {
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (msg: WorkerReply) => this.onMessage(msg));
    worker.on('error', (err) => this.fail(new LookoutError('LOOKOUT_ERR_INFERENCE', `inference worker crashed: ${err.message}`)));
    worker.on('exit', (code) => {
      if (this.state === 'open') this.fail(new LookoutError('LOOKOUT_ERR_INFERENCE', `inference worker exited with code ${code}`));
      this.state = 'closed';
    });
  }

  static async create(opts: OnnxDetectorOptions): Promise<OnnxDetector> {
    const worker = new Worker(new URL('./detector-worker.js', import.meta.url));
    const options: AdapterOptions | ClassifierOptions = {
      labels: opts.labels,
      threshold: opts.threshold,
      iou: opts.iou,
      topK: opts.topK ?? 5,
      inputWidth: opts.inputWidth,
      inputHeight: opts.inputHeight,
      ...(opts.preprocess !== undefined ? classifierFields(opts.preprocess) : {}),
    };
    const maxBatch = opts.maxBatch ?? 1;
    const init: WorkerRequest = {
      type: 'init',
      modelPath: opts.modelPath,
      adapter: opts.adapter,
      options,
      providers: [...(opts.providers ?? ['cpu'])],
      maxBatch,
      intraOpThreads: opts.intraOpThreads ?? defaultInferenceThreads(),
    };
    let ready: InitReply;
    try {
      ready = await new Promise<InitReply>((resolve, reject) => {
        worker.once('message', (msg: WorkerReply) => (msg.type === 'ready' ? resolve(msg) : reject(msg.type === 'error' ? new LookoutError(msg.code, msg.message) : new Error('unexpected reply'))));
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new LookoutError('LOOKOUT_ERR_MODEL_LOAD', `inference worker exited with code ${code} while loading ${opts.modelPath}`)));
        worker.postMessage(init);
      });
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return new OnnxDetector(worker, {
      modelPath: opts.modelPath,
      adapter: opts.adapter,
      labels: opts.labels,
      format: ready.format,
      dynamicBatch: ready.dynamicBatch,
      maxBatch: ready.dynamicBatch ? maxBatch : 1,
      provider: ready.provider,
      warnings: ready.warnings,
      io: ready.io,
    });
  }

  detect(frames: readonly DetectInput[]): Promise<BatchOutput> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.state !== 'open') return Promise.reject(new LookoutError('LOOKOUT_ERR_DETECTOR_CLOSED', 'the detector is closed'));
    const id = this.nextId++;
    return new Promise<BatchOutput>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'run', id, frames: frames.map((f) => ({ data: f.data, transform: f.transform, ...(f.crop ? { crop: f.crop } : {}) })) } satisfies WorkerRequest);
    });
  }

  private onMessage(msg: WorkerReply): void {
    if (msg.type === 'ready' || msg.id === undefined) return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.type === 'result') p.resolve({ results: msg.results, inferenceMs: msg.inferenceMs });
    else if (msg.type === 'error') p.reject(new LookoutError(msg.code, msg.message));
  }

  private fail(err: LookoutError): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Idempotent: lets the batch in flight finish, releases the session, and ends the worker. */
  async close(): Promise<void> {
    if (this.state === 'open') {
      this.state = 'closing';
      this.worker.postMessage({ type: 'close' } satisfies WorkerRequest);
      const timer = setTimeout(() => void this.worker.terminate(), 3000);
      await this.exited;
      clearTimeout(timer);
      this.fail(new LookoutError('LOOKOUT_ERR_DETECTOR_CLOSED', 'the detector is closed'));
    }
    await this.exited;
  }
}
