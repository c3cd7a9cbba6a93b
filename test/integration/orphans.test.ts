// A camera that accepts the connection and never answers (issue 18): ffprobe gives up on it by itself, and no
// ffprobe/ffmpeg outlives a Lookout killed with SIGKILL (setpriv --pdeathsig). Real ffprobe, real `lookout run`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { probeStream } from '../../sources/ffmpeg.js';
import { spawnLookout } from '../helpers/faults.js';
import { childProcesses, waitForNoChildren } from '../helpers/processes.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { useTmpDir } from '../helpers/tmp.js';

/** A loopback TCP server that accepts every connection and never sends a byte. */
async function silentServer(): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Gone, or exited and waiting to be reaped by whoever inherited it (then it runs no more). */
function isGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a camera that connects and never answers (real ffprobe, real lookout run)', function () {
  this.timeout(60000);
  const tmp = useTmpDir('lookout-orphans-');
  let silent: Awaited<ReturnType<typeof silentServer>>;
  const strays: number[] = [];
  before(async () => {
    silent = await silentServer();
  });
  after(async () => {
    await silent.close();
  });
  afterEach(async () => {
    for (const pid of strays.splice(0)) if (!isGone(pid)) process.kill(pid, 'SIGKILL');
    assert.deepEqual(await waitForNoChildren({ timeoutMs: 5000 }), [], 'no child process left');
  });

  it('the probe gives up after its timeout with a clear error (JS timer), and leaves no ffprobe behind', async () => {
    const url = `http://127.0.0.1:${silent.port}/video.mjpg`;
    const started = Date.now();
    // a user's -rw_timeout comes last and wins: only the JS-side timer can end this one
    await assert.rejects(probeStream(url, ['-rw_timeout', '600000000'], { label: 'mute', timeoutMs: 800 }), {
      code: 'LOOKOUT_ERR_MEDIA',
      message: 'cannot open mute: no answer within 800 ms (ffprobe timed out)',
    });
    assert.ok(Date.now() - started < 5000);
  });

  it('ffprobe itself gives up on a silent network input (-rw_timeout)', async () => {
    const url = `http://127.0.0.1:${silent.port}/video.mjpg`;
    // a JS timer far beyond ffprobe's own I/O timeout of 1 s: the error must come from ffprobe
    const err = await probeStream(url, ['-rw_timeout', '1000000'], { label: 'mute', timeoutMs: 30_000 }).then(
      () => assert.fail('the probe should fail'),
      (e: Error & { code?: string }) => e,
    );
    assert.equal(err.code, 'LOOKOUT_ERR_MEDIA');
    assert.doesNotMatch(err.message, /ffprobe timed out/);
    assert.match(err.message, /^cannot open mute: /);
  });

  async function runWithSilentCamera(env: NodeJS.ProcessEnv): Promise<{ lookout: ReturnType<typeof spawnLookout>; probes: number[] }> {
    const { model, labels } = await writeSquareModel(tmp());
    const file = join(tmp(), 'mute.yaml');
    await writeFile(
      file,
      [`model: { path: ${model}, adapter: ultralytics, labels: ${labels} }`, 'cameras:', `  - { name: mute, url: "http://127.0.0.1:${silent.port}/video.mjpg", objects: { track: [square] } }`].join('\n') + '\n',
    );
    const lookout = spawnLookout(['run', '-c', file], env);
    const pid = lookout.child.pid!;
    let probes: number[] = [];
    await until('an ffprobe/ffmpeg child of lookout', () => (probes = childProcesses(pid).filter((p) => /^ff(probe|mpeg)$/.test(p.comm) && p.state !== 'Z').map((p) => p.pid)).length > 0, 20_000);
    return { lookout, probes };
  }

  it('kill -9 of lookout: its ffprobe dies with it (setpriv --pdeathsig)', async () => {
    const { lookout, probes } = await runWithSilentCamera({});
    strays.push(...probes);
    const killedAt = Date.now();
    lookout.child.kill('SIGKILL');
    await lookout.exited;
    await until(`ffprobe ${probes.join(', ')} gone`, () => probes.every(isGone), 5000);
    console.log(`      children gone ${Date.now() - killedAt} ms after SIGKILL`);
  });

  it('without the guard (LOOKOUT_SETPRIV=0) the same ffprobe outlives a killed lookout, which is what the guard prevents', async () => {
    const { lookout, probes } = await runWithSilentCamera({ LOOKOUT_SETPRIV: '0' });
    strays.push(...probes);
    lookout.child.kill('SIGKILL');
    await lookout.exited;
    assert.ok(probes.some((p) => !isGone(p)), 'an unguarded ffprobe keeps running');
  });
});
