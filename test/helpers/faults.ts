// Tools for fault-injection tests: poll for a condition, find the ffmpeg of one camera, take a clean heap figure, open
// raw WebSocket connections that misbehave, and run `lookout` as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { cliPath } from './assets.js';
import { childProcesses, type ProcessInfo } from './processes.js';

import { until } from '../../bench/support/until.js';

export { until };

/** The command line of a process ('' when it is gone). */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** The ffmpeg (not ffprobe) processes under `parent` whose command line contains `needle`. */
export function ffmpegsOf(needle: string, parent = process.pid): ProcessInfo[] {
  return childProcesses(parent).filter((p) => p.comm === 'ffmpeg' && p.state !== 'Z' && cmdline(p.pid).includes(needle));
}

/** True while the process exists and has not exited (a zombie has). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

let gcFn: (() => void) | undefined;
/** Heap in use after a full garbage collection, in MB (the flag is set at run time, so mocha needs no --expose-gc). */
export function heapAfterGcMB(): number {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
  return process.memoryUsage().heapUsed / (1024 * 1024);
}

/** A WebSocket opening handshake written by hand, so a test can then misbehave on the raw socket. */
export function rawWebSocket(port: number, path = '/ws', extraHeaders = ''): Promise<{ socket: Socket; response: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let response = '';
    const onData = (chunk: Buffer) => {
      response += chunk.toString('latin1');
      const end = response.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.off('error', reject);
      resolve({ socket, response: response.slice(0, end) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`,
    );
  });
}

/** Writes `bytes` on a fresh connection and resolves with everything the server says until it closes (or `timeoutMs`). */
export function rawExchange(port: number, bytes: Buffer | string, timeoutMs = 3000): Promise<{ answer: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ answer, closed: false });
    }, timeoutMs);
    socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ answer, closed: true });
    });
    socket.write(bytes);
  });
}

export interface LookoutChild {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** resolves with the exit code (null when killed by a signal) and how long after `since()` it came */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** resolves once stderr matches */
  waitForStderr(re: RegExp, timeoutMs?: number): Promise<void>;
}

/** `node dist/cli.js ARGS` with its output captured. */
export function spawnLookout(args: string[], env: NodeJS.ProcessEnv = {}): LookoutChild {
  const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForStderr: (re, timeoutMs = 30_000) => until(`stderr matching ${re}`, () => re.test(stderr), timeoutMs).then(() => undefined),
  };
}
