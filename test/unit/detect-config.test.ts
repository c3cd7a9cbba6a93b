import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.js';

const base = (camera: Record<string, unknown>) => ({ model: { path: '/m/yolox.onnx', adapter: 'yolox' }, cameras: [{ name: 'front', url: '/clips/front.mp4', ...camera }] });

describe('config: a camera’s detect size', () => {
  it('defaults to {} (the source size, at most 1280 wide) and keeps what is given', () => {
    assert.deepEqual(parseConfig(base({}), { env: {} }).cameras[0].detect, {});
    assert.deepEqual(parseConfig(base({ detect: { width: 960 } }), { env: {} }).cameras[0].detect, { width: 960 });
    assert.deepEqual(parseConfig(base({ detect: { width: 640, height: 480 } }), { env: {} }).cameras[0].detect, { width: 640, height: 480 });
  });

  it('names the path and the reason of a bad size or an unknown key', () => {
    assert.throws(() => parseConfig(base({ detect: { width: 0 } }), { env: {} }), /cameras\[0\]\.detect\.width: .*from 16 to 7680/);
    assert.throws(() => parseConfig(base({ detect: { height: 1080.5 } }), { env: {} }), /cameras\[0\]\.detect\.height: /);
    assert.throws(() => parseConfig(base({ detect: { fps: 5 } }), { env: {} }), /cameras\[0\]\.detect\.fps/);
  });
});
