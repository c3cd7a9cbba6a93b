import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SegmentRecorder, type RecorderStatus } from '../../sources/segment-recorder.js';
import { until } from '../helpers/faults.js';
import { useTmpDir } from '../helpers/tmp.js';

describe('segment recorder (a real folder, the list ffmpeg would write, an injected clock)', () => {
  const tmp = useTmpDir('lookout-segrec-');

  it('places segments on the wall clock from the best frame anchor, keeps the pre-roll and what a hold asks for', async () => {
    let now = 100_000;
    const statuses: RecorderStatus[] = [];
    const dir = join(tmp(), 'a');
    const r = await SegmentRecorder.create({ camera: 'door', dir, segmentSeconds: 2, keepMs: 3000, maxHoldMs: 60_000, minFreeBytes: 0, pollMs: 10, now: () => now, onStatus: (s) => statuses.push(s) });
    try {
      const args = r.begin('h264')!;
      const list = args[args.indexOf('-segment_list') + 1];
      const pattern = args.at(-1)!;
      const seg = (n: number) => pattern.replace('%06d', String(n).padStart(6, '0'));
      for (let n = 0; n < 4; n++) await writeFile(seg(n), 'ts');
      // the first frame came late (ffmpeg's burst after analysis); a later one shows when stream time 0 was live
      r.frameAt(0, 95_000);
      r.frameAt(3, 97_500);
      await writeFile(list, [0, 1, 2, 3].map((n) => `${seg(n).split('/').at(-1)},${n * 2}.000000,${n * 2 + 2}.000000\n`).join(''));
      // nothing older than keepMs before `now` (100 s): the segment ending at 96.5 s is gone, 98.5 s stays
      await until('pruned to the pre-roll', () => r.between(0, Infinity).length === 3);
      assert.deepEqual(r.between(0, Infinity).map((s) => [s.startMs, s.endMs]), [[96_500, 98_500], [98_500, 100_500], [100_500, 102_500]]);
      assert.equal(r.coveredUntil, 102_500);
      assert.deepEqual(r.between(99_000, 100_000).map((s) => s.startMs), [98_500], 'overlap, not containment');
      const release = r.hold(97_000);
      now = 110_000;
      await r.refresh();
      assert.equal(r.between(0, Infinity).length, 3, 'held from 97 s: nothing goes');
      release();
      await until('released segments go, from disk too', async () => r.between(0, Infinity).length === 0 && (await readdir(dir)).filter((f) => f.endsWith('.ts')).length === 0);
      assert.deepEqual(statuses.map((s) => s.code), ['RECORD_ON']);
    } finally {
      await r.close();
    }
    assert.deepEqual(await readdir(dir), [], 'the cache is emptied at close');
  });

  it('a codec that cannot be copied records nothing and is said once; a failed write pauses once', async () => {
    const statuses: RecorderStatus[] = [];
    const r = await SegmentRecorder.create({ camera: 'door', dir: join(tmp(), 'b'), segmentSeconds: 2, keepMs: 3000, maxHoldMs: 60_000, minFreeBytes: 0, pollMs: 1000, onStatus: (s) => statuses.push(s) });
    try {
      assert.equal(r.begin('mjpeg'), undefined);
      assert.equal(r.begin('mjpeg'), undefined);
      assert.deepEqual(statuses.map((s) => s.code), ['LOOKOUT_ERR_RECORD']);
      assert.match(statuses[0].message, /door: records nothing: its mjpeg stream cannot be copied/);
      let paused = 0;
      r.onPause(() => paused++);
      assert.ok(r.begin('hevc'));
      r.stderrLine('[segment @ 0x1] Failure occurred when ending segment \'/x/seg-1.ts\'');
      r.stderrLine('[segment @ 0x1] Failure occurred when ending segment \'/x/seg-2.ts\'');
      assert.equal(paused, 1);
      assert.equal(r.end([]), false);
      assert.equal(r.begin('hevc'), undefined, 'paused: the next run goes without');
      assert.deepEqual(statuses.map((s) => s.state), ['unsupported', 'recording', 'paused']);
    } finally {
      await r.close();
    }
  });
});
