import assert from 'node:assert/strict';
import { lastValueFrom, toArray } from 'rxjs';
import { parseConfig } from '../../config/load.js';
import { Logger } from '../../core/logger.js';
import { Runtime } from '../../pipeline/runtime.js';
import { assetPath, requireAsset } from '../helpers/assets.js';

describe('counting lines on real footage (yolox-nano)', function () {
  this.timeout(180000);

  it('one-by-one-person-detection.mp4: a line before the table counts each of the six people in once and out once', async function () {
    const clip = requireAsset(this, 'media/one-by-one-person-detection.mp4');
    requireAsset(this, 'models/yolox_nano.onnx');
    const config = parseConfig(
      {
        model: { path: assetPath('models/yolox_nano.onnx'), adapter: 'yolox', labels: assetPath('models/coco.names'), threshold: 0.3 },
        cameras: [
          {
            name: 'room',
            url: clip,
            fps: 5,
            realtime: false,
            objects: { track: ['person'] },
            // 768×432: from right of the pillar (700, 100) down-left to the floor left of the table (300, 300). People
            // walk in from the camera's side to the table (their box centre crosses upwards: in) and turn right to
            // leave the room (back down across it: out). Their feet are cut off by the picture's bottom edge as they
            // walk in, so the box centre is the anchor, not the bottom centre.
            lines: { table: { points: [[700, 100], [300, 300]], anchor: 'center' } },
          },
        ],
      },
      { env: {} },
    );
    const runtime = await Runtime.create(config, { logger: new Logger({ level: 'error', json: false, write: () => undefined }) });
    const updates = lastValueFrom(runtime.updates$.pipe(toArray()));
    runtime.start();
    await runtime.done;
    await runtime.stop();
    const all = await updates;
    const crossings = all.flatMap((u) => u.crossings ?? []);
    const summary = crossings.map((c) => `${c.time.toFixed(1)} ${c.direction} ${c.id}`).join('\n');
    const counts = all.filter((u) => u.lineCounts).at(-1)!.lineCounts!;
    assert.deepEqual(counts.map((c) => [c.direction, c.total, c.today]), [['in', 6, 6], ['out', 6, 6]], summary);
    // per person: in, then out, on that person's event
    const byId = new Map<string, string[]>();
    for (const c of crossings) byId.set(c.id, [...(byId.get(c.id) ?? []), c.direction]);
    assert.equal(byId.size, 6, summary);
    for (const [id, seq] of byId) assert.deepEqual(seq, ['in', 'out'], `${id}\n${summary}`);
    // checked by eye on frames with the line drawn: each reaches the table at about these times and turns to leave
    const ins = crossings.filter((c) => c.direction === 'in').map((c) => c.time);
    const outs = crossings.filter((c) => c.direction === 'out').map((c) => c.time);
    [8, 24.4, 52.2, 76, 94.2, 125].forEach((t, i) => assert.ok(Math.abs(ins[i] - t) < 2, `in ${i + 1} at ${ins[i]}, expected about ${t}`));
    [18.8, 44, 68.8, 85.4, 118.6, 135].forEach((t, i) => assert.ok(Math.abs(outs[i] - t) < 2, `out ${i + 1} at ${outs[i]}, expected about ${t}`));
  });
});
