import assert from 'node:assert/strict';
import { parseRange } from '../../sinks/http/byte-range.js';

describe('HTTP byte ranges', () => {
  it('answers one range, a suffix and an open end; clamps the end to the file', () => {
    assert.deepEqual(parseRange('bytes=0-99', 1000), { kind: 'part', start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=900-', 1000), { kind: 'part', start: 900, end: 999 });
    assert.deepEqual(parseRange('bytes=-10', 1000), { kind: 'part', start: 990, end: 999 });
    assert.deepEqual(parseRange('bytes=-5000', 1000), { kind: 'part', start: 0, end: 999 });
    assert.deepEqual(parseRange('bytes=990-5000', 1000), { kind: 'part', start: 990, end: 999 });
  });
  it('a start past the end or an empty suffix is unsatisfiable (416)', () => {
    assert.deepEqual(parseRange('bytes=1000-', 1000), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=-0', 1000), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=5-4', 1000), { kind: 'unsatisfiable' });
  });
  it('no header, several ranges or anything else is the whole file, never an exception', () => {
    for (const h of [undefined, '', 'bytes=0-1,5-6', 'items=0-1', 'bytes=-', 'bytes=a-b', '\u0000']) assert.deepEqual(parseRange(h, 1000), { kind: 'whole' }, String(h));
  });
});
