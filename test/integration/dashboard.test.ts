import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { parseConfig } from '../../config/load.js';
import { Logger } from '../../core/logger.js';
import { Runtime } from '../../pipeline/runtime.js';
import { HttpServer } from '../../sinks/http/http-server.js';
import { colourFor } from '../../sinks/snapshot/render.js';
import { Snapshots } from '../../sinks/snapshot/snapshots.js';
import { WebSocketSink } from '../../sinks/websocket-sink.js';
import { repoRoot } from '../helpers/assets.js';
import { until } from '../helpers/faults.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { DEFAULT_SCENE, renderSquareClip, squarePosition, type SquareScene } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

const CHROMIUM = '/usr/bin/chromium';
const quiet = new Logger({ level: 'error', json: false, write: () => undefined });

describe('dashboard in a real browser (headless Chromium)', function () {
  this.timeout(90000);
  const tmp = useTmpDir('lookout-dashboard-');
  // the square crosses and leaves, so the events list gets a `new` and an `end` on every loop
  const scene: SquareScene = { ...DEFAULT_SCENE, width: 480, height: 270, duration: 4, size: 48, x0: 10, y0: 110, vx: 160, vy: 0 };
  let browser: Browser;
  let runtime: Runtime;
  let server: HttpServer;
  let ws: WebSocketSink;
  let snapshots: Snapshots;

  before(async function () {
    if (!existsSync(CHROMIUM)) throw new Error(`missing dependency: ${CHROMIUM} not found: apt-get install chromium (.ci/run does)`);
    const clip = await renderSquareClip(scene, join(tmp(), 'scene.mp4'));
    const { model, labels } = await writeSquareModel(tmp());
    const config = parseConfig(
      {
        model: { path: model, adapter: 'ultralytics', labels, threshold: 0.5 },
        cameras: [{ name: 'yard', url: clip, loop: true, realtime: true, fps: 10, objects: { track: ['square'] }, tracker: { maxDisappearedSeconds: 0.5 } }],
        websocket: {},
        http: { port: 0 },
      },
      { env: {} },
    );
    runtime = await Runtime.create(config, { logger: quiet });
    snapshots = new Snapshots(runtime.updates$, runtime.frames, quiet);
    server = await HttpServer.create(runtime, { host: '127.0.0.1', port: 0, auth: undefined, logger: quiet, cameras: config.cameras, snapshots, maxUploadBytes: 100000, eventsKept: 100 });
    ws = await WebSocketSink.create(runtime, { websocket: config.websocket!, cameras: config.cameras, topicPrefix: 'lookout', logger: quiet, server: server.server });
    runtime.start();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close();
    await ws?.close();
    await server?.close();
    snapshots?.close();
    await runtime?.stop();
  });

  it('shows the camera tile live with the box where the square is, and events as they happen', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    // the tile appears and its image refreshes by itself
    const tile = page.locator('article.tile[data-camera="yard"]');
    await tile.waitFor();
    await page.waitForFunction(() => Number(document.querySelector('img[data-camera="yard"]')?.getAttribute('data-loaded') ?? 0) >= 3, null, { timeout: 20000 });
    await page.waitForFunction(() => document.querySelector('.tile .badge')?.textContent === 'online', null, { timeout: 20000 });
    assert.match((await tile.locator('.figures').textContent()) ?? '', /fps · .* ms/);

    // the live image, as the browser decodes it: the square is red where the frame time says, with the label's box around it
    // the square leaves the frame for part of each loop: fetch live images until one shows it whole, so every run checks it
    const latest = () =>
      page.evaluate(async () => {
        const res = await fetch('/api/cameras/yard/latest.jpg');
        const pts = Number(res.headers.get('x-frame-pts'));
        const bitmap = await createImageBitmap(await res.blob());
        const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
        const ctx = canvas.getContext('2d')!;
        ctx.drawImage(bitmap, 0, 0);
        const { data, width, height } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
        return { pts, width, height, pixels: Array.from(data) };
      });
    const inView = (pts: number) => squarePosition(scene, pts % scene.duration).x + scene.size < scene.width;
    const check = await until('a live image with the whole square in view', async () => {
      const c = await latest();
      return inView(c.pts) ? c : undefined;
    }, 20_000, 100);
    // the detect-resolution picture: the source's own 480×270 (not the model's 160×90 view)
    const scale = 1;
    assert.deepEqual([check.width, check.height], [scene.width, scene.height]);
    const px = (x: number, y: number) => check.pixels.slice((y * check.width + x) * 4, (y * check.width + x) * 4 + 3);
    const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) < 60);
    const p = squarePosition(scene, check.pts % scene.duration);
    {
      const [x1, y1, x2, y2] = [p.x, p.y, p.x + scene.size, p.y + scene.size].map((v) => Math.round(v * scale));
      const stroke = colourFor('square').match(/[0-9a-f]{2}/g)!.map((h) => parseInt(h, 16));
      assert.ok(near(px(Math.round((x1 + x2) / 2), Math.round((y1 + y2) / 2)), [255, 0, 0]), 'the square is red inside');
      // anti-aliased, JPEG-blurred and half over the red square: the stroke shows as clearly more blue than red
      assert.ok(stroke[2] > 200 && stroke[0] < 150, `the label colour ${stroke} is the sky blue this check looks for`);
      const bluish = (p: number[]) => p[2] > 150 && p[2] > p[0] + 20;
      const top = [y1 - 2, y1 - 1, y1, y1 + 1, y1 + 2].some((y) => y >= 0 && bluish(px(Math.round((x1 + x2) / 2), y)));
      assert.ok(top, `the box's top edge is drawn at y≈${y1}`);
    }

    // events arrive over the WebSocket, newest first, with snapshot thumbnails
    await page.waitForSelector('#events li.event[data-type="new"]', { timeout: 20000 });
    await page.waitForSelector('#events li.event[data-type="end"]', { timeout: 20000 });
    const first = await page.locator('#events li.event').first().textContent();
    assert.match(first ?? '', /square on yard/);
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('#events img')].some((i) => i.complete && i.naturalWidth > 0), null, { timeout: 20000 });
    assert.equal(await page.locator('#link').getAttribute('data-state'), 'open');

    const artifacts = join(repoRoot, 'test-artifacts');
    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'dashboard.png') });
    assert.deepEqual(errors, [], 'no script errors on the page');
    await page.close();
  });

  it('reconnects its live feed by itself when the WebSocket drops', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => document.getElementById('link')?.dataset.state === 'open');
    // drop every WebSocket client from the server side
    for (const c of (ws as unknown as { clients: Set<{ ws: { terminate(): void } }> }).clients) c.ws.terminate();
    await page.waitForFunction(() => document.getElementById('link')?.dataset.state !== 'open', null, { timeout: 5000 });
    await page.waitForFunction(() => document.getElementById('link')?.dataset.state === 'open', null, { timeout: 10000 });
    await page.close();
  });
});
