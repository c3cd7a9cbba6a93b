import assert from 'node:assert/strict';
import { chooseInferenceThreads, defaultInferenceThreads } from '../../models/inference-threads.js';

describe('inference threads chosen for the box and the load', () => {
  it("gives one stream (a file, one camera, lookout detect) every core, as onnxruntime's default does", () => {
    assert.deepEqual(chooseInferenceThreads({ cores: 2, streams: 1 }), { threads: undefined, reason: "one stream to decode: all cores, onnxruntime's default of one per physical core (2 cores here)" });
    assert.equal(chooseInferenceThreads({ cores: 8, streams: 1 }).threads, undefined);
    assert.equal(chooseInferenceThreads({ cores: 1, streams: 0 }).threads, undefined);
  });

  it('leaves one core to decoding when several cameras run, and never goes below one thread', () => {
    assert.deepEqual(chooseInferenceThreads({ cores: 2, streams: 8 }), { threads: 1, reason: '8 cameras to decode: 2 cores less one left to ffmpeg' });
    assert.equal(chooseInferenceThreads({ cores: 16, streams: 2 }).threads, 15);
    assert.equal(chooseInferenceThreads({ cores: 1, streams: 4 }).threads, 1);
  });

  it('lets model.threads from the config win over the box and the load', () => {
    assert.deepEqual(chooseInferenceThreads({ configured: 3, cores: 2, streams: 8 }), { threads: 3, reason: 'model.threads in the config' });
    assert.deepEqual(chooseInferenceThreads({ configured: 1, cores: 16, streams: 1 }), { threads: 1, reason: 'model.threads in the config' });
  });

  it('defaults to one stream when no load is told', () => {
    assert.equal(defaultInferenceThreads(4), undefined);
    assert.deepEqual(chooseInferenceThreads({ cores: 4 }), chooseInferenceThreads({ cores: 4, streams: 1 }));
  });
});
