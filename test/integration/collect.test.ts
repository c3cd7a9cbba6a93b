// `collect` end to end: the lavfi moving-square scene through ffmpeg, the square detector in onnxruntime, the tracker,
// and the collector writing JPEG crops with JSON sidecars that sharp decodes back.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { parseConfig } from '../../config/load.js';
import { Logger } from '../../core/logger.js';
import { Runtime } from '../../pipeline/runtime.js';
import { Collector } from '../../sinks/collect/collector.js';
import type { CropSidecar } from '../../sinks/collect/collect-store.js';
import { writeFile } from 'node:fs/promises';
import { spawnLookout, until } from '../helpers/faults.js';
import { freePort } from '../helpers/ports.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { DEFAULT_SCENE, renderSquareClip, type SquareScene } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

const quiet = new Logger({ level: 'error', json: false, write: () => undefined });

async function sidecars(dir: string): Promise<(CropSidecar & { file: string })[]> {
  const folder = join(dir, 'unlabelled');
  const names = (await readdir(folder).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
  return Promise.all(names.map(async (f) => ({ ...(JSON.parse(await readFile(join(folder, f), 'utf8')) as CropSidecar), file: join(folder, f.replace(/\.json$/, '.jpg')) })));
}

describe('collect: crops of tracked objects and state boxes saved for teaching', function () {
  this.timeout(90000);
  const tmp = useTmpDir('lookout-collect-');
  // the square crosses and leaves on every loop: one object per loop, each looking like the last
  const scene: SquareScene = { ...DEFAULT_SCENE, width: 480, height: 270, duration: 4, size: 48, x0: 10, y0: 110, vx: 160, vy: 0 };
  let clip: string;
  let model: { model: string; labels: string };

  before(async () => {
    clip = await renderSquareClip(scene, join(tmp(), 'scene.mp4'));
    model = await writeSquareModel(tmp());
  });

  /** Runs the cameras until `stopWhen` (given the collector and how many objects have ended so far, their crops written). */
  async function run(cameras: Record<string, unknown>[], stopWhen: (c: Collector, ended: number) => boolean | Promise<boolean>): Promise<Collector> {
    const config = parseConfig({ model: { path: model.model, adapter: 'ultralytics', labels: model.labels, threshold: 0.5 }, cameras }, { env: {} });
    const runtime = await Runtime.create(config, { logger: quiet });
    const collector = new Collector(runtime, config.cameras, quiet);
    let ended = 0;
    const ends = runtime.updates$.subscribe((u) => (ended += u.events.filter((e) => e.type === 'end').length));
    runtime.start();
    try {
      await until('the collector has what the test waits for', async () => {
        const seen = ended;
        await collector.idle();
        return (await stopWhen(collector, seen)) || undefined;
      }, 60_000, 100);
    } finally {
      await runtime.stop();
      await collector.close();
      ends.unsubscribe();
    }
    return collector;
  }

  it('saves the best crop of each object at its end (box + margin, at detect resolution), skips a near-duplicate, and saves state crops', async () => {
    const dir = join(tmp(), 'yard');
    const stateBox = [200, 90, 320, 180];
    const collector = await run(
      [
        {
          name: 'yard', url: clip, loop: true, realtime: true, fps: 10, objects: { track: ['square'] }, tracker: { maxDisappearedSeconds: 0.5 },
          // detect at half the source size: crops come from the picture at that size
          detect: { width: 240, height: 136 },
          states: { gate: { box: stateBox, onMotion: false } },
          collect: { enabled: true, dir, margin: 0.25, stateIntervalSeconds: 1 },
        },
      ],
      async (_, ended) => ended >= 2 && (await sidecars(dir)).filter((s) => s.kind === 'state').length >= 2,
    );
    const all = await sidecars(dir);
    const objects = all.filter((s) => s.kind === 'object');
    // every loop brings the same square over the same black: the first is kept, the later ones are near-duplicates
    assert.equal(objects.length, 1, `object crops: ${JSON.stringify(objects)}`);
    assert.ok(collector.counts.duplicates >= 1);
    assert.equal(collector.counts.full + collector.counts.dropped + collector.counts.failed, 0);
    const o = objects[0]!;
    assert.equal(o.camera, 'yard');
    assert.equal(o.label, 'square');
    assert.match(o.event_id ?? '', /^\d+\.\d{6}-[a-z0-9]{6}$/);
    assert.ok(o.score! > 0.5 && o.score! <= 1, `score ${o.score}`);
    assert.ok(Math.abs(o.time - Date.now() / 1000) < 120, `time ${o.time} is epoch seconds of now`);
    assert.deepEqual(o.picture, [240, 136]);
    // the box is the square's (source pixels), within the detector's rounding
    const [x1, y1, x2, y2] = o.box;
    assert.ok(Math.abs(x2 - x1 - scene.size) <= 3 && Math.abs(y2 - y1 - scene.size) <= 3 && Math.abs(y1 - scene.y0) <= 3, `box ${o.box}`);
    // the crop: the box grown by a quarter of its size on each side, scaled to the picture, rounded outwards, clipped
    const sx = 240 / scene.width;
    const sy = 136 / scene.height;
    const mx = (x2 - x1) * 0.25;
    const my = (y2 - y1) * 0.25;
    const left = Math.max(0, Math.floor((x1 - mx) * sx));
    const top = Math.max(0, Math.floor((y1 - my) * sy));
    const expected = [left, top, Math.min(240, Math.ceil((x2 + mx) * sx)) - left, Math.min(136, Math.ceil((y2 + my) * sy)) - top];
    assert.deepEqual(o.crop, expected);
    const { data, info } = await sharp(o.file).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [expected[2], expected[3]]);
    // red in the middle (the square), black in the corner (the margin)
    const at = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
    const mid = at(info.width >> 1, info.height >> 1);
    assert.ok(mid[0]! > 180 && mid[1]! < 80 && mid[2]! < 80, `middle pixel ${mid}`);
    assert.ok(at(0, 0).every((v) => v < 60), `corner pixel ${at(0, 0)}`);

    const states = all.filter((s) => s.kind === 'state');
    assert.ok(states.length >= 2);
    for (const s of states) {
      assert.equal(s.label, 'gate');
      assert.deepEqual(s.box, stateBox);
      assert.equal(s.event_id, undefined);
      assert.deepEqual(s.crop, [100, 45, 60, 46]);
      const meta = await sharp(s.file).metadata();
      assert.deepEqual([meta.width, meta.height], [60, 46]);
    }
    assert.equal(new Set(states.map((s) => s.time)).size, states.length, 'each state crop from another moment');
  });

  it('saves a state crop again when motion touches its box, not otherwise before its interval', async () => {
    const dir = join(tmp(), 'motion');
    // both boxes lie on the square's path; the interval is an hour, so after the first crop only motion saves one
    const collector = await run(
      [
        {
          name: 'yard', url: clip, loop: true, realtime: true, fps: 10, objects: { track: ['square'] },
          states: { door: { box: [200, 90, 320, 180], onMotion: true }, gate: { box: [330, 90, 450, 180], onMotion: false } },
          collect: { enabled: true, dir, labels: [], stateIntervalSeconds: 3600 },
        },
      ],
      async (c) => (await sidecars(dir)).filter((s) => s.label === 'door').length >= 2 && c.counts.saved >= 3,
    );
    const all = await sidecars(dir);
    assert.equal(all.filter((s) => s.kind === 'object').length, 0, 'collect.labels: [] collects no objects');
    const door = all.filter((s) => s.label === 'door');
    assert.ok(door.length >= 2);
    assert.equal(all.filter((s) => s.label === 'gate').length, 1, 'without onMotion: only the first crop within the interval');
    // the crop motion caused shows the square (red) in the box; the first (empty scene) does not
    const reds = await Promise.all(door.map(async (s) => {
      const { data } = await sharp(s.file).raw().toBuffer({ resolveWithObject: true });
      let red = 0;
      for (let i = 0; i < data.length; i += 3) if (data[i]! > 150 && data[i + 1]! < 90) red++;
      return red;
    }));
    assert.ok(reds.some((n) => n > 200), `red pixels per door crop: ${reds}`);
    assert.ok(collector.counts.saved >= 3);
  });

  it('stops saving a label at maxPerClass (cameras sharing a folder share the bound)', async () => {
    const dir = join(tmp(), 'shared');
    const camera = (name: string) => ({
      name, url: clip, realtime: true, fps: 10, objects: { track: ['square'] }, tracker: { maxDisappearedSeconds: 0.5 },
      collect: { enabled: true, dir, maxPerClass: 1 },
    });
    // no loop: each camera sees the square once, so neither crop is a near-duplicate of its own camera's
    const collector = await run([camera('front'), camera('back')], (c) => c.counts.saved + c.counts.full >= 2);
    assert.equal(collector.counts.saved, 1);
    assert.equal(collector.counts.full, 1);
    assert.equal(collector.counts.duplicates, 0);
    const saved = await sidecars(dir);
    assert.equal(saved.length, 1);
    assert.equal((await readdir(join(dir, 'unlabelled'))).filter((f) => f.endsWith('.jpg')).length, 1);
  });

  it('lookout run: collects while it runs, the Teach API lists the crops behind auth, and it stops cleanly', async () => {
    const dir = join(tmp(), 'cli');
    const port = await freePort();
    const file = join(tmp(), 'lookout.yaml');
    await writeFile(
      file,
      [
        `model: { path: ${model.model}, adapter: ultralytics, labels: ${model.labels}, threshold: 0.5 }`,
        'cameras:',
        `  - { name: yard, url: ${clip}, loop: true, realtime: true, fps: 10, objects: { track: [square] }, tracker: { maxDisappearedSeconds: 0.5 },`,
        `      collect: { enabled: true, dir: ${dir} } }`,
        `http: { host: 127.0.0.1, port: ${port}, auth: { token: collect-token } }`,
      ].join('\n') + '\n',
    );
    const lookout = spawnLookout(['run', '-c', file]);
    try {
      const listed = await until('the Teach API lists a collected crop', async () => {
        const res = await fetch(`http://127.0.0.1:${port}/api/teach`, { headers: { authorization: 'Bearer collect-token' } }).catch(() => undefined);
        if (!res?.ok) return undefined;
        const body = (await res.json()) as { unlabelled: { id: string; kind: string; label: string; camera: string }[] };
        return body.unlabelled.length > 0 ? body.unlabelled : undefined;
      }, 60_000, 200);
      assert.deepEqual(listed.map((c) => [c.kind, c.label, c.camera]), [['object', 'square', 'yard']]);
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/teach`)).status, 401);
      const img = await fetch(`http://127.0.0.1:${port}/api/teach/image?folder=unlabelled&id=${listed[0]!.id}`, { headers: { authorization: 'Bearer collect-token' } });
      assert.equal(img.headers.get('content-type'), 'image/jpeg');
      assert.ok((await sharp(Buffer.from(await img.arrayBuffer())).metadata()).width! > 0);
    } finally {
      lookout.child.kill('SIGTERM');
    }
    const exit = await lookout.exited;
    assert.equal(exit.code, 0, lookout.stderr());
  });
});
