import assert from 'node:assert/strict';
import { lastValueFrom, toArray } from 'rxjs';
import { parseConfig } from '../../config/load.js';
import { Logger } from '../../core/logger.js';
import { Runtime } from '../../pipeline/runtime.js';
import { assetPath, requireAsset } from '../helpers/assets.js';

describe('events on real footage (yolox-nano)', function () {
  this.timeout(180000);

  it('one-by-one-person-detection.mp4: one person event per person who walks through (six), each ended', async function () {
    const clip = requireAsset(this, 'media/one-by-one-person-detection.mp4');
    requireAsset(this, 'models/yolox_nano.onnx');
    const config = parseConfig(
      {
        model: { path: assetPath('models/yolox_nano.onnx'), adapter: 'yolox', labels: assetPath('models/coco.names'), threshold: 0.3 },
        cameras: [{ name: 'room', url: clip, fps: 5, realtime: false, objects: { track: ['person'] } }],
      },
      { env: {} },
    );
    const runtime = await Runtime.create(config, { logger: new Logger({ level: 'error', json: false, write: () => undefined }) });
    const updates = lastValueFrom(runtime.updates$.pipe(toArray()));
    runtime.start();
    await runtime.done;
    await runtime.stop();
    const events = (await updates).flatMap((u) => u.events).filter((e) => e.after.label === 'person');
    const created = events.filter((e) => e.type === 'new');
    const ended = events.filter((e) => e.type === 'end');
    // the people enter at about 6, 23, 50, 75, 93 and 124 s (counted by eye on the clip)
    assert.equal(created.length, 6, created.map((e) => e.after.startTime.toFixed(1)).join(', '));
    assert.deepEqual(new Set(ended.map((e) => e.after.id)), new Set(created.map((e) => e.after.id)));
    const starts = created.map((e) => e.after.startTime);
    [6, 23, 50, 75, 93, 124].forEach((t, i) => assert.ok(Math.abs(starts[i] - t) < 3, `person ${i + 1} starts at ${starts[i]}, expected about ${t}`));
    // no per-frame updates: a handful over 139 s of footage
    assert.ok(events.filter((e) => e.type === 'update').length <= 20);
  });
});
