import { strict as assert } from 'node:assert';
import type { AdapterOptions, ModelIO } from '../../models/adapter.js';
import { ADAPTER_NAMES, createAdapter } from '../../models/adapters/index.js';

const OPTIONS: AdapterOptions = { labels: [], threshold: 0.3, iou: 0.45, topK: 1 };
const YOLOX_IO: ModelIO = { inputs: [{ name: 'images', dims: [1, 3, 416, 416] }], outputs: [{ name: 'output', dims: [1, 3549, 85] }] };

describe('createAdapter', () => {
  it('knows the built-in adapters by name', () => {
    assert.deepEqual([...ADAPTER_NAMES], ['yolox', 'fastestdet', 'ultralytics', 'ultraface', 'classifier']);
  });

  it('builds the named adapter for a model that fits it', () => {
    // given the real YOLOX-nano signature
    const adapter = createAdapter('yolox', YOLOX_IO, OPTIONS);
    // then it is the yolox adapter at the model's size
    assert.equal(adapter.name, 'yolox');
    assert.deepEqual([adapter.format.width, adapter.format.height, adapter.inputName], [416, 416, 'images']);
  });

  it('builds each adapter for its real model signature (SOURCES.md)', () => {
    const cases: [string, ModelIO][] = [
      ['fastestdet', { inputs: [{ name: 'input.1', dims: [1, 3, 352, 352] }], outputs: [{ name: '758', dims: [1, 85, 22, 22] }] }],
      ['ultraface', { inputs: [{ name: 'input', dims: [1, 3, 240, 320] }], outputs: [{ name: 'scores', dims: [1, 4420, 2] }, { name: 'boxes', dims: [1, 4420, 4] }] }],
      ['classifier', { inputs: [{ name: 'Input3', dims: [1, 1, 28, 28] }], outputs: [{ name: 'Plus214_Output_0', dims: [1, 10] }] }],
      ['ultralytics', { inputs: [{ name: 'images', dims: [1, 3, 640, 640] }], outputs: [{ name: 'output0', dims: [1, 84, 8400] }] }],
    ];
    for (const [name, io] of cases) assert.equal(createAdapter(name, io, OPTIONS).name, name);
  });

  it('throws LOOKOUT_ERR_ADAPTER listing the known names for an unknown one', () => {
    assert.throws(() => createAdapter('yolov99', YOLOX_IO, OPTIONS), {
      code: 'LOOKOUT_ERR_ADAPTER',
      message: 'unknown model adapter "yolov99"; known adapters: yolox, fastestdet, ultralytics, ultraface, classifier',
    });
  });

  it('rejects options out of range, naming the option', () => {
    assert.throws(() => createAdapter('yolox', YOLOX_IO, { ...OPTIONS, threshold: 1.5 }), { name: 'RangeError', message: /^options\.threshold/ });
    assert.throws(() => createAdapter('yolox', YOLOX_IO, { ...OPTIONS, iou: -0.1 }), { name: 'RangeError', message: /^options\.iou/ });
    assert.throws(() => createAdapter('yolox', YOLOX_IO, { ...OPTIONS, topK: 0 }), { name: 'RangeError', message: /^options\.topK/ });
  });
});

describe('adapter names', () => {
  it("config's ADAPTER_NAMES are exactly the adapters models/ has a factory for", async () => {
    const { ADAPTER_NAMES } = await import('../../config/defaults.js');
    const { builtInAdapterNames } = await import('../../models/adapters/index.js');
    assert.deepEqual([...builtInAdapterNames()].sort(), [...ADAPTER_NAMES].sort());
  });
});
