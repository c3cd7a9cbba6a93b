// The worker thread that trains: tfjs's wasm backend computes synchronously for seconds at a time, which on the main
// thread would freeze the progress bar, signal handling and everything else. One job per worker; progress and the
// result go back as messages, the weights as transferred buffers.
import { parentPort } from 'node:worker_threads';
import { weightBuffers } from './cnn-weights.js';
import { trainCnn, type TrainJob, type TrainOutcome, type TrainProgress } from './trainer.js';
import { useWasmBackend } from './wasm-backend.js';

export type TrainWorkerRequest = { type: 'train'; job: TrainJob };
export type TrainWorkerReply =
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'done'; outcome: TrainOutcome }
  | { type: 'error'; message: string; stack?: string };

const port = parentPort;
if (port) {
  port.once('message', (msg: TrainWorkerRequest) => {
    void (async () => {
      try {
        await useWasmBackend();
        const outcome = await trainCnn(msg.job, (progress) => port.postMessage({ type: 'progress', progress } satisfies TrainWorkerReply));
        port.postMessage({ type: 'done', outcome } satisfies TrainWorkerReply, [...weightBuffers(outcome.weights), outcome.probeProbabilities.buffer as ArrayBuffer]);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        port.postMessage({ type: 'error', message: e.message, stack: e.stack } satisfies TrainWorkerReply);
      }
    })();
  });
}
