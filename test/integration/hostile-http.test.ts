// Hostile input on the HTTP server and /ws of a running `lookout run` (issue 18): the crashes a probe found, memory under
// floods of big WebSocket requests and of large uploads, and one lock on every door (standalone WebSocket server
// included). Each case checks the process is alive, healthy and still detecting afterwards.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import sharp from 'sharp';
import { WebSocket } from 'ws';
import { rawExchange, rawWebSocket, spawnLookout, until } from '../helpers/faults.js';
import { maskedFrame, rawRequest, rssMB, watchRss } from '../helpers/fuzz.js';
import { freePort } from '../helpers/ports.js';
import { waitForNoChildren } from '../helpers/processes.js';
import { BEARER, startLookout, TOKEN, type RunningLookout } from '../helpers/running-lookout.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { lavfiSpec } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

const upgradeHeaders = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';

describe('hostile input on HTTP and /ws of a running instance', function () {
  this.timeout(120_000);
  const tmp = useTmpDir('lookout-hostile-');
  let lk: RunningLookout;

  before(async function () {
    this.timeout(60_000);
    const dir = tmp();
    // failures are counted but not limited here: the limit has its own instance below
    lk = await startLookout(dir, { http: (port) => `http: { host: 127.0.0.1, port: ${port}, auth: { token: ${TOKEN} }, authFailures: { max: 0 } }` });
  });
  after(async () => {
    await lk?.stop();
    assert.deepEqual(await waitForNoChildren({ timeoutMs: 5000 }), [], 'no child process left');
  });
  afterEach(async () => {
    await lk.assertWell();
    assert.deepEqual(lk.errorLines(), [], 'no ERROR line');
  });

  it('regression: a malformed token cookie is 401 on the API and on /ws, not a dead process', async () => {
    const res = await fetch(`${lk.api}/api/health`, { headers: { cookie: 'lookout_token=%E0%A4%A' } });
    assert.equal(res.status, 401);
    const up = await rawRequest(lk.port, `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: lookout_token=%E0%A4%A\r\n${upgradeHeaders}\r\n`);
    assert.match(up, /^HTTP\/1\.1 401/);
  });

  it('regression: an upgrade to `//[` is 400, not a dead process', async () => {
    const up = await rawRequest(lk.port, `GET //[ HTTP/1.1\r\nHost: 127.0.0.1\r\n${upgradeHeaders}\r\n`);
    assert.match(up, /^HTTP\/1\.1 400/);
    const plain = await rawRequest(lk.port, `GET //[ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
    assert.match(plain, /^HTTP\/1\.1 400/);
  });

  it('answers an upgrade to an unknown path with 404 and closes it', async () => {
    const { answer, closed } = await rawExchange(lk.port, `GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\n${upgradeHeaders}\r\n`, 5000);
    assert.match(answer, /^HTTP\/1\.1 404/);
    assert.ok(closed, 'the socket is closed');
  });

  it('answers %-garbage in camera and event ids with 400 and no ERROR line', async () => {
    for (const path of ['/api/cameras/%zz/latest.jpg', '/api/events/%E0%A4%A/snapshot.jpg']) {
      const res = await fetch(`${lk.api}${path}`, { headers: BEARER });
      assert.equal(res.status, 400, path);
    }
  });

  it('logs an aborted upload at debug, not ERROR', async () => {
    const mark = lk.lookout.stderr().length + lk.lookout.stdout().length;
    await rawRequest(lk.port, `POST /api/detect HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(1000)}`, 300);
    await until('the debug line for the aborted upload', () => (lk.lookout.stdout() + lk.lookout.stderr()).slice(mark).includes('the client went away'), 10_000);
  });

  it('refuses an upgrade authorised by cookie from a foreign Origin (403), accepts its own Origin and Bearer from anywhere', async () => {
    const cookie = `Cookie: lookout_token=${TOKEN}\r\n`;
    const foreign = await rawRequest(lk.port, `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${lk.port}\r\n${cookie}Origin: http://evil.example\r\n${upgradeHeaders}\r\n`);
    assert.match(foreign, /^HTTP\/1\.1 403/);
    const own = await rawRequest(lk.port, `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${lk.port}\r\n${cookie}Origin: http://127.0.0.1:${lk.port}\r\n${upgradeHeaders}\r\n`);
    assert.match(own, /^HTTP\/1\.1 101/);
    const bearer = await rawRequest(lk.port, `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${lk.port}\r\nAuthorization: Bearer ${TOKEN}\r\nOrigin: http://evil.example\r\n${upgradeHeaders}\r\n`);
    assert.match(bearer, /^HTTP\/1\.1 101/);
  });

  it('bounds the reply to a 30,000-entry subscribe and keeps memory flat under 400 of them from clients that never read', async () => {
    const big = JSON.stringify({ subscribe: new Array(30_000).fill(0) });
    // a reading client sees how big the reply is
    const ws = new WebSocket(`ws://127.0.0.1:${lk.port}/ws`, { headers: BEARER });
    await new Promise((res, rej) => ws.once('open', res).once('error', rej));
    const reply = new Promise<string>((resolve) => ws.on('message', (m) => m.toString().includes('"error"') && resolve(m.toString())));
    ws.send(big);
    assert.ok((await reply).length < 200, 'the error reply is short');
    ws.send(JSON.stringify({ subscribe: Array.from({ length: 50 }, () => 'a/#/b') }));
    const listed = await new Promise<string>((resolve) => ws.on('message', (m) => m.toString().includes('more') && resolve(m.toString())));
    assert.match(listed, /and 45 more/);
    ws.close();

    const before = rssMB(lk.pid);
    const watch = watchRss(lk.pid);
    const sockets: Socket[] = [];
    const frame = maskedFrame(big);
    for (let c = 0; c < 20; c++) {
      const { socket, response } = await rawWebSocket(lk.port, '/ws', `Authorization: Bearer ${TOKEN}\r\n`);
      assert.match(response, /^HTTP\/1\.1 101/);
      socket.pause(); // never reads
      sockets.push(socket);
      for (let i = 0; i < 20; i++) socket.write(frame);
    }
    await Promise.all(sockets.map((s) => new Promise((r) => (s.writableLength === 0 ? r(undefined) : s.once('drain', r)))));
    await lk.assertWell();
    const peak = watch.stop();
    for (const s of sockets) s.destroy();
    console.log(`      RSS under 400 big subscribes from 20 non-reading clients: ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB peak`);
    assert.ok(peak - before < 100, `RSS grew by ${(peak - before).toFixed(0)} MB (bound: 100 MB)`);
  });

  it('caps concurrent upload decodes (503 + Retry-After) and refuses a 16000×16000 PNG by its header, with RSS bounded', async () => {
    const huge = await sharp({ create: { width: 16000, height: 16000, channels: 3, background: '#102030' } }).png({ compressionLevel: 9 }).toBuffer();
    const large = await sharp({ create: { width: 5000, height: 5000, channels: 3, background: '#203040' } }).png({ compressionLevel: 9 }).toBuffer();
    const post = (body: Buffer) => fetch(`${lk.api}/api/detect`, { method: 'POST', headers: { ...BEARER, 'content-type': 'image/png' }, body: new Uint8Array(body) });
    const before = rssMB(lk.pid);
    const watch = watchRss(lk.pid);
    const hugeAnswers = await Promise.all(Array.from({ length: 16 }, () => post(huge)));
    const statuses = hugeAnswers.map((r) => r.status);
    assert.ok(statuses.every((s) => s === 413 || s === 503), `huge: ${statuses.join(',')}`);
    assert.ok(statuses.includes(413));
    const answers = await Promise.all(Array.from({ length: 16 }, () => post(large)));
    const counts = answers.map((r) => r.status);
    assert.ok(counts.every((s) => s === 200 || s === 503), `large: ${counts.join(',')}`);
    assert.ok(counts.includes(200) && counts.includes(503), `some decoded, some refused: ${counts.join(',')}`);
    const refused = answers.find((r) => r.status === 503)!;
    assert.equal(refused.headers.get('retry-after'), '1');
    const peak = watch.stop();
    console.log(`      RSS under 16 parallel 16000×16000 PNGs (${(huge.length / 1024).toFixed(0)} KB) then 16 parallel 5000×5000: ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB peak, ${rssMB(lk.pid).toFixed(0)} MB after`);
    assert.ok(peak - before < 400, `RSS grew by ${(peak - before).toFixed(0)} MB (bound: 400 MB)`);
  });
});

describe('one lock on every door', function () {
  this.timeout(90_000);
  const tmp = useTmpDir('lookout-doors-');
  afterEach(async () => {
    assert.deepEqual(await waitForNoChildren({ timeoutMs: 5000 }), [], 'no child process left');
  });

  it('rate-limits failed authentication per peer: 429 with Retry-After, even for the right token, while locked out', async () => {
    const lk = await startLookout(tmp(), { http: (port) => `http: { host: 127.0.0.1, port: ${port}, auth: { token: ${TOKEN} }, authFailures: { max: 5, windowSeconds: 60 } }` });
    try {
      const wrong = await Promise.all(Array.from({ length: 8 }, () => fetch(`${lk.api}/api/stats`, { headers: { authorization: 'Bearer nope' } }).then((r) => r.status)));
      assert.equal(wrong.filter((s) => s === 401).length, 5, wrong.join(','));
      assert.equal(wrong.filter((s) => s === 429).length, 3, wrong.join(','));
      const right = await fetch(`${lk.api}/api/stats`, { headers: BEARER });
      assert.equal(right.status, 429);
      assert.ok(Number(right.headers.get('retry-after')) > 0);
      const up = await rawRequest(lk.port, `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\n${upgradeHeaders}\r\n`);
      assert.match(up, /^HTTP\/1\.1 429/);
      assert.ok(lk.lookout.child.exitCode === null);
    } finally {
      await lk.stop();
    }
  });

  it('the standalone WebSocket server refuses to bind beyond loopback without auth, and checks its auth', async () => {
    const { model, labels } = await writeSquareModel(tmp());
    const port = await freePort();
    const scene = { width: 320, height: 240, fps: 10, duration: 3600, size: 40, x0: 20, y0: 100, vx: 3, vy: 0 };
    const head = [`model: { path: ${model}, adapter: ultralytics, labels: ${labels}, threshold: 0.5 }`, 'cameras:', `  - { name: yard, url: "lavfi:${lavfiSpec(scene)}", fps: 5 }`];
    const open = join(tmp(), 'open.yaml');
    await writeFile(open, [...head, `websocket: { host: 0.0.0.0, port: ${port} }`].join('\n') + '\n');
    const refused = spawnLookout(['run', '-c', open]);
    const exit = await refused.exited;
    assert.notEqual(exit.code, 0);
    assert.match(refused.stderr(), /websocket\.host is 0\.0\.0\.0.*websocket\.auth/);

    const locked = join(tmp(), 'locked.yaml');
    await writeFile(locked, [...head, `websocket: { host: 127.0.0.1, port: ${port}, auth: { token: ${TOKEN} } }`].join('\n') + '\n');
    const lk = spawnLookout(['run', '-c', locked]);
    try {
      await until('ws listening', () => /listening on ws:/.test(lk.stdout() + lk.stderr()), 30_000);
      assert.match(await rawRequest(port, `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n${upgradeHeaders}\r\n`), /^HTTP\/1\.1 401/);
      assert.match(await rawRequest(port, `GET //[ HTTP/1.1\r\nHost: 127.0.0.1\r\n${upgradeHeaders}\r\n`), /^HTTP\/1\.1 400/);
      assert.match(await rawRequest(port, `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: lookout_token=%E0%A4%A\r\n${upgradeHeaders}\r\n`), /^HTTP\/1\.1 401/);
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: BEARER });
      const first = await new Promise<string>((res, rej) => ws.once('message', (m) => res(m.toString())).once('error', rej));
      assert.match(first, /"topic"/);
      ws.close();
      assert.equal(lk.child.exitCode, null);
    } finally {
      lk.child.kill('SIGTERM');
      await lk.exited;
    }
  });
});
