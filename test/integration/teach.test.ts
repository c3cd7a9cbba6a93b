// The Teach page in a real browser (headless Chromium): crops a collect folder holds are labelled with number keys and
// clicks, an assignment undone, one deleted, and the files checked on disk; then the Train button trains a classifier
// (MobileNetV2 int8 features + head, in-process) with live progress and shows its evaluation report.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NEVER } from 'rxjs';
import sharp from 'sharp';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parseConfig } from '../../config/load.js';
import { Logger } from '../../core/logger.js';
import { seededRandom } from '../../core/random.js';
import { teachTrainer } from '../../pipeline/teach-train.js';
import type { CropSidecar } from '../../sinks/collect/collect-store.js';
import { HttpServer } from '../../sinks/http/http-server.js';
import type { ApiInputs } from '../../sinks/http/api.js';
import { Snapshots } from '../../sinks/snapshot/snapshots.js';
import { assetsDir, repoRoot, requireAsset } from '../helpers/assets.js';
import { glyph } from '../helpers/glyphs.js';
import { useTmpDir } from '../helpers/tmp.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'teach-test-token';
const quiet = new Logger({ level: 'error', json: false, write: () => undefined });

/** The HTTP server's inputs from a system with no camera frames (the Teach page reads only the collect folder). */
function idleInputs(): ApiInputs {
  return {
    results$: NEVER,
    updates$: NEVER,
    snapshot: () => ({ at: Date.now(), uptimeSeconds: 1, cameras: {}, detector: { provider: 'cpu', dynamicBatch: false, batches: 0, frames: 0, avgBatchSize: 0, regionsPerBatch: 0, inferenceMsP50: 0, inferenceMsP95: 0, queueDepth: 0, latencyMsP50: 0, latencyMsP95: 0, status: 'running', restarts: 0, error: null } }),
    stats: { inferenceHistogram: { sum: 0, count: 0, buckets: () => [] } },
    frames: { latest: () => undefined },
    detectImage: () => Promise.reject(new Error('no detector here')),
    failure: undefined,
  };
}

describe('Teach page in a real browser (headless Chromium)', function () {
  this.timeout(180000);
  const tmp = useTmpDir('lookout-teach-');
  let browser: Browser;
  let server: HttpServer;
  let snapshots: Snapshots;
  let dir: string;
  let modelsDir: string;
  /** crop id → the class it truly is */
  const truth = new Map<string, 'bar-h' | 'bar-v' | 'junk'>();

  before(async function () {
    if (!existsSync(CHROMIUM)) throw new Error(`missing dependency: ${CHROMIUM} not found: apt-get install chromium (.ci/run does)`);
    requireAsset(this, 'models/mobilenetv2-12-int8.onnx');
    dir = join(tmp(), 'collect');
    modelsDir = join(tmp(), 'models');
    const unlabelled = join(dir, 'unlabelled');
    await mkdir(unlabelled, { recursive: true });
    const random = seededRandom(3);
    // 12 crops of horizontal and vertical bars, and one to delete; times in this order (the page lists oldest first)
    const kinds = [...Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 'bar-h' : 'bar-v') as 'bar-h' | 'bar-v'), 'junk' as const];
    for (const [i, kind] of kinds.entries()) {
      const id = `object_yard_thing_${1_700_000_000_000 + i * 1000}_${String(i).padStart(6, '0')}`;
      const grey = kind === 'junk' ? new Uint8Array(64 * 64).fill(128) : glyph(kind, 64, random);
      await sharp(Buffer.from(grey), { raw: { width: 64, height: 64, channels: 1 } }).toColourspace('srgb').jpeg().toFile(join(unlabelled, `${id}.jpg`));
      const sidecar: CropSidecar = { kind: 'object', camera: 'yard', label: 'thing', time: 1_700_000_000 + i, score: 0.9, box: [0, 0, 64, 64], crop: [0, 0, 64, 64], picture: [640, 360], event_id: `1700000000.000000-${String(i).padStart(6, 'a')}` };
      await writeFile(join(unlabelled, `${id}.json`), JSON.stringify(sidecar));
      truth.set(id, kind);
    }
    const config = parseConfig(
      {
        model: { path: 'unused.onnx', adapter: 'yolox' },
        cameras: [
          { name: 'yard', url: 'unused.mp4', collect: { enabled: true, dir } },
          { name: 'gate', url: 'unused.mp4', collect: { enabled: true, dir: join(tmp(), 'gate') } },
        ],
        http: { port: 0, host: '127.0.0.1', auth: { token: TOKEN } },
      },
      { env: {} },
    );
    const inputs = idleInputs();
    snapshots = new Snapshots(inputs.updates$, inputs.frames, quiet);
    const teachTrain = teachTrainer({ outDir: modelsDir, lookoutVersion: 'test', logger: quiet, registry: { from: assetsDir, cacheDir: join(tmp(), 'cache'), offline: true } });
    server = await HttpServer.create(inputs, { host: '127.0.0.1', port: 0, auth: { token: TOKEN }, logger: quiet, cameras: config.cameras, snapshots, maxUploadBytes: 100000, eventsKept: 100, teachTrain });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    snapshots?.close();
  });

  const jpgs = async (folder: string) => (await readdir(join(dir, folder)).catch(() => [] as string[])).filter((f) => f.endsWith('.jpg')).map((f) => f.slice(0, -4)).sort();
  const shownCounts = (page: Page) => page.$$eval('#classes button.class', (bs) => Object.fromEntries(bs.map((b) => [b.getAttribute('data-class'), Number(b.querySelector('.count')!.textContent)])));
  const picked = (page: Page) => page.$eval('.crop[aria-selected="true"]', (f) => (f as HTMLElement).dataset.id!);
  const api = (path: string, body?: unknown, token = TOKEN) =>
    fetch(`${server.url}${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  it('is behind the same auth as the dashboard', async () => {
    assert.equal((await fetch(`${server.url}/teach`)).status, 401);
    assert.equal((await fetch(`${server.url}/api/teach`)).status, 401);
    assert.equal((await api('/api/teach', undefined, 'wrong')).status, 401);
    assert.equal((await api('/api/teach')).status, 200);
  });

  it('labels crops with number keys and clicks, undoes one, deletes one; files move on disk and counts show', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // the token in the address once: the server answers with a cookie the page's own requests carry
    await page.goto(`${server.url}/teach?token=${TOKEN}`);
    await page.waitForFunction(() => document.querySelectorAll('.crop').length === 13);
    // every thumbnail loads (through the authenticated image route)
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.crop img')].every((i) => i.complete && i.naturalWidth === 64));

    for (const name of ['bar-h', 'bar-v']) {
      await page.fill('#class-name', name);
      await page.click('#new-class button[type="submit"]');
      await page.waitForSelector(`#classes button[data-class="${name}"]`);
    }
    assert.deepEqual(await shownCounts(page), { 'bar-h': 0, 'bar-v': 0 });

    // key 1 = bar-h, key 2 = bar-v (classes in name order); the picked crop is the oldest left
    let last = '';
    for (let n = 0; n < 12; n++) {
      const id = await picked(page);
      const kind = truth.get(id)!;
      assert.notEqual(kind, 'junk', 'crops are listed oldest first');
      await page.keyboard.press(kind === 'bar-h' ? '1' : '2');
      await page.waitForFunction((id) => !document.querySelector(`.crop[data-id="${id}"]`), id);
      last = id;
    }
    await page.waitForFunction(() => document.querySelectorAll('.crop').length === 1);
    assert.deepEqual(await shownCounts(page), { 'bar-h': 6, 'bar-v': 6 });

    // undo: the last crop goes back to unlabelled, on disk and on the page
    await page.keyboard.press('u');
    await page.waitForSelector(`.crop[data-id="${last}"]`);
    assert.deepEqual(await shownCounts(page), { 'bar-h': 6, 'bar-v': 5 });
    assert.ok((await jpgs('unlabelled')).includes(last));
    assert.ok(!(await jpgs('bar-v')).includes(last));
    assert.ok(existsSync(join(dir, 'unlabelled', `${last}.json`)), 'the sidecar came back with it');

    // assign it again with clicks: pick the crop, then the class
    await page.click(`.crop[data-id="${last}"]`);
    await page.click('#classes button[data-class="bar-v"]');
    await page.waitForFunction((id) => !document.querySelector(`.crop[data-id="${id}"]`), last);

    // the junk crop: deleted with the Delete key
    const junk = await picked(page);
    assert.equal(truth.get(junk), 'junk');
    await page.keyboard.press('Delete');
    await page.waitForSelector('#empty:not([hidden])');
    assert.deepEqual(await shownCounts(page), { 'bar-h': 6, 'bar-v': 6 });

    // plain files: one folder per class with exactly its crops (and their sidecars), nothing left unlabelled
    const want = (k: string) => [...truth].filter(([, v]) => v === k).map(([id]) => id).sort();
    assert.deepEqual(await jpgs('bar-h'), want('bar-h'));
    assert.deepEqual(await jpgs('bar-v'), want('bar-v'));
    assert.deepEqual(await readdir(join(dir, 'unlabelled')), []);
    assert.ok(existsSync(join(dir, 'bar-h', `${want('bar-h')[0]}.json`)));
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('refuses names that would leave the collect folder', async () => {
    const before = await readdir(tmp());
    const id = (await jpgs('bar-h'))[0]!;
    for (const body of [
      { id: '../../../escape', from: 'bar-h', to: 'bar-v' },
      { id, from: 'bar-h', to: '../outside' },
      { id, from: '..', to: 'bar-v' },
      { id, from: 'bar-h', to: '/tmp' },
      { id: 'a/b', from: 'bar-h', to: 'bar-v' },
    ]) {
      const r = await api('/api/teach/move', body);
      assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status}`);
    }
    for (const name of ['..', '../x', '.hidden', 'a/b', 'unlabelled', '']) assert.equal((await api('/api/teach/classes', { name })).status, 400, name);
    assert.equal((await api('/api/teach/delete', { id: '../collect/bar-h/x', from: 'bar-h' })).status, 400);
    assert.equal((await api(`/api/teach/image?folder=..&id=x`)).status, 400);
    assert.equal((await api(`/api/teach/image?folder=bar-h&id=${encodeURIComponent('../bar-v/x')}`)).status, 400);
    assert.equal((await api(`/api/teach/image?folder=bar-h&id=${id}`)).status, 200);
    assert.equal((await api('/api/teach/move', { id: 'not-there', from: 'bar-h', to: 'bar-v' })).status, 404);
    for (const name of ['../x', 'Bars', '']) assert.equal((await api('/api/teach/train', { name })).status, 400, name);
    assert.equal((await api('/api/teach?dataset=2')).status, 400);
    assert.deepEqual(await readdir(tmp()), before, 'nothing made outside');
    assert.deepEqual((await readdir(dir)).sort(), ['bar-h', 'bar-v', 'unlabelled']);
  });

  it('trains from the Train button with live progress (a second press is refused) and shows the evaluation report', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/teach?token=${TOKEN}`);
    await page.waitForSelector('#classes button[data-class="bar-v"]');
    await page.fill('#model-name', 'bars');
    await page.click('#train-button');
    await page.waitForSelector('#training[data-state="running"]');
    assert.equal(await page.isDisabled('#train-button'), true);
    const second = await page.evaluate(async () => (await fetch('/api/teach/train', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"other"}' })).status);
    assert.equal(second, 409);
    // progress arrives over the event stream while it runs
    await page.waitForFunction(() => /reading crops \d+\/12|checking/.test(document.getElementById('train-status')?.textContent ?? ''), null, { timeout: 120000 });
    await page.waitForSelector('#training[data-state="done"]', { timeout: 150000 });
    const accuracy = (await page.textContent('#report .accuracy')) ?? '';
    assert.match(accuracy, /^accuracy \d+\.\d % \(\d+ of \d+ test crops\)$/);
    const rows = await page.$$eval('#report table.per-class tr[data-class]', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.deepEqual(rows.map((r) => r[0]), ['bar-h', 'bar-v']);
    for (const r of rows) assert.match(r[1]!, /^\d+\.\d %$/);
    const confusion = await page.$$eval('#report table.confusion tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    assert.deepEqual(confusion[0], ['true \\ predicted', 'bar-h', 'bar-v']);
    assert.equal(confusion.length, 3);
    // the report's numbers are the server's, and the model is where it says
    const state = (await (await api('/api/teach/train')).json()) as { state: string; result: { files: { model: string }; metrics: { accuracy: number; confusion: number[][] } } };
    assert.equal(state.state, 'done');
    assert.match(accuracy, new RegExp(`^accuracy ${(state.result.metrics.accuracy * 100).toFixed(1)} %`));
    assert.deepEqual(confusion.slice(1).map((r) => r.slice(1).map(Number)), state.result.metrics.confusion);
    assert.equal(state.result.files.model, join(modelsDir, 'bars.onnx'));
    assert.ok(existsSync(state.result.files.model));
    await mkdir(join(repoRoot, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(repoRoot, 'test-artifacts', 'teach.png'), fullPage: true });
    // the staging view is gone; the collect folder is as the user left it
    assert.deepEqual((await readdir(dir)).sort(), ['bar-h', 'bar-v', 'unlabelled']);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('shows why training failed (one class only), on the second collect folder picked in the page', async () => {
    // the gate camera's folder: one class with crops, one still empty
    const gate = join(tmp(), 'gate');
    for (const cls of ['open', 'closed']) await mkdir(join(gate, cls), { recursive: true });
    for (let i = 0; i < 3; i++) await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 40 * i, g: 90, b: 90 } } }).jpeg().toFile(join(gate, 'open', `c${i}.jpg`));
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/teach?token=${TOKEN}`);
    await page.waitForSelector('#dataset:not([hidden])');
    await page.selectOption('#dataset', '1');
    await page.waitForFunction(() => document.querySelector('#classes button[data-class="open"] .count')?.textContent === '3');
    assert.equal(await page.textContent('#classes button[data-class="closed"] .count'), '0');
    await page.fill('#model-name', 'gate');
    await page.click('#train-button');
    await page.waitForSelector('#training[data-state="failed"]', { timeout: 60000 });
    const status = (await page.textContent('#train-status')) ?? '';
    assert.match(status, /training gate failed: .*only class "open" has examples; a classifier needs at least 2 classes/);
    assert.ok(!status.includes('.train-view'), `the message names the collect folder, not the staging view: ${status}`);
    assert.deepEqual((await readdir(gate)).sort(), ['closed', 'open'], 'no staging view left behind');
    assert.ok(!existsSync(join(modelsDir, 'gate.onnx')));
    assert.deepEqual(errors, []);
    await page.close();
  });
});
