import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.js';
import { DEFAULTS } from '../../config/defaults.js';
import { concatScript } from '../../sources/clip-assembler.js';
import { parseSegmentList, segmentOutputArgs } from '../../sources/segment-args.js';

const base = { model: { path: 'm.onnx' } };
function configProblem(record: unknown): string {
  try {
    parseConfig({ ...base, cameras: [{ name: 'door', url: 'rtsp://cam/1', record }] }, { env: {}, baseDir: '/cfg' });
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

describe('recording: config, segment output and clip scripts', () => {
  it('a camera records nothing unless asked, and its record section is complete once parsed', () => {
    const c = parseConfig({ ...base, cameras: [{ name: 'door', url: 'rtsp://cam/1' }, { name: 'yard', url: 'rtsp://cam/2', record: { enabled: true, retain: { maxBytes: 1000 } } }] }, { env: {}, baseDir: '/cfg' });
    assert.deepEqual(c.cameras[0].record, { ...DEFAULTS.record, dir: '/cfg/recordings' }, 'the folder is relative to the config file');
    assert.equal(c.cameras[0].record.enabled, false);
    assert.deepEqual(c.cameras[1].record, { ...DEFAULTS.record, dir: '/cfg/recordings', enabled: true, retain: { days: DEFAULTS.record.retain.days, maxBytes: 1000 } });
  });

  it('bad record settings name their path and reason', () => {
    assert.match(configProblem({ preSeconds: -1 }), /cameras\[0\]\.record\.preSeconds: .*from 0 to 300/);
    assert.match(configProblem({ retain: { maxBytes: 1.5 } }), /cameras\[0\]\.record\.retain\.maxBytes: .*bytes/);
    assert.match(configProblem({ segmentSeconds: 0 }), /cameras\[0\]\.record\.segmentSeconds/);
    assert.match(configProblem({ keep: 3 }), /cameras\[0\]\.record\.keep/);
  });

  it('the segment output copies the first video stream into numbered MPEG-TS segments with a CSV list', () => {
    const args = segmentOutputArgs({ dir: '/r/door/segments', runId: 'abc', segmentSeconds: 2 });
    const at = (flag: string) => args[args.indexOf(flag) + 1];
    assert.equal(at('-c'), 'copy', 'never re-encoded');
    assert.equal(at('-map'), '0:v:0');
    assert.equal(at('-segment_time'), '2');
    assert.equal(at('-segment_list'), '/r/door/segments/list-abc.csv');
    assert.equal(args.at(-1), '/r/door/segments/seg-abc-%06d.ts');
  });

  it('a segment list is read line by line; a half-written last line waits for the next read', () => {
    assert.deepEqual(parseSegmentList('seg-a-000000.ts,0.000000,2.000000\nseg-a-000001.ts,2.000000,4.1\nseg-a-0000'), [
      { file: 'seg-a-000000.ts', start: 0, end: 2 },
      { file: 'seg-a-000001.ts', start: 2, end: 4.1 },
    ]);
    assert.deepEqual(parseSegmentList('seg-a-000002.ts,4.1,6.0'), [], 'no newline yet: maybe incomplete');
    assert.deepEqual(parseSegmentList('../etc/passwd,0,1\nseg-a-000003.ts,6,6\n'), [], 'odd names and empty spans are ignored');
  });

  it('a clip script enters the first segment and leaves the last at the span edges, in segment seconds', () => {
    const segs = [
      { path: '/r/s-0.ts', run: 'a', startMs: 10_000, endMs: 12_000 },
      { path: '/r/s-1.ts', run: 'a', startMs: 12_000, endMs: 14_000 },
      { path: "/r/it's.ts", run: 'a', startMs: 14_000, endMs: 16_000 },
    ];
    assert.equal(concatScript(segs, { fromMs: 10_500, toMs: 15_250 }), "ffconcat version 1.0\nfile '/r/s-0.ts'\ninpoint 0.500\nfile '/r/s-1.ts'\nfile '/r/it'\\''s.ts'\noutpoint 1.250\n");
    assert.equal(concatScript(segs.slice(0, 1), { fromMs: 9_000, toMs: 13_000 }), "ffconcat version 1.0\nfile '/r/s-0.ts'\n", 'a span wider than the recording takes whole segments');
  });
});
