// A real mosquitto for a test or a bench: loopback, a free port, anonymous, with persistence in a temporary directory so a
// restart keeps retained messages and persistent sessions (as a broker restarted by its service manager would).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export const MOSQUITTO = process.env.LOOKOUT_MOSQUITTO ?? '/usr/sbin/mosquitto';

const run = promisify(execFile);

export interface MosquittoOptions {
  port?: number;
  /** only these users may connect (a password file made with mosquitto_passwd); default: anonymous */
  users?: Record<string, string>;
  /** serve TLS with this certificate and key (PEM files) */
  tls?: { cert: string; key: string };
}

/** A self-signed certificate for 127.0.0.1 (it is its own CA), written into `dir`. */
export async function selfSignedCert(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'broker-cert.pem');
  const key = join(dir, 'broker-key.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert]);
  return { cert, key };
}

async function writePasswords(file: string, users: Record<string, string>): Promise<void> {
  for (const [i, [user, password]] of Object.entries(users).entries()) {
    await run('mosquitto_passwd', [...(i === 0 ? ['-c'] : []), '-b', file, user, password]);
  }
}

export class Mosquitto {
  private child: ChildProcess | undefined;
  private log = '';

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly confPath: string,
    private readonly tls = false,
  ) {}

  /** Writes the config and starts the broker; resolves once it accepts connections. */
  static async start(opts: MosquittoOptions = {}): Promise<Mosquitto> {
    // fail (never skip) naming the fix: the MQTT suites are part of what CI must run
    if (!existsSync(MOSQUITTO)) throw new Error(`missing dependency: ${MOSQUITTO} not found: apt-get install mosquitto (or set LOOKOUT_MOSQUITTO)`);
    const port = opts.port ?? (await freePort());
    const dir = await mkdtemp(join(tmpdir(), 'lookout-mosquitto-'));
    const confPath = join(dir, 'mosquitto.conf');
    const passwords = join(dir, 'passwords');
    if (opts.users) await writePasswords(passwords, opts.users);
    const lines = [
      `listener ${port} 127.0.0.1`,
      ...(opts.tls ? [`certfile ${opts.tls.cert}`, `keyfile ${opts.tls.key}`] : []),
      ...(opts.users ? ['allow_anonymous false', `password_file ${passwords}`] : ['allow_anonymous true']),
      'persistence true',
      `persistence_location ${dir}/`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      // as root, mosquitto would switch to the `mosquitto` user, which cannot write our temporary directory
      ...(process.getuid?.() === 0 ? ['user root'] : []),
    ];
    await writeFile(confPath, lines.join('\n') + '\n');
    const broker = new Mosquitto(port, dir, confPath, opts.tls !== undefined);
    try {
      await broker.restart();
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return broker;
  }

  get url(): string {
    return `${this.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** What mosquitto logged (for assertion messages). */
  get output(): string {
    return this.log;
  }

  /** Starts it again (same port, same persistence) after `stop()`; resolves when it logs that it is running. */
  async restart(): Promise<void> {
    if (this.child) throw new Error('mosquitto is already running');
    const child = spawn(MOSQUITTO, ['-c', this.confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      const onData = (chunk: Buffer) => {
        const text = chunk.toString();
        seen += text;
        this.log += text;
        if (/mosquitto version \S+ running/.test(seen)) {
          cleanup();
          resolve();
        }
      };
      const onExit = (code: number | null) => {
        cleanup();
        this.child = undefined;
        reject(new Error(`mosquitto exited with ${code} before it was ready:\n${seen}`));
      };
      const onError = (err: Error) => {
        cleanup();
        this.child = undefined;
        reject(err);
      };
      const cleanup = () => {
        child.stderr?.off('data', onData);
        child.off('exit', onExit);
        child.off('error', onError);
        child.stderr?.on('data', (c: Buffer) => (this.log += c.toString()));
      };
      child.stderr?.on('data', onData);
      child.once('exit', onExit);
      child.once('error', onError);
    });
  }

  /** SIGTERM (mosquitto then saves its persistence file) and waits for the exit. Idempotent. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /**
   * Replaces the users of a broker started with `users` (an operator fixing the password file); takes effect at the
   * next `restart()`.
   */
  async setUsers(users: Record<string, string>): Promise<void> {
    await writePasswords(join(this.dir, 'passwords'), users);
  }

  /** Stops it and removes its directory. */
  async close(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
