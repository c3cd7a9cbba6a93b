import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { WorkerSession, type InitRequest } from '../../models/worker-session.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { useTmpDir } from '../helpers/tmp.js';

describe('WorkerSession (real onnxruntime, the square detector)', function () {
  this.timeout(60000);
  const tmp = useTmpDir('lookout-worker-session-');

  it('a re-init releases the old session before loading the next; release is idempotent', async () => {
    const { model } = await writeSquareModel(tmp());
    const req: InitRequest = { type: 'init', modelPath: model, adapter: 'ultralytics', options: { labels: ['square'], threshold: 0.5, iou: 0.45, topK: 5 }, providers: ['cpu'], maxBatch: 2 };
    const s = new WorkerSession();
    const ready = await s.init(req);
    assert.equal(ready.type, 'ready');
    const first = s.current!;
    const input = first.inputNames[0];
    const zeros = () => ({ [input]: new ort.Tensor('float32', new Float32Array(3 * ready.format.width * ready.format.height), [1, 3, ready.format.height, ready.format.width]) });
    await first.run(zeros()); // the old session works until the re-init
    await s.init(req);
    assert.notEqual(s.current, first);
    await assert.rejects(first.run(zeros()), 'the old session was released');
    await s.release();
    await s.release();
    assert.equal(s.current, undefined);
    await assert.rejects(s.run({ type: 'run', id: 1, frames: [] }), /not initialised/);
  });
});
