// Runs one training job on a worker thread (train-worker.ts) and owns that worker: it is terminated when the job
// ends, fails, or the signal aborts, so no thread outlives the promise.
import { Worker } from 'node:worker_threads';
import { LookoutError } from '../../core/errors.js';
import type { TrainWorkerReply, TrainWorkerRequest } from './train-worker.js';
import type { TrainJob, TrainOutcome, TrainProgress } from './trainer.js';

export async function trainInWorker(job: TrainJob, onProgress: (p: TrainProgress) => void = () => undefined, signal?: AbortSignal): Promise<TrainOutcome> {
  signal?.throwIfAborted();
  const worker = new Worker(new URL('./train-worker.js', import.meta.url));
  try {
    return await new Promise<TrainOutcome>((resolve, reject) => {
      const onAbort = () => reject(new LookoutError('LOOKOUT_ERR_TRAIN', 'training was cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.on('message', (msg: TrainWorkerReply) => {
        if (msg.type === 'progress') onProgress(msg.progress);
        else if (msg.type === 'done') resolve(msg.outcome);
        else reject(new LookoutError('LOOKOUT_ERR_TRAIN', `training failed: ${msg.message}`));
      });
      worker.once('error', (err) => reject(new LookoutError('LOOKOUT_ERR_TRAIN', `the training worker crashed: ${err.message}`, { cause: err })));
      worker.once('exit', (code) => reject(new LookoutError('LOOKOUT_ERR_TRAIN', `the training worker exited with code ${code}`)));
      // copies: the caller keeps its images (the held-out ones are needed again for the export check)
      worker.postMessage({ type: 'train', job } satisfies TrainWorkerRequest);
    });
  } finally {
    await worker.terminate();
  }
}
