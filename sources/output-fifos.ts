// Named pipes for ffmpeg's frame outputs. A pipe from child_process hands each read to JS in a freshly allocated chunk
// (64 KiB at a time, 2.7 MB a 720p picture): at 24 cameras the main thread spent about half its time faulting those
// chunks in, copying them into the frames' shared buffers and collecting them. A named pipe is opened here as a
// net.Socket whose reads land in buffers the reader chooses (`onread`): straight into the frame's pooled buffer.
// FIFOs are made in batches by one `mkfifo` (a spawn costs tens of ms in a large process), reused once the child that
// wrote to one has exited and its reader has closed, and removed with their folder when the process exits; folders a
// killed Lookout left behind (its pid is in the name) are removed by the next one.
import { execFile } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where reads go and what arrived: `FrameSplitter.target/received`. `received` returning false pauses the reader. */
export interface DirectSink {
  target(): Uint8Array;
  received(buf: Uint8Array, n: number): boolean;
}

/** A FIFO opened for one child: `writeFd` goes to the child's stdio (the parent closes its copy after the spawn). */
export interface OpenFifo {
  path: string;
  readFd: number;
  writeFd: number;
}

const BATCH = 16;
const DIR_PREFIX = 'lookout-fifo-';

/** Removes the FIFO folders in `dir` whose Lookout is gone (killed: no exit handler ran); returns what it removed. */
export function sweepStaleFifoDirs(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = name.startsWith(DIR_PREFIX) ? /^(\d+)-/.exec(name.slice(DIR_PREFIX.length)) : null;
    if (!m || isAlive(Number(m[1]))) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, someone else's
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

class FifoPool {
  private dir: string | undefined;
  private readonly free: string[] = [];
  private made = 0;
  private making: Promise<void> | undefined;
  /** set once mkfifo failed (not installed, a filesystem without FIFOs): pipes are used instead */
  private unavailable = false;

  /** A FIFO opened at both ends, or undefined where FIFOs cannot be made (callers use ordinary pipes). */
  async open(): Promise<OpenFifo | undefined> {
    for (;;) {
      while (this.free.length === 0 && !this.unavailable) {
        this.making ??= this.makeBatch().finally(() => (this.making = undefined));
        await this.making;
      }
      const path = this.free.pop();
      if (path === undefined) return undefined;
      let readFd: number;
      try {
        // the read end first, without waiting for a writer; then the write end, which a reader lets open at once
        readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        // the folder was cleaned away under a long run (a temp cleaner): start a new one
        this.dir = undefined;
        this.free.length = 0;
        continue;
      }
      try {
        return { path, readFd, writeFd: openSync(path, constants.O_WRONLY) };
      } catch (err) {
        closeSync(readFd);
        throw err;
      }
    }
  }

  /** The FIFO may carry another child's output: its writer has exited and its reader is closed. */
  release(path: string): void {
    this.free.push(path);
  }

  private async makeBatch(): Promise<void> {
    if (!this.dir) {
      sweepStaleFifoDirs(tmpdir());
      this.dir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`));
      const dir = this.dir;
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    }
    const paths = Array.from({ length: BATCH }, () => join(this.dir!, `${this.made++}.fifo`));
    const ok = await new Promise<boolean>((resolve) => execFile('mkfifo', ['-m', '600', ...paths], (err) => resolve(!err)));
    if (ok) this.free.push(...paths);
    else this.unavailable = true;
  }
}

export const outputFifos = new FifoPool();

/** Reads a FIFO's bytes into the sink's buffers; `closed` settles when the writer is done and all was read, or on `destroy`. */
export class DirectReader {
  readonly closed: Promise<void>;
  private readonly socket: Socket;

  constructor(fd: number, sink: DirectSink) {
    const onread: OnReadOpts = { buffer: () => sink.target(), callback: (n, buf) => sink.received(buf, n) };
    // Node takes `onread` for any socket; its types list it for connect() only
    this.socket = new Socket({ fd, readable: true, writable: false, onread } as SocketConstructorOpts);
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
    // a reader torn down mid-read reports nothing more; the child's exit says what went wrong
    this.socket.on('error', () => undefined);
    this.socket.on('end', () => this.socket.destroy());
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
