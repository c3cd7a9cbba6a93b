import assert from 'node:assert/strict';
import { ProgressLine } from '../../cli/progress.js';

describe('ProgressLine (the one way the CLI draws progress)', () => {
  it('on a TTY redraws one line in place, at most every interval unless forced, and ends it', () => {
    const out: string[] = [];
    let now = 0;
    const line = new ProgressLine({ isTTY: true, write: (t) => out.push(t) }, 100, () => now);
    line.draw('a');
    now = 50;
    line.draw('b');
    line.draw('c', true);
    now = 200;
    line.draw('d');
    line.end('keep');
    line.end('keep');
    assert.deepEqual(out, ['\ra\x1b[K', '\rc\x1b[K', '\rd\x1b[K', '\n']);
  });

  it('writes nothing off a terminal', () => {
    const out: string[] = [];
    const line = new ProgressLine({ isTTY: false, write: (t) => out.push(t) });
    line.draw('a', true);
    line.end('clear');
    assert.deepEqual(out, []);
  });
});
