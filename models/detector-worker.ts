// The inference worker thread: messages from the main thread to its one WorkerSession (models/worker-session.ts), one
// at a time, so a `close` waits for the run in flight and runs never overlap on one session.
import { parentPort } from 'node:worker_threads';
import { isLookoutError } from '../core/errors.js';
import { WorkerSession, type ErrorReply, type WorkerReply, type WorkerRequest } from './worker-session.js';

export type { ErrorReply, InitReply, InitRequest, RunReply, RunRequest, WorkerReply, WorkerRequest } from './worker-session.js';

const port = parentPort;
if (!port) throw new Error('detector-worker must run in a worker thread');
const session = new WorkerSession();

let chain: Promise<void> = Promise.resolve();
port.on('message', (msg: WorkerRequest) => {
  chain = chain.then(() =>
    handle(msg).then(
      (reply) => void (reply && port.postMessage(reply)),
      (err: unknown) => port.postMessage(toErrorReply(err, msg.type === 'run' ? msg.id : undefined)),
    ),
  );
});

async function handle(msg: WorkerRequest): Promise<WorkerReply | undefined> {
  switch (msg.type) {
    case 'init':
      return session.init(msg);
    case 'run':
      return session.run(msg);
    case 'close':
      await session.release();
      port!.close();
      return undefined;
  }
}

function toErrorReply(err: unknown, id: number | undefined): ErrorReply {
  if (isLookoutError(err)) return { type: 'error', id, code: err.code, message: err.message };
  return { type: 'error', id, code: 'LOOKOUT_ERR_INFERENCE', message: err instanceof Error ? err.message : String(err) };
}
