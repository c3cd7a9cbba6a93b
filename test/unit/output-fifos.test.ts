import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { outputFifos, sweepStaleFifoDirs } from '../../sources/output-fifos.js';
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

  it('starts a new folder when a temp cleaner removed its FIFOs under a long run', async () => {
    const a = await outputFifos.open();
    assert.ok(a, 'mkfifo made FIFOs');
    closeSync(a.readFd);
    closeSync(a.writeFd);
    outputFifos.release(a.path);
    rmSync(dirname(a.path), { recursive: true, force: true });
    const b = await outputFifos.open();
    assert.ok(b && existsSync(b.path), 'a FIFO again');
    assert.notEqual(dirname(b.path), dirname(a.path));
    closeSync(b.readFd);
    closeSync(b.writeFd);
    outputFifos.release(b.path);
  });
});
