// Property-based fuzzing of a running `lookout run` on loopback: random and mutated cookies, headers, URLs, raw upgrade
// requests and WebSocket messages, in batches; after each batch the process must be alive, answer health and keep
// detecting. The budget is LOOKOUT_FUZZ_SECONDS (default 20, split across the kinds); LOOKOUT_FUZZ_SEED replays a run.
// The first cases are the two crashes a probe found (issue 18), sent explicitly before any random input.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { anyText, fuzz, fuzzSeconds, fuzzSeed, mutated, rawRequest } from '../helpers/fuzz.js';
import { waitForNoChildren } from '../helpers/processes.js';
import { BEARER, startLookout, TOKEN, type RunningLookout } from '../helpers/running-lookout.js';
import { useTmpDir } from '../helpers/tmp.js';

const UPGRADE = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';
const PATHS = ['/', '/ws', '/api/health', '/api/stats', '/api/cameras', '/api/events?limit=5&camera=yard', '/api/cameras/yard/latest.jpg', '/api/events/1.5-abc123/snapshot.jpg', '/metrics', '/api/detect', '/?token=x'];
const path = fc.oneof(mutated(fc.constantFrom(...PATHS)), fc.webPath(), fc.constantFrom('//[', '/%E0%A4%A', '/api/cameras/%zz/latest.jpg', '*', 'http://[::1', ''), anyText(60).map((s) => `/${s}`));
const cookie = fc.oneof(mutated(fc.constant(`lookout_token=${TOKEN}`)), anyText(), fc.constantFrom('lookout_token=%E0%A4%A', 'lookout_token', '=;=;', 'lookout_token=%'), mutated(fc.constant('a=b; lookout_token=%41%42')));
const header = fc.tuple(fc.constantFrom('Authorization', 'Origin', 'Host', 'Content-Type', 'Content-Length', 'Sec-WebSocket-Key', 'Sec-WebSocket-Version', 'Sec-WebSocket-Extensions', 'Connection', 'Transfer-Encoding', 'X-Any'), fc.oneof(anyText(80), mutated(fc.constantFrom(`Bearer ${TOKEN}`, 'Basic Og==', 'http://127.0.0.1', 'permessage-deflate; client_max_window_bits', '13', 'image/png', 'chunked', '0')))).map(([k, v]) => `${k}: ${v}\r\n`);
const method = fc.oneof(fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT'), anyText(8));

/** A raw HTTP request or upgrade: method, path, cookie, a few headers, maybe a body, maybe cut short. */
const rawHttp = fc
  .record({ method, path, cookie: fc.option(cookie), headers: fc.array(header, { maxLength: 4 }), upgrade: fc.boolean(), bearer: fc.boolean(), body: fc.option(anyText(100)), cut: fc.option(fc.nat()) })
  .map((r) => {
    let text = `${r.method} ${r.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${r.bearer ? `Authorization: Bearer ${TOKEN}\r\n` : ''}${r.cookie !== null ? `Cookie: ${r.cookie}\r\n` : ''}${r.headers.join('')}${r.upgrade ? UPGRADE : ''}\r\n${r.body ?? ''}`;
    if (r.cut !== null) text = text.slice(0, r.cut % (text.length + 1));
    return text;
  });

/** What a WebSocket client might send: JSON of any shape, subscribe requests good and bad, text that is not JSON, binary. */
const wsMessage = fc.oneof(
  fc.json().map((s) => ({ text: s })),
  fc.record({ subscribe: fc.oneof(fc.array(fc.oneof(mutated(fc.constantFrom('#', 'lookout/+/events', 'lookout/available', 'a/#/b')), fc.anything()), { maxLength: 150 }), fc.anything()) }).map((o) => ({ text: JSON.stringify(o) ?? 'null' })),
  anyText(300).map((s) => ({ text: s })),
  fc.uint8Array({ maxLength: 300 }).map((b) => ({ binary: Buffer.from(b) })),
  fc.nat({ max: 200 }).map((n) => ({ text: '['.repeat(n * 100) })),
);

describe('fuzz: HTTP and /ws of a running instance', function () {
  const seconds = fuzzSeconds();
  this.timeout(seconds * 1000 + 120_000);
  const tmp = useTmpDir('lookout-fuzz-');
  const seed = fuzzSeed();
  let lk: RunningLookout;

  before(async function () {
    this.timeout(60_000);
    // no failure limit: random input should reach the credential parsers, not a 429
    lk = await startLookout(tmp(), { http: (port) => `http: { host: 127.0.0.1, port: ${port}, auth: { token: ${TOKEN} }, authFailures: { max: 0 } }` });
  });
  after(async () => {
    await lk?.stop();
    assert.deepEqual(await waitForNoChildren({ timeoutMs: 5000 }), [], 'no child process left');
  });

  it('survives the two crash inputs of issue 18 (regression)', async () => {
    assert.match(await rawRequest(lk.port, `GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: lookout_token=%E0%A4%A\r\n\r\n`), /^HTTP\/1\.1 401/);
    assert.match(await rawRequest(lk.port, `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: lookout_token=%E0%A4%A\r\n${UPGRADE}\r\n`), /^HTTP\/1\.1 401/);
    assert.match(await rawRequest(lk.port, `GET //[ HTTP/1.1\r\nHost: 127.0.0.1\r\n${UPGRADE}\r\n`), /^HTTP\/1\.1 400/);
    await lk.assertWell();
  });

  it('survives random and mutated raw requests and upgrades (cookies, headers, URLs)', async () => {
    const report = await fuzz({ name: 'http+upgrade', arbitrary: rawHttp, send: async (t) => void (await rawRequest(lk.port, t, 500)), check: () => lk.assertWell(), seconds: seconds * 0.6, seed, batchSize: 300, concurrency: 24 });
    assert.ok(report.inputs > 0);
    assert.deepEqual(lk.errorLines(), [], 'no ERROR line: bad input is the client’s mistake');
  });

  it('survives random WebSocket messages from authorised clients', async () => {
    const clients: WebSocket[] = [];
    const client = async (i: number): Promise<WebSocket> => {
      const old = clients[i];
      if (old && old.readyState === WebSocket.OPEN) return old;
      const ws = new WebSocket(`ws://127.0.0.1:${lk.port}/ws`, { headers: BEARER });
      ws.on('error', () => undefined);
      await new Promise((res) => ws.once('open', res).once('close', res));
      clients[i] = ws;
      return ws;
    };
    let n = 0;
    const report = await fuzz({
      name: 'ws messages',
      arbitrary: wsMessage,
      send: async (m) => {
        const ws = await client(n++ % 4);
        if (ws.readyState !== WebSocket.OPEN) return;
        await new Promise<void>((res) => ws.send('binary' in m ? m.binary! : m.text!, { binary: 'binary' in m }, () => res()));
      },
      check: async () => {
        await lk.assertWell();
        // and the server still answers a good request on a fresh client
        const ws = await client(99);
        const ok = new Promise<string>((res) => ws.on('message', (d) => d.toString().includes('subscribed') && res(d.toString())));
        ws.send(JSON.stringify({ subscribe: ['lookout/#'] }));
        await ok;
        ws.close();
        delete clients[99];
      },
      seconds: seconds * 0.4,
      seed,
      batchSize: 300,
      concurrency: 4,
    });
    for (const ws of clients) ws?.terminate();
    assert.ok(report.inputs > 0);
    assert.deepEqual(lk.errorLines(), [], 'no ERROR line');
  });
});
