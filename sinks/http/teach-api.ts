// The Teach page's API (`/api/teach…`, behind the server's auth like every route): the crops a collect folder holds,
// its classes and their counts, moving a crop between `unlabelled/` and a class folder (assign, undo) or deleting it,
// and one training run at a time with its progress as server-sent events. Everything is plain files: a class is a
// folder `DIR/<class>/`, the layout `lookout eval` and `lookout train` read. Names that reach the file system are
// checked against narrow patterns (no `/`, no `.`), so no request can name a path outside the collect folder.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdir, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { CameraConfig } from '../../config/types.js';
import { describeError, isLookoutError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { TeachTrain, TeachTrainProgress, TeachTrainResult } from '../../core/teach.js';
import { UNLABELLED, type CropSidecar } from '../collect/collect-store.js';
import { HttpError } from './api.js';
import { sendJson } from './reply.js';

export interface TeachOptions {
  cameras: readonly CameraConfig[];
  /** trains `--arch head` on a collect folder; absent: the Train button answers 503 */
  train?: TeachTrain;
  logger: Logger;
}

/** A class: starts with a letter or digit; letters, digits, space, `_`, `-`; never `unlabelled`. */
const CLASS_NAME = /^[A-Za-z0-9][A-Za-z0-9_ -]{0,39}$/;
/** A crop's file name without its extension, as collect-store.ts makes them. */
const CROP_ID = /^[A-Za-z0-9_-]{1,160}$/;
/** A model name, as `lookout train --name` and the model cache take it. */
const MODEL_NAME = /^[a-z0-9_-]{1,64}$/;
const MAX_BODY = 16 * 1024;
/** unlabelled crops listed at most (oldest first); the page asks again as they are labelled */
const MAX_LISTED = 1000;

// `seq` grows with every change: the page gets states by two roads (the POST's answer and the event stream) and keeps
// the newest, so a fast failure seen on the stream is not overwritten by the POST's older `running`
type TrainingPhase =
  | { state: 'idle' }
  | { state: 'running'; dataset: number; name: string; progress?: TeachTrainProgress }
  | { state: 'done'; dataset: number; name: string; result: TeachTrainResult }
  | { state: 'failed'; dataset: number; name: string; error: string; code?: string };
type TrainingState = TrainingPhase & { seq: number };

export function isClassName(name: unknown): name is string {
  return typeof name === 'string' && CLASS_NAME.test(name) && name.toLowerCase() !== UNLABELLED;
}

export class TeachApi {
  /** the distinct collect folders of the cameras that collect, in camera order */
  readonly datasets: string[];
  private training: TrainingState = { seq: 0, state: 'idle' };
  private abort: AbortController | undefined;
  private readonly listeners = new Set<ServerResponse>();

  constructor(private readonly opts: TeachOptions) {
    this.datasets = [...new Set(opts.cameras.filter((c) => c.collect.enabled).map((c) => c.collect.dir))];
  }

  /** Routes `/api/teach…`; returns false for any other path. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname;
    if (path !== '/api/teach' && !path.startsWith('/api/teach/')) return false;
    const method = req.method ?? 'GET';
    const get = method === 'GET' || method === 'HEAD';
    const post = method === 'POST';
    if (path === '/api/teach' && get) return sendJson(res, 200, await this.overview(this.dataset(url.searchParams.get('dataset')))), true;
    if (path === '/api/teach/image' && get) return await this.image(res, url), true;
    if (path === '/api/teach/train/events' && get) return this.events(req, res), true;
    if (path === '/api/teach/train' && get) return sendJson(res, 200, this.training), true;
    const routes: Record<string, (body: Record<string, unknown>) => Promise<[number, unknown]>> = {
      '/api/teach/classes': (b) => this.createClass(b),
      '/api/teach/move': (b) => this.move(b),
      '/api/teach/delete': (b) => this.remove(b),
      '/api/teach/train': (b) => this.train(b),
    };
    const route = routes[path];
    if (!route) return false;
    if (!post) throw new HttpError(405, `use POST with a JSON body`);
    const [status, body] = await route(await readJson(req));
    return sendJson(res, status, body), true;
  }

  /** Ends the progress streams and stops a training run (its files are not written). */
  close(): void {
    this.abort?.abort();
    for (const r of this.listeners) r.end();
    this.listeners.clear();
  }

  private dataset(v: unknown): number {
    const i = v === null || v === undefined ? 0 : Number(v);
    if (!Number.isInteger(i) || i < 0 || i >= this.datasets.length) {
      throw new HttpError(this.datasets.length === 0 ? 404 : 400, this.datasets.length === 0 ? 'no camera collects crops (set collect.enabled on a camera)' : `dataset: expected 0..${this.datasets.length - 1}`);
    }
    return i;
  }

  /** `unlabelled` or an existing class folder, else 400/404. */
  private async folder(dataset: number, v: unknown): Promise<string> {
    if (v === UNLABELLED) return join(this.datasets[dataset]!, UNLABELLED);
    if (!isClassName(v)) throw new HttpError(400, `a class name is 1-40 letters, digits, spaces, _ or - (and not "${UNLABELLED}")`);
    const dir = join(this.datasets[dataset]!, v);
    if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) throw new HttpError(404, `no class ${JSON.stringify(v)}`);
    return dir;
  }

  private cropId(v: unknown): string {
    if (typeof v !== 'string' || !CROP_ID.test(v)) throw new HttpError(400, 'id: a crop id is letters, digits, _ and - only');
    return v;
  }

  private async classes(dataset: number): Promise<{ name: string; count: number }[]> {
    const root = this.datasets[dataset]!;
    const dirs = (await readdir(root, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory() && isClassName(e.name)).map((e) => e.name).sort();
    return Promise.all(dirs.map(async (name) => ({ name, count: (await readdir(join(root, name)).catch(() => [])).filter((f) => f.endsWith('.jpg') && !f.startsWith('.')).length })));
  }

  private async overview(dataset: number): Promise<unknown> {
    const dir = join(this.datasets[dataset]!, UNLABELLED);
    const names = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json') && !f.startsWith('.'));
    const crops: (Pick<CropSidecar, 'kind' | 'camera' | 'label' | 'time' | 'score'> & { id: string })[] = [];
    for (const f of names) {
      const id = f.slice(0, -'.json'.length);
      if (!CROP_ID.test(id)) continue;
      const s = await readFile(join(dir, f), 'utf8').then((t) => JSON.parse(t) as CropSidecar, () => undefined);
      // the sidecar is written after the JPEG: a crop whose JPEG is gone (being moved) is not listed
      if (!s || !(await stat(join(dir, `${id}.jpg`)).then(() => true, () => false))) continue;
      crops.push({ id, kind: s.kind, camera: s.camera, label: s.label, time: s.time, ...(s.score !== undefined ? { score: s.score } : {}) });
    }
    crops.sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
    return {
      datasets: this.datasets.map((d, index) => ({ index, dir: d })),
      dataset,
      classes: await this.classes(dataset),
      unlabelled_total: crops.length,
      unlabelled: crops.slice(0, MAX_LISTED),
      training: this.training,
    };
  }

  private async image(res: ServerResponse, url: URL): Promise<void> {
    const dataset = this.dataset(url.searchParams.get('dataset'));
    const dir = await this.folder(dataset, url.searchParams.get('folder'));
    const id = this.cropId(url.searchParams.get('id'));
    const jpeg = await readFile(join(dir, `${id}.jpg`)).catch(() => undefined);
    if (!jpeg) throw new HttpError(404, `no crop ${id}`);
    res.writeHead(200, { 'content-type': 'image/jpeg', 'cache-control': 'private, max-age=3600', 'content-length': jpeg.length });
    res.end(jpeg);
  }

  private async createClass(b: Record<string, unknown>): Promise<[number, unknown]> {
    const dataset = this.dataset(b.dataset);
    if (!isClassName(b.name)) throw new HttpError(400, `name: a class name is 1-40 letters, digits, spaces, _ or - (and not "${UNLABELLED}")`);
    await mkdir(join(this.datasets[dataset]!, b.name), { recursive: true });
    return [201, { classes: await this.classes(dataset) }];
  }

  /** Moves a crop (JPEG and sidecar) between `unlabelled` and a class, or between classes: assign and undo. */
  private async move(b: Record<string, unknown>): Promise<[number, unknown]> {
    const dataset = this.dataset(b.dataset);
    const id = this.cropId(b.id);
    const from = await this.folder(dataset, b.from);
    const to = await this.folder(dataset, b.to);
    if (await stat(join(to, `${id}.jpg`)).then(() => true, () => false)) throw new HttpError(409, `${b.to} already has a crop ${id}`);
    try {
      await rename(join(from, `${id}.jpg`), join(to, `${id}.jpg`));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new HttpError(404, `no crop ${id} in ${String(b.from)}`);
      throw err;
    }
    await rename(join(from, `${id}.json`), join(to, `${id}.json`)).catch(() => undefined);
    return [200, { classes: await this.classes(dataset) }];
  }

  private async remove(b: Record<string, unknown>): Promise<[number, unknown]> {
    const dataset = this.dataset(b.dataset);
    const id = this.cropId(b.id);
    const from = await this.folder(dataset, b.from);
    try {
      await unlink(join(from, `${id}.jpg`));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new HttpError(404, `no crop ${id} in ${String(b.from)}`);
      throw err;
    }
    await unlink(join(from, `${id}.json`)).catch(() => undefined);
    return [200, { classes: await this.classes(dataset) }];
  }

  private async train(b: Record<string, unknown>): Promise<[number, unknown]> {
    const dataset = this.dataset(b.dataset);
    if (typeof b.name !== 'string' || !MODEL_NAME.test(b.name)) throw new HttpError(400, 'name: a model name is 1-64 of a-z, 0-9, _ and -');
    if (!this.opts.train) throw new HttpError(503, 'training is not available in this server');
    if (this.training.state === 'running') throw new HttpError(409, `a model (${this.training.name}) is being trained; one at a time`);
    const name = b.name;
    const abort = new AbortController();
    this.abort = abort;
    this.set({ state: 'running', dataset, name });
    const log = this.opts.logger.child({ component: 'teach' });
    log.info(`training ${name} on ${this.datasets[dataset]}`);
    this.opts
      .train({ dataset: this.datasets[dataset]!, name, signal: abort.signal, onProgress: (progress) => this.set({ state: 'running', dataset, name, progress }) })
      .then(
        (result) => {
          log.info(`trained ${name}: accuracy ${(result.metrics.accuracy * 100).toFixed(1)} % on ${result.metrics.classes.reduce((n, c) => n + c.support, 0)} test crops; ${result.files.model}`);
          this.set({ state: 'done', dataset, name, result });
        },
        (err: unknown) => {
          log.warn(`training ${name} failed: ${describeError(err)}`);
          this.set({ state: 'failed', dataset, name, error: describeError(err), ...(isLookoutError(err) ? { code: err.code } : {}) });
        },
      )
      .finally(() => {
        if (this.abort === abort) this.abort = undefined;
      });
    return [202, this.training];
  }

  private set(change: TrainingPhase): void {
    this.training = { ...change, seq: this.training.seq + 1 };
    const data = `data: ${JSON.stringify(this.training)}\n\n`;
    for (const r of this.listeners) r.write(data);
  }

  /** Server-sent events: the training state now, then each change. */
  private events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(`data: ${JSON.stringify(this.training)}\n\n`);
    this.listeners.add(res);
    req.once('close', () => this.listeners.delete(res));
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new HttpError(413, `the body is over ${MAX_BODY} bytes`);
    chunks.push(c);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'the body is not a JSON object');
  return body as Record<string, unknown>;
}
