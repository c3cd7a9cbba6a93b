// One camera's kept clips: a folder of `<event id>.mp4`, oldest first, within `maxBytes` and `days`. Files only (no
// ffmpeg): clips are made below and handed in by name. A clip open for a reader is never deleted under it; retention
// takes it out of the index at once and unlinks it at the last release.
import { readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClipHandle } from '../../core/clips.js';

export interface ClipStoreOptions {
  dir: string;
  /** 0: no limit */
  maxBytes: number;
  /** 0: no limit */
  days: number;
  now?: () => number;
  /** a clip was removed by retention (for the log) */
  onRemoved?: (id: string, why: string) => void;
}

interface Entry {
  id: string;
  path: string;
  bytes: number;
  at: number;
  readers: number;
  doomed: boolean;
}

/** Event ids are `<stream seconds>-<6 chars>`: nothing else becomes a file name. */
export const CLIP_ID = /^[0-9]+(?:\.[0-9]+)?-[A-Za-z0-9]{1,16}$/;

export class ClipStore {
  private readonly entries = new Map<string, Entry>();
  private total = 0;
  private readonly now: () => number;

  private constructor(private readonly opts: ClipStoreOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Finds the clips a previous run left (half-written `.part` files are removed), then applies retention. */
  static async create(opts: ClipStoreOptions): Promise<ClipStore> {
    const store = new ClipStore(opts);
    const found: Entry[] = [];
    for (const f of await readdir(opts.dir).catch(() => [] as string[])) {
      const path = join(opts.dir, f);
      if (f.endsWith('.part') || f.endsWith('.ffconcat')) {
        await rm(path, { force: true });
        continue;
      }
      const id = f.replace(/\.mp4$/, '');
      if (!f.endsWith('.mp4') || !CLIP_ID.test(id)) continue;
      const st = await stat(path).catch(() => undefined);
      if (st?.isFile()) found.push({ id, path, bytes: st.size, at: st.mtimeMs, readers: 0, doomed: false });
    }
    for (const e of found.sort((a, b) => a.at - b.at)) store.index(e);
    await store.enforce();
    return store;
  }

  /** Where the clip of an event is written (by the caller, atomically) before `added`. */
  pathFor(id: string): string {
    if (!CLIP_ID.test(id)) throw new RangeError(`not an event id: ${JSON.stringify(id)}`);
    return join(this.opts.dir, `${id}.mp4`);
  }

  get bytes(): number {
    return this.total;
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /**
   * Before a clip of `bytes` is moved into the folder: the oldest clips go until it fits `maxBytes`, so the clips on
   * disk are never over the budget, not even for a moment. A clip larger than the whole budget frees nothing here; it
   * is refused by `added`.
   */
  async makeRoom(bytes: number): Promise<void> {
    const { maxBytes } = this.opts;
    if (maxBytes <= 0 || bytes > maxBytes) return;
    for (const e of [...this.entries.values()]) {
      if (this.total + bytes <= maxBytes) break;
      await this.remove(e, `over record.retain.maxBytes (${maxBytes})`);
    }
  }

  /** A clip written at `pathFor(id)` joins the store; older ones go if the budget says so (a clip over the whole budget goes itself). */
  async added(id: string): Promise<void> {
    const path = this.pathFor(id);
    const st = await stat(path);
    const old = this.entries.get(id);
    if (old) this.drop(old);
    this.index({ id, path, bytes: st.size, at: this.now(), readers: 0, doomed: false });
    await this.enforce();
  }

  open(id: string): ClipHandle | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    e.readers++;
    let released = false;
    return {
      path: e.path,
      bytes: e.bytes,
      release: () => {
        if (released) return;
        released = true;
        e.readers--;
        if (e.doomed && e.readers === 0) void unlink(e.path).catch(() => undefined);
      },
    };
  }

  /** Removes oldest clips until `needBytes` are freed (low disk space); resolves to the bytes freed. */
  async free(needBytes: number, why = 'the disk is low on space'): Promise<number> {
    let freed = 0;
    for (const e of [...this.entries.values()]) {
      if (freed >= needBytes) break;
      freed += e.bytes;
      await this.remove(e, why);
    }
    return freed;
  }

  private index(e: Entry): void {
    this.entries.set(e.id, e);
    this.total += e.bytes;
  }

  private drop(e: Entry): void {
    this.entries.delete(e.id);
    this.total -= e.bytes;
  }

  private async remove(e: Entry, why: string): Promise<void> {
    this.drop(e);
    this.opts.onRemoved?.(e.id, why);
    if (e.readers > 0) e.doomed = true;
    else await unlink(e.path).catch(() => undefined);
  }

  /** Oldest first: past `days`, then until the total fits `maxBytes`. */
  private async enforce(): Promise<void> {
    const { maxBytes, days } = this.opts;
    const oldest = days > 0 ? this.now() - days * 86_400_000 : -Infinity;
    for (const e of [...this.entries.values()]) {
      const tooOld = e.at < oldest;
      const overBudget = maxBytes > 0 && this.total > maxBytes;
      if (!tooOld && !overBudget) break;
      await this.remove(e, tooOld ? `older than ${days} days` : `over record.retain.maxBytes (${maxBytes})`);
    }
  }
}
