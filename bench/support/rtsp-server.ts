// GStreamer's RTSP server (test/helpers/rtsp-server.py) as a child a bench owns, serving mp4 clips by mount name.
// Benches may not import test/ (layers), so this is the small part of test/helpers/rtsp-server.ts they need.
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { freePort } from './ports.js';

const PYTHON = '/usr/bin/python3';

/** null when the server can run here, else why not. */
export function rtspServerUnavailable(): string | null {
  const probe = spawnSync(PYTHON, ['-c', "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0'); from gi.repository import Gst, GstRtspServer"], { encoding: 'utf8' });
  return probe.status === 0 ? null : `GStreamer's RTSP server is not usable by ${PYTHON}: ${(probe.stderr || String(probe.error)).trim().split('\n').at(-1)}`;
}

export class BenchRtspServer {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcessByStdio<Writable, Readable, null>,
  ) {}

  /** `mounts`: name → H.264 mp4; every client gets its own pipeline from the clip's start, paced in real time. */
  static async start(root: string, mounts: Record<string, string>): Promise<BenchRtspServer> {
    const args = [join(root, 'test', 'helpers', 'rtsp-server.py')];
    for (const [name, clip] of Object.entries(mounts)) args.push('--mount', `${name}=${clip}`);
    for (let tries = 0; tries < 20; tries++) {
      const port = await freePort();
      const child = spawn(PYTHON, [...args, '--port', String(port)], { stdio: ['pipe', 'pipe', 'ignore'] });
      const ready = await new Promise<boolean>((res) => {
        createInterface({ input: child.stdout }).on('line', (l) => l.startsWith('READY') && res(true));
        child.once('exit', () => res(false));
      });
      if (ready) return new BenchRtspServer(port, child);
    }
    throw new Error('rtsp-server.py did not start');
  }

  url(mount: string): string {
    return `rtsp://127.0.0.1:${this.port}/${mount}`;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin.end('quit\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
}
