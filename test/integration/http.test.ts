import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { WebSocket } from 'ws';
import { colourFor } from '../../sinks/snapshot/render.js';
import { parseConfig } from '../../config/load.js';
import { Logger } from '../../core/logger.js';
import { Runtime } from '../../pipeline/runtime.js';
import { HttpServer } from '../../sinks/http/http-server.js';
import type { AuthConfig } from '../../sinks/http/auth.js';
import { Snapshots } from '../../sinks/snapshot/snapshots.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { DEFAULT_SCENE, renderSquareClip, squarePosition, type SquareScene } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';
import { until } from '../helpers/faults.js';

const quiet = new Logger({ level: 'error', json: false, write: () => undefined });

describe('HTTP API (real server, runtime, ffmpeg and onnxruntime)', function () {
  this.timeout(60000);
  const tmp = useTmpDir('lookout-http-');
  const scene: SquareScene = { ...DEFAULT_SCENE, duration: 3, x0: 10, y0: 100, vx: 60, vy: 0 };
  let clip: string;
  let model: string;
  let labels: string;
  before(async () => {
    clip = await renderSquareClip(scene, join(tmp(), 'scene.mp4'));
    ({ model, labels } = await writeSquareModel(tmp()));
  });

  interface Running {
    runtime: Runtime;
    server: HttpServer;
    snapshots: Snapshots;
    stop(): Promise<void>;
  }

  async function start(auth?: AuthConfig, host = '127.0.0.1'): Promise<Running> {
    const config = parseConfig(
      {
        model: { path: model, adapter: 'ultralytics', labels, threshold: 0.5 },
        // pictures at 1.5× the source: boxes must follow the picture's scale, not the model's
        cameras: [{ name: 'yard', url: clip, loop: true, realtime: true, fps: 10, objects: { track: ['square'] }, detect: { width: 480 } }],
      },
      { env: {} },
    );
    const runtime = await Runtime.create(config, { logger: quiet });
    const snapshots = new Snapshots(runtime.updates$, runtime.frames, quiet);
    const server = await HttpServer.create(runtime, { host, port: 0, auth, logger: quiet, cameras: config.cameras, snapshots, maxUploadBytes: 200_000, eventsKept: 100 });
    runtime.start();
    return {
      runtime,
      server,
      snapshots,
      stop: async () => {
        await server.close();
        snapshots.close();
        await runtime.stop();
      },
    };
  }


  describe('without auth', () => {
    let r: Running;
    before(async () => (r = await start()));
    after(async () => r.stop());

    it('reports health: 200 once the camera is online', async () => {
      const body = await until('health 200', async () => {
        const res = await fetch(`${r.server.url}/api/health`);
        return res.status === 200 ? ((await res.json()) as { healthy: boolean; reasons: string[] }) : undefined;
      });
      assert.equal(body.healthy, true);
      assert.deepEqual(body.reasons, []);
    });

    it('serves stats, cameras (URL redacted) and Prometheus metrics', async () => {
      // a camera is online at its first frame, a moment before that frame's result: wait for one
      const stats = await until('a detected frame in stats', async () => {
        const s = (await (await fetch(`${r.server.url}/api/stats`)).json()) as { cameras: Record<string, { frames_detected: number }>; detector: { provider: string } };
        return s.cameras.yard.frames_detected > 0 ? s : undefined;
      });
      assert.equal(stats.detector.provider, 'cpu');
      assert.ok(stats.cameras.yard.frames_detected > 0);
      // the same at /api/lookout/stats; Frigate's routes are served only under the Frigate dialect
      const again = (await (await fetch(`${r.server.url}/api/lookout/stats`)).json()) as { uptime_seconds: number; detector: { inference_ms_p50: number } };
      assert.equal(typeof again.uptime_seconds, 'number');
      assert.equal(typeof again.detector.inference_ms_p50, 'number');
      for (const path of ['/api/version', '/api/config', '/api/yard/latest.jpg']) assert.equal((await fetch(`${r.server.url}${path}`)).status, 404, path);
      const cameras = (await (await fetch(`${r.server.url}/api/cameras`)).json()) as { name: string; status: string; width: number }[];
      assert.equal(cameras[0].name, 'yard');
      assert.equal(cameras[0].status, 'online');
      assert.equal(cameras[0].width, scene.width);
      const metrics = await fetch(`${r.server.url}/metrics`);
      assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = await metrics.text();
      assert.match(text, /^lookout_camera_frames_detected_total\{camera="yard"\} [1-9]\d*$/m);
      assert.match(text, /^lookout_inference_seconds_bucket\{le="\+Inf"\} [1-9]\d*$/m);
      assert.match(text, /^lookout_inference_seconds_count [1-9]\d*$/m);
    });

    it('serves the latest frame as a JPEG with the box drawn where the square is', async () => {
      // the first frame may still be on its way
      const res = await until('a live frame', async () => {
        const answer = await fetch(`${r.server.url}/api/cameras/yard/latest.jpg`);
        return answer.status === 404 ? undefined : answer;
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/jpeg');
      const jpeg = Buffer.from(await res.arrayBuffer());
      assert.deepEqual([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff]);
      // the picture is the detect-resolution one (320x240 source → detect.width 480 → 480x360), not the model's
      // 160x120 view; the square and the box around it are where the frame says, at the picture's scale
      const pts = Number(res.headers.get('x-frame-pts'));
      const p = squarePosition(scene, pts % scene.duration);
      const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height], [480, 360]);
      const px = (x: number, y: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
      const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) < 60);
      const stroke = colourFor('square').match(/[0-9a-f]{2}/g)!.map((h) => parseInt(h, 16));
      const [x1, y1, x2, y2] = [p.x * 1.5, p.y * 1.5, (p.x + scene.size) * 1.5, (p.y + scene.size) * 1.5].map(Math.round);
      const midX = Math.round((x1 + x2) / 2);
      const midY = Math.round((y1 + y2) / 2);
      assert.ok(near(px(midX, midY), [255, 0, 0]), `square red inside at ${midX},${midY}: ${px(midX, midY)}`);
      // The 2 px stroke is anti-aliased, JPEG-blurred and half over the red square, so its colour is mixed: look for
      // the label's colour (sky blue: much more blue than red, where the scene has only black and red) within 2 px.
      assert.ok(stroke[2] > 200 && stroke[0] < 150, `the label colour ${stroke} is the sky blue this check looks for`);
      const bluish = (p: number[]) => p[2] > 150 && p[2] > p[0] + 20;
      const offsets = [-2, -1, 0, 1, 2];
      assert.ok(offsets.some((d) => bluish(px(midX, y2 + d))), `box stroke on the bottom edge: ${offsets.map((d) => px(midX, y2 + d)).join(' | ')}`);
      assert.ok(offsets.some((d) => bluish(px(x1 + d, midY))), `box stroke on the left edge: ${offsets.map((d) => px(x1 + d, midY)).join(' | ')}`);
      assert.ok(near(px(5, 355), [0, 0, 0]), 'background far from the box stays black');
      assert.equal((await fetch(`${r.server.url}/api/cameras/nope/latest.jpg`)).status, 404);
    });

    it('lists events and serves their snapshots; rejects bad ids and parameters', async () => {
      const events = await until('an event', async () => {
        const list = (await (await fetch(`${r.server.url}/api/events?camera=yard&label=square&limit=5`)).json()) as { type: string; has_snapshot: boolean; object: { id: string; label: string } }[];
        return list.some((e) => e.has_snapshot) ? list : undefined;
      });
      const e = events.find((x) => x.has_snapshot)!;
      assert.equal(e.object.label, 'square');
      const snap = await fetch(`${r.server.url}/api/events/${e.object.id}/snapshot.jpg`);
      assert.equal(snap.status, 200);
      assert.equal(snap.headers.get('content-type'), 'image/jpeg');
      const snapInfo = await sharp(Buffer.from(await snap.arrayBuffer())).metadata();
      assert.deepEqual([snapInfo.width, snapInfo.height], [480, 360], 'snapshots are drawn on the detect-resolution picture');
      assert.equal((await fetch(`${r.server.url}/api/events/..%2F..%2Fetc%2Fpasswd/snapshot.jpg`)).status, 400);
      assert.equal((await fetch(`${r.server.url}/api/events/1.5-abcdef/snapshot.jpg`)).status, 404);
      assert.equal((await fetch(`${r.server.url}/api/events?limit=0`)).status, 400);
      assert.equal((await fetch(`${r.server.url}/api/events?camera=nope`)).status, 404);
      assert.equal((await fetch(`${r.server.url}/api/nothing`)).status, 404);
    });

    it('detects on an uploaded PNG and maps the box to its pixels', async () => {
      const png = join(tmp(), 'frame.png');
      const { spawn } = await import('node:child_process');
      await new Promise<void>((res, rej) => {
        const ff = spawn('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=black:s=400x300,drawbox=x=120:y=80:w=60:h=60:color=red:t=fill', '-frames:v', '1', png]);
        ff.on('close', (c) => (c === 0 ? res() : rej(new Error(`ffmpeg ${c}`))));
      });
      const res = await fetch(`${r.server.url}/api/detect`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: await readFile(png) });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { width: number; height: number; detections: { label: string; class_id: number; box: number[] }[]; inference_ms: number };
      assert.ok(body.inference_ms > 0);
      assert.equal(body.detections[0]?.class_id, 0);
      assert.equal(body.width, 400);
      assert.equal(body.height, 300);
      assert.equal(body.detections.length, 1);
      assert.equal(body.detections[0].label, 'square');
      [120, 80, 180, 140].forEach((v, i) => assert.ok(Math.abs(body.detections[0].box[i] - v) <= 3, `box ${body.detections[0].box}`));
    });

    it('gives clear 4xx answers to bad uploads', async () => {
      const post = (body: string | Uint8Array<ArrayBuffer>, type: string) => fetch(`${r.server.url}/api/detect`, { method: 'POST', headers: { 'content-type': type }, body });
      const wrongType = await post('hello', 'text/plain');
      assert.equal(wrongType.status, 415);
      assert.match(((await wrongType.json()) as { error: string }).error, /image\/jpeg or image\/png/);
      const notImage = await post('this is not a png', 'image/png');
      assert.equal(notImage.status, 400);
      assert.match(((await notImage.json()) as { error: string }).error, /cannot decode the uploaded PNG/);
      const tooBig = await post(new Uint8Array(300_000), 'image/jpeg');
      assert.equal(tooBig.status, 413);
      assert.equal((await post(new Uint8Array(0), 'image/jpeg')).status, 400);
      assert.equal((await fetch(`${r.server.url}/api/detect`)).status, 405);
    });

    it('serves the dashboard page and its script', async () => {
      const page = await fetch(`${r.server.url}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>Lookout<\/title>/);
      const js = await fetch(`${r.server.url}/app.js`);
      assert.match(js.headers.get('content-type') ?? '', /javascript/);
    });
  });

  describe('with auth', () => {
    it('refuses to bind beyond loopback without auth unless auth: none is explicit', async () => {
      const config = parseConfig({ model: { path: model, adapter: 'ultralytics', labels }, cameras: [{ name: 'x', url: clip }] }, { env: {} });
      const runtime = await Runtime.create(config, { logger: quiet });
      const snapshots = new Snapshots(runtime.updates$, runtime.frames, quiet);
      try {
        await assert.rejects(
          HttpServer.create(runtime, { host: '0.0.0.0', port: 0, auth: undefined, logger: quiet, cameras: config.cameras, snapshots, maxUploadBytes: 1000, eventsKept: 10 }),
          { code: 'LOOKOUT_ERR_CONFIG', message: /reachable from other machines.*auth: none/ },
        );
      } finally {
        snapshots.close();
        await runtime.stop();
      }
    });

    it('with a token: rejects requests and WebSocket upgrades without it, accepts header, query and cookie', async () => {
      const r = await start({ token: 's3cret-token' });
      try {
        const denied = await fetch(`${r.server.url}/api/stats`);
        assert.equal(denied.status, 401);
        assert.equal((await fetch(`${r.server.url}/`)).status, 401);
        assert.equal((await fetch(`${r.server.url}/api/stats`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
        assert.equal((await fetch(`${r.server.url}/api/stats`, { headers: { authorization: 'Bearer s3cret-token' } })).status, 200);
        const viaQuery = await fetch(`${r.server.url}/?token=s3cret-token`);
        assert.equal(viaQuery.status, 200);
        const cookie = viaQuery.headers.get('set-cookie') ?? '';
        assert.match(cookie, /^lookout_token=s3cret-token; HttpOnly/);
        assert.equal((await fetch(`${r.server.url}/api/cameras`, { headers: { cookie: cookie.split(';')[0] } })).status, 200);
        const wsUrl = r.server.url.replace('http', 'ws') + '/ws';
        const refused = await new Promise<number>((resolve) => {
          const ws = new WebSocket(wsUrl);
          ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          ws.on('error', () => undefined);
        });
        assert.equal(refused, 401);
      } finally {
        await r.stop();
      }
    });

    it('liveness without auth: /api/health/live says status only; /api/health and its details stay behind auth', async () => {
      const r = await start({ token: 's3cret-token' });
      try {
        assert.equal((await fetch(`${r.server.url}/api/health`)).status, 401);
        const live = await until('a healthy liveness answer', async () => {
          const res = await fetch(`${r.server.url}/api/health/live`);
          return res.status === 200 ? res : undefined;
        }, 20000);
        assert.deepEqual(await live.json(), { status: 'ok' }, 'nothing but the status');
        const full = await fetch(`${r.server.url}/api/health`, { headers: { authorization: 'Bearer s3cret-token' } });
        assert.equal(full.status, 200);
        assert.ok('cameras' in ((await full.json()) as object), 'the details, with the token');
        // only that exact path is open
        assert.equal((await fetch(`${r.server.url}/api/health/live/../../stats`)).status, 401);
        assert.equal((await fetch(`${r.server.url}/api/health/lives`)).status, 401);
        assert.equal((await fetch(`${r.server.url}/api/health/live`, { method: 'POST' })).status, 401);
      } finally {
        await r.stop();
      }
    });

    it('with a username and password: Basic auth', async () => {
      const r = await start({ username: 'admin', password: 'pa55' });
      try {
        const denied = await fetch(`${r.server.url}/api/health`);
        assert.equal(denied.status, 401);
        assert.match(denied.headers.get('www-authenticate') ?? '', /^Basic/);
        const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
        assert.equal((await fetch(`${r.server.url}/api/stats`, { headers: basic('admin', 'wrong') })).status, 401);
        assert.equal((await fetch(`${r.server.url}/api/stats`, { headers: basic('admin', 'pa55') })).status, 200);
      } finally {
        await r.stop();
      }
    });
  });
});
