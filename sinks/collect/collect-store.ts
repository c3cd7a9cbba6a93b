// Writes collected crops into `DIR/unlabelled/` as `NAME.jpg` + `NAME.json` (the sidecar is written last, atomically: a
// crop is complete once its sidecar exists). One store per folder, shared by the cameras that collect into it.
// Off the hot path: crops wait in a short queue (full: the crop is dropped and counted) and are encoded (sharp, in
// libvips' threads) and written one at a time. Bounded: at most `maxPerClass` unlabelled crops per label or state and
// `maxBytes` under the whole folder; when a bound is reached new crops are NOT saved (nothing the user has not seen is
// deleted behind their back) until crops are labelled or deleted, which a rescan of the folder notices.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Logger } from '../../core/logger.js';
import type { Box } from '../../core/types.js';
import { describeCrop, similarity, type Crop } from './crop.js';

export const UNLABELLED = 'unlabelled';

/** The JSON sidecar of a collected crop. */
export interface CropSidecar {
  kind: 'object' | 'state';
  camera: string;
  /** the object's label, or the state's name */
  label: string;
  /** epoch seconds of the frame */
  time: number;
  /** the object's score in that frame (objects only) */
  score?: number;
  /** the object's box (or the state's) in source pixels */
  box: Box;
  /** the crop in picture pixels: [x, y, width, height], of a picture of `picture` [width, height] */
  crop: [number, number, number, number];
  picture: [number, number];
  /** the object's event id (objects only) */
  event_id?: string;
}

export interface CollectLimits {
  maxPerClass: number;
  /** 0: no limit */
  maxBytes: number;
  duplicateSimilarity: number;
}

export interface CollectCounts {
  saved: number;
  /** near-duplicates of a recent crop of the same camera and label */
  duplicates: number;
  /** not saved because a bound was reached */
  full: number;
  /** dropped because the write queue was full */
  dropped: number;
  failed: number;
}

const QUEUE = 8;
/** descriptors of the last crops saved, per camera and label, that a new one is compared with */
const RECENT = 64;
/** the folder is counted again at most this often when a bound is reached (the Teach page moves crops out) */
const RESCAN_MS = 5000;

interface Job {
  crop: Crop;
  sidecar: CropSidecar;
}

/** A file name part: letters, digits, `_` and `-` only (labels may have spaces). */
export const namePart = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40);

export class CollectStore {
  readonly counts: CollectCounts = { saved: 0, duplicates: 0, full: 0, dropped: 0, failed: 0 };
  private readonly queue: Job[] = [];
  private running: Promise<void> | undefined;
  private readonly recent = new Map<string, Float32Array[]>();
  private perClass = new Map<string, number>();
  private bytes = 0;
  private scanned = -Infinity;
  private closed = false;
  private warnedFull = false;
  /** resolves when the queue is empty (tests, close) */
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly dir: string,
    private readonly limits: CollectLimits,
    private readonly logger: Logger,
  ) {}

  /** Queues a crop; returns false when the queue is full (the crop is dropped) or the store is closed. */
  add(crop: Crop, sidecar: CropSidecar): boolean {
    if (this.closed) return false;
    if (this.queue.length >= QUEUE) {
      this.counts.dropped++;
      return false;
    }
    this.queue.push({ crop, sidecar });
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
      for (const w of this.idleWaiters.splice(0)) w();
    });
    return true;
  }

  /** Resolves once every queued crop is written (or skipped). */
  idle(): Promise<void> {
    return this.running ? new Promise((resolve) => this.idleWaiters.push(resolve)) : Promise.resolve();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }

  private async drain(): Promise<void> {
    for (let job = this.queue.shift(); job; job = this.queue.shift()) {
      try {
        await this.save(job);
      } catch (err) {
        this.counts.failed++;
        this.logger.warn(`collect: cannot save a crop of ${job.sidecar.camera}/${job.sidecar.label} into ${this.dir}: ${(err as Error).message}`, { component: 'collect', camera: job.sidecar.camera });
      }
    }
  }

  private async save({ crop, sidecar }: Job): Promise<void> {
    const key = `${sidecar.camera}\u0000${sidecar.label}`;
    const descriptor = describeCrop(crop);
    const recent = this.recent.get(key) ?? [];
    if (recent.some((d) => similarity(d, descriptor) >= this.limits.duplicateSimilarity)) {
      this.counts.duplicates++;
      return;
    }
    const jpeg = await sharp(crop.rgb, { raw: { width: crop.rect.width, height: crop.rect.height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
    const json = Buffer.from(`${JSON.stringify(sidecar, null, 2)}\n`);
    if (!(await this.fits(sidecar.label, jpeg.length + json.length))) {
      this.counts.full++;
      return;
    }
    const folder = join(this.dir, UNLABELLED);
    await mkdir(folder, { recursive: true });
    const ms = Math.round(sidecar.time * 1000);
    const name = `${sidecar.kind}_${namePart(sidecar.camera)}_${namePart(sidecar.label)}_${ms}_${randomBytes(3).toString('hex')}`;
    const tmp = (f: string) => join(folder, `.${f}.tmp`);
    await writeFile(tmp(`${name}.jpg`), jpeg);
    await rename(tmp(`${name}.jpg`), join(folder, `${name}.jpg`));
    await writeFile(tmp(`${name}.json`), json);
    await rename(tmp(`${name}.json`), join(folder, `${name}.json`));
    this.bytes += jpeg.length + json.length;
    this.perClass.set(sidecar.label, (this.perClass.get(sidecar.label) ?? 0) + 1);
    recent.push(descriptor);
    if (recent.length > RECENT) recent.shift();
    this.recent.set(key, recent);
    this.counts.saved++;
    this.warnedFull = false;
  }

  /** Whether `bytes` more fit under both bounds; the folder is counted again when they seem not to. */
  private async fits(label: string, bytes: number): Promise<boolean> {
    const ok = () => (this.perClass.get(label) ?? 0) < this.limits.maxPerClass && (this.limits.maxBytes === 0 || this.bytes + bytes <= this.limits.maxBytes);
    if (ok() && this.scanned > -Infinity) return true;
    if (Date.now() - this.scanned >= RESCAN_MS) await this.scan();
    if (ok()) return true;
    if (!this.warnedFull) {
      this.warnedFull = true;
      this.logger.warn(`collect: ${this.dir} is full (at most ${this.limits.maxPerClass} unlabelled crops of ${label}, ${this.limits.maxBytes} bytes in all): new crops are not saved until some are labelled or deleted`, { component: 'collect' });
    }
    return false;
  }

  /** Counts the bytes under the folder (class folders included) and the unlabelled crops per label. */
  private async scan(): Promise<void> {
    this.scanned = Date.now();
    const perClass = new Map<string, number>();
    let bytes = 0;
    const entries = await readdir(this.dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const sub = join(this.dir, e.name);
      for (const f of await readdir(sub, { withFileTypes: true }).catch(() => [])) {
        if (!f.isFile()) continue;
        bytes += (await stat(join(sub, f.name)).catch(() => ({ size: 0 }))).size;
        if (e.name === UNLABELLED && f.name.endsWith('.json') && !f.name.startsWith('.')) {
          const label = await readFile(join(sub, f.name), 'utf8').then((t) => (JSON.parse(t) as CropSidecar).label, () => undefined);
          if (typeof label === 'string') perClass.set(label, (perClass.get(label) ?? 0) + 1);
        }
      }
    }
    this.perClass = perClass;
    this.bytes = bytes;
  }
}
