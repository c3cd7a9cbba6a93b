// A camera is `ended` (stats, health) only once its last frame's result is out, not when its file is read to the end.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig } from '../../config/load.js';
import type { Detector } from '../../core/detector.js';
import { Logger } from '../../core/logger.js';
import { OnnxDetector } from '../../models/onnx-detector.js';
import { Runtime } from '../../pipeline/runtime.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { DEFAULT_SCENE, frameCount, renderSquareClip } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

const quiet = new Logger({ level: 'error', json: false, write: () => undefined });

describe('camera status ended (real ffmpeg + onnxruntime)', function () {
  this.timeout(60000);
  const tmp = useTmpDir('lookout-ended-');

  it('a file camera turns ended only after the result of its last frame, never while results are still coming', async () => {
    const scene = { ...DEFAULT_SCENE, duration: 2 };
    const clip = await renderSquareClip(scene, join(tmp(), 'scene.mp4'));
    const { model, labels } = await writeSquareModel(tmp());
    const onnx = await OnnxDetector.create({ modelPath: model, adapter: 'ultralytics', labels: (await readFile(labels, 'utf8')).trim().split('\n'), threshold: 0.5, iou: 0.45, maxBatch: 1 });
    // inference slower than decoding: ffmpeg reaches the end of the file while frames still wait for the detector
    let gate = Promise.resolve();
    const slow: Detector = {
      info: onnx.info,
      detect: (frames) => {
        const out = gate.then(() => new Promise<void>((r) => setTimeout(r, 40))).then(() => onnx.detect(frames));
        gate = out.then(() => undefined, () => undefined);
        return out;
      },
      close: () => onnx.close(),
    };
    const config = parseConfig({ model: { path: model, adapter: 'ultralytics', labels }, cameras: [{ name: 'yard', url: clip, realtime: false, fps: scene.fps }] }, { env: {} });
    const runtime = await Runtime.create(config, { logger: quiet, detector: slow });
    const statusAtResult: string[] = [];
    runtime.results$.subscribe(() => statusAtResult.push(runtime.snapshot().cameras.yard.status));
    runtime.start();
    await runtime.done;
    const final = runtime.snapshot().cameras.yard;
    await runtime.stop();
    assert.equal(statusAtResult.length, frameCount(scene), 'every frame has its result');
    assert.deepEqual(statusAtResult.filter((s) => s === 'ended'), [], `no result came after the camera was ended: ${statusAtResult.join(',')}`);
    assert.equal(final.status, 'ended');
    assert.equal(final.framesDetected, frameCount(scene));
  });
});
