// HTTP cameras: an MJPEG stream (multipart/x-mixed-replace, as IP cameras serve it) behind basic auth, and HLS, both
// served on loopback by a Node HTTP server from frames and segments ffmpeg makes at test time.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { parseConfig } from '../../config/load.js';
import { Logger } from '../../core/logger.js';
import { Runtime } from '../../pipeline/runtime.js';
import type { FrameResult, Status } from '../../core/types.js';
import { freePort } from '../helpers/ports.js';
import { waitForNoChildren } from '../helpers/processes.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { lavfiSpec, type SquareScene } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

const scene: SquareScene = { width: 320, height: 240, fps: 10, duration: 10, size: 40, x0: 10, y0: 90, vx: 4, vy: 0 };
const USER = 'viewer';
const PASSWORD = 'Mj-peg-Pass-31';
const TOKEN = 'tok3n-4-hls-77';

function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg ${args.join(' ')}: ${err}`))));
  });
}

describe('HTTP cameras: MJPEG and HLS (real ffmpeg + onnxruntime)', function () {
  this.timeout(60_000);
  const tmp = useTmpDir('lookout-http-cam-');
  let model: string;
  let labels: string;
  let jpegs: Buffer[];
  let server: Server;
  let port: number;
  const open = new Set<ServerResponse>();

  before(async () => {
    ({ model, labels } = await writeSquareModel(tmp()));
    await ffmpeg(['-f', 'lavfi', '-i', lavfiSpec(scene), '-q:v', '3', join(tmp(), 'f-%03d.jpg')]);
    const files = (await readdir(tmp())).filter((f) => f.endsWith('.jpg')).sort();
    jpegs = await Promise.all(files.map((f) => readFile(join(tmp(), f))));
    await ffmpeg(['-f', 'lavfi', '-i', lavfiSpec(scene), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '10', '-f', 'hls', '-hls_time', '1', '-hls_list_size', '0', '-hls_playlist_type', 'vod', '-hls_segment_filename', join(tmp(), 'hls-%02d.ts'), join(tmp(), 'index.m3u8')]);
    port = await freePort();
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/video.mjpg') {
        if (req.headers.authorization !== `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`) {
          res.writeHead(401, { 'www-authenticate': 'Basic realm="camera"' }).end();
          return;
        }
        // an endless multipart stream at the clip's rate, as a camera sends it
        res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace;boundary=frame' });
        open.add(res);
        let i = 0;
        const timer = setInterval(() => {
          const jpg = jpegs[i++ % jpegs.length];
          res.write(`--frame\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpg.length}\r\n\r\n`);
          res.write(jpg);
          res.write('\r\n');
        }, 1000 / scene.fps);
        res.on('close', () => {
          clearInterval(timer);
          open.delete(res);
        });
        return;
      }
      if (url.pathname.startsWith('/hls/')) {
        if (url.searchParams.get('token') !== TOKEN && url.pathname.endsWith('.m3u8')) {
          res.writeHead(403).end();
          return;
        }
        readFile(join(tmp(), url.pathname.slice('/hls/'.length))).then(
          (body) => res.writeHead(200, { 'content-type': url.pathname.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t' }).end(body),
          () => res.writeHead(404).end(),
        );
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });

  after(async () => {
    for (const res of open) res.destroy();
    await new Promise((resolve) => server?.close(resolve));
  });

  afterEach(async () => {
    assert.deepEqual(await waitForNoChildren({ filter: (p) => p.comm.startsWith('ff'), timeoutMs: 3000 }), [], 'no ffmpeg left');
  });

  async function run(cameras: Record<string, unknown>[], until: (results: FrameResult[], statuses: Status[]) => boolean) {
    const config = parseConfig({ model: { path: model, adapter: 'ultralytics', labels, threshold: 0.5 }, cameras }, { env: { CAM_PASSWORD: PASSWORD } });
    const logs: string[] = [];
    const runtime = await Runtime.create(config, { logger: new Logger({ level: 'debug', json: false, write: (l) => logs.push(l) }) });
    const results: FrameResult[] = [];
    const statuses: Status[] = [];
    const tick = new Subject<void>();
    runtime.results$.subscribe((r) => (results.push(r), tick.next()));
    runtime.status$.subscribe((s) => (statuses.push(s), tick.next()));
    runtime.start();
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out: ${JSON.stringify(statuses.map((s) => [s.camera, s.code, s.message]))}`)), 30_000);
        const sub = tick.subscribe(() => {
          if (!until(results, statuses)) return;
          clearTimeout(timer);
          sub.unsubscribe();
          resolve();
        });
      });
      return { results, statuses, logs, snapshot: runtime.snapshot() };
    } finally {
      await runtime.stop();
    }
  }

  it('reads an MJPEG camera behind basic auth, and names wrong credentials', async () => {
    const url = `http://127.0.0.1:${port}/video.mjpg`;
    const { results, statuses, logs, snapshot } = await run(
      [
        { name: 'mjpeg', url, username: USER, password: '${CAM_PASSWORD}', fps: 5 },
        { name: 'denied', url, username: USER, password: 'not-the-Pass-99', fps: 5, reconnect: { initialMs: 200, maxMs: 1000 } },
      ],
      (rs, ss) => rs.filter((r) => r.frame.camera === 'mjpeg').length >= 10 && ss.some((s) => s.camera === 'denied' && s.code === 'LOOKOUT_ERR_CAMERA_AUTH'),
    );
    const mine = results.filter((r) => r.frame.camera === 'mjpeg');
    for (const r of mine) {
      assert.equal(r.detections.length, 1);
      assert.ok(Math.abs(r.detections[0].box[1] - scene.y0) <= 3, `square at y ${r.detections[0].box[1]}`);
    }
    assert.equal(snapshot.cameras.mjpeg.status, 'online');
    assert.equal(snapshot.cameras.denied.status, 'offline');
    assert.match(statuses.find((s) => s.camera === 'denied' && s.code === 'LOOKOUT_ERR_CAMERA_AUTH')!.message, /401/);
    const text = [...logs, JSON.stringify(statuses), JSON.stringify(snapshot)].join('\n');
    assert.ok(!text.includes(PASSWORD) && !text.includes('not-the-Pass-99'), 'no password in logs, statuses or stats');
  });

  it('reads an HLS playlist, keeping its token out of what it reports', async () => {
    // full: every frame's box is checked (regions skip a frame whose motion the detector has not yet learnt to see)
    const { results, statuses, logs } = await run([{ name: 'hls', url: `http://127.0.0.1:${port}/hls/index.m3u8?token=${TOKEN}`, fps: 5, detectMode: 'full' }], (rs) => rs.length >= 10);
    for (const r of results) assert.ok(Math.abs(r.detections[0].box[1] - scene.y0) <= 3);
    const starting = statuses.find((s) => s.code === 'CAMERA_STARTING')!;
    assert.match(starting.message, /index\.m3u8\?token=\*\*\*/);
    assert.ok(![...logs, JSON.stringify(statuses)].join('\n').includes(TOKEN), 'no token in logs or statuses');
  });
});
