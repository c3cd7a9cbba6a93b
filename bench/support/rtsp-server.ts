// A real RTSP server for integration tests and benches (loopback only): GStreamer's gst-rtsp-server, driven by rtsp-server.py (run with
// /usr/bin/python3, which has the Debian PyGObject bindings). It serves mp4 clips made at test time on a free loopback
// port, optionally behind basic auth, and can be killed, restarted on the same port, or told to stop sending frames
// while keeping its connections open.
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

const repoRoot = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');

export const RTSP_SERVER_SCRIPT = join(repoRoot, 'test', 'helpers', 'rtsp-server.py');
const PYTHON = '/usr/bin/python3';

export interface RtspServerOptions {
  /** mount name (without the slash) → H.264 mp4 clip */
  mounts: Record<string, string>;
  /** basic auth: every mount needs these */
  user?: string;
  password?: string;
  /** default: a free loopback port */
  port?: number;
}

let availability: string | null | undefined;

/** null when the server can run here, else why not (missing packages, named for the Debian install). */
export function rtspServerUnavailable(): string | null {
  if (availability !== undefined) return availability;
  const probe = spawnSync(PYTHON, ['-c', "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0'); from gi.repository import Gst, GstRtspServer; Gst.init(None); import sys; sys.exit(0 if all(Gst.ElementFactory.find(e) for e in ['qtdemux', 'h264parse', 'rtph264pay', 'valve']) else 3)"], { encoding: 'utf8' });
  availability =
    probe.status === 0
      ? null
      : `GStreamer's RTSP server is not usable by ${PYTHON} (${probe.status === 3 ? 'a GStreamer element is missing' : (probe.stderr || String(probe.error)).trim().split('\n').at(-1)}): apt-get install gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad python3-gi`;
  return availability;
}

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

export class RtspServer {
  /** TCP connections accepted, over every run of the server */
  clients = 0;
  /** pipelines built (one per client that passed auth and asked for an existing mount) */
  medias = 0;
  private child: Child | undefined;
  private readonly lines = new EventEmitter();
  private stderr = '';

  private constructor(
    readonly port: number,
    private readonly opts: RtspServerOptions,
  ) {}

  static async start(opts: RtspServerOptions): Promise<RtspServer> {
    const server = new RtspServer(opts.port ?? (await freePort()), opts);
    await server.launch();
    return server;
  }

  /** `rtsp://127.0.0.1:<port>/<mount>`, with user info when given. */
  url(mount: string, auth?: { user: string; password: string }): string {
    const userInfo = auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.password)}@` : '';
    return `rtsp://${userInfo}127.0.0.1:${this.port}/${mount}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async launch(): Promise<void> {
    const args = [RTSP_SERVER_SCRIPT, '--port', String(this.port)];
    for (const [name, clip] of Object.entries(this.opts.mounts)) args.push('--mount', `${name}=${clip}`);
    if (this.opts.user !== undefined) args.push('--user', this.opts.user, '--password', this.opts.password ?? '');
    // a restart may find the port still held for a moment by the process just killed
    for (let tries = 0; ; tries++) {
      const child = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      this.stderr = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (t: string) => (this.stderr = (this.stderr + t).slice(-4000)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line === 'CLIENT') this.clients++;
        if (line.startsWith('MEDIA ')) this.medias++;
        this.lines.emit('line', line);
      });
      const ready = new Promise<boolean>((resolve) => {
        const onLine = (line: string) => {
          if (line.startsWith('READY ')) {
            this.lines.off('line', onLine);
            resolve(true);
          }
        };
        this.lines.on('line', onLine);
        child.once('exit', () => {
          this.lines.off('line', onLine);
          resolve(false);
        });
      });
      if (await ready) {
        this.child = child;
        child.once('exit', () => {
          if (this.child === child) this.child = undefined;
        });
        return;
      }
      if (tries >= 20) throw new Error(`rtsp-server.py did not start on port ${this.port}: ${this.stderr.trim()}`);
      await sleep(100);
    }
  }

  /** Resolves on the next stdout line that matches, or rejects after `timeoutMs`. */
  private nextLine(match: (line: string) => boolean, timeoutMs = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.lines.off('line', onLine);
        reject(new Error(`rtsp-server.py: no matching line within ${timeoutMs} ms`));
      }, timeoutMs);
      const onLine = (line: string) => {
        if (!match(line)) return;
        clearTimeout(timer);
        this.lines.off('line', onLine);
        resolve(line);
      };
      this.lines.on('line', onLine);
    });
  }

  /** Every running pipeline stops sending frames; the RTSP sessions stay open. Resolves with how many stopped. */
  async stall(): Promise<number> {
    if (!this.child) throw new Error('the RTSP server is not running');
    const answer = this.nextLine((l) => l.startsWith('STALLED '));
    this.child.stdin.write('stall\n');
    return Number((await answer).split(' ')[1]);
  }

  /** Resolves once `medias` reaches `count` (a client got a stream). */
  async waitForMedias(count: number, timeoutMs = 10_000): Promise<void> {
    if (this.medias >= count) return;
    await this.nextLine(() => this.medias >= count, timeoutMs);
  }

  /** SIGKILL: the server vanishes mid-stream, as a camera that loses power does. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts again on the same port (after `kill()` or `stop()`). */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  /** Stops it cleanly (quit, then SIGKILL after 2 s). Idempotent. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = once(child, 'exit');
    child.stdin.end('quit\n');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
}
