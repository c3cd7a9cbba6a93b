import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FfmpegProcess } from '../../sources/ffmpeg.js';
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

  /** The pipe buffer of `pid`'s fd 1, asked of the kernel (F_GETPIPE_SZ): Node has no fcntl, python3 is a test dependency. */
  function pipeSize(pid: number): number {
    const r = spawnSync('/usr/bin/python3', ['-c', `import fcntl, os; print(fcntl.fcntl(os.open('/proc/${pid}/fd/1', os.O_RDONLY | os.O_NONBLOCK), 1032))`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return Number(r.stdout);
  }

  /** ffmpeg writing 20 paced 1280×720 frames to a FIFO; resolves with the pipe size seen at the first bytes and the bytes read. */
  async function run(): Promise<{ size: number; bytes: number; reads: number }> {
    const p = await FfmpegProcess.spawnDirect(['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=1280x720:rate=20', '-frames:v', '20', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], [1]);
    const buf = new Uint8Array(1 << 21);
    let bytes = 0;
    let reads = 0;
    let size: number | undefined;
    p.readInto(1, {
      target: () => buf,
      received: (_b, n) => {
        // ffmpeg is mid-run (paced): its fd 1 is still open
        size ??= pipeSize(p.pid!);
        bytes += n;
        reads++;
        return true;
      },
    });
    const exit = await p.exited;
    assert.equal(exit.code, 0, p.stderrTail.join('\n'));
    return { size: size!, bytes, reads };
  }

  it("gives ffmpeg's named pipes a 1 MiB buffer (a 720p picture in a few reads), and the default 64 KiB with LOOKOUT_PIPE_SIZE=0", async function () {
    this.timeout(30000);
    const sized = await run();
    assert.equal(sized.size, 1 << 20);
    assert.equal(sized.bytes, 20 * 1280 * 720 * 3, 'every byte arrives');
    process.env.LOOKOUT_PIPE_SIZE = '0';
    try {
      const plain = await run();
      assert.equal(plain.size, 1 << 16);
      assert.equal(plain.bytes, sized.bytes);
    } finally {
      delete process.env.LOOKOUT_PIPE_SIZE;
    }
  });

  it('still says ffmpeg was not found when the pipe sizer cannot run it', async () => {
    const p = await FfmpegProcess.spawnDirect(['-version'], [1], '/nonexistent/ffmpeg');
    p.readInto(1, { target: () => new Uint8Array(16), received: () => true });
    const exit = await p.exited;
    assert.notEqual(exit.code, 0);
    assert.ok(p.stderrTail.some((l) => /ffmpeg was not found: install ffmpeg/.test(l)), p.stderrTail.join('\n'));
  });
});
