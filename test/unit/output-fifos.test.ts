import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sweepStaleFifoDirs } from '../../sources/output-fifos.js';
import { useTmpDir } from '../helpers/tmp.js';

describe('output FIFOs', () => {
  const tmp = useTmpDir('lookout-fifo-sweep-');

  it('removes the FIFO folders a killed Lookout left behind, and only those', () => {
    // a pid that was real and is gone: a child that has exited
    const gone = spawnSync('true').pid!;
    const dead = join(tmp(), `lookout-fifo-${gone}-abc123`);
    const alive = join(tmp(), `lookout-fifo-${process.pid}-def456`);
    const other = join(tmp(), 'lookout-fifo-cache');
    for (const d of [dead, alive, other]) {
      mkdirSync(d);
      writeFileSync(join(d, '0.fifo'), '');
    }
    assert.deepEqual(sweepStaleFifoDirs(tmp()), [`lookout-fifo-${gone}-abc123`]);
    assert.equal(existsSync(dead), false);
    assert.equal(existsSync(alive), true, 'a running Lookout keeps its FIFOs');
    assert.equal(existsSync(other), true, 'a name without a pid is not ours to remove');
  });
});
