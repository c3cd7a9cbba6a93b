// The lock's pure parts: the per-peer failure limiter on an injected clock, the Origin check, and the parsers that
// must answer instead of throwing.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { foreignOrigin, requestUrl, safeDecode } from '../../sinks/http/auth.js';
import { AuthFailureLimiter } from '../../sinks/http/auth-limiter.js';
import { parseConfig } from '../../config/load.js';

const req = (headers: Record<string, string>, url = '/'): IncomingMessage => ({ headers, url }) as unknown as IncomingMessage;

describe('AuthFailureLimiter', () => {
  it('given max failures in the window, when one more comes, then the peer waits until the window ends', () => {
    let now = 1000;
    const limiter = new AuthFailureLimiter({ max: 3, windowMs: 10_000, now: () => now });
    for (let i = 0; i < 3; i++) {
      assert.equal(limiter.retryAfter('a'), 0);
      limiter.failed('a');
    }
    assert.equal(limiter.retryAfter('a'), 10);
    assert.equal(limiter.retryAfter('b'), 0, 'another peer is not affected');
    now += 9_500;
    assert.equal(limiter.retryAfter('a'), 1);
    now += 500;
    assert.equal(limiter.retryAfter('a'), 0, 'a new window');
  });

  it('keeps at most maxPeers peers, forgetting the oldest', () => {
    const limiter = new AuthFailureLimiter({ max: 1, windowMs: 60_000, maxPeers: 100, now: () => 0 });
    for (let i = 0; i < 1000; i++) limiter.failed(`10.0.${i >> 8}.${i & 255}`);
    assert.equal(limiter.size, 100);
    assert.equal(limiter.retryAfter('10.0.0.0'), 0, 'the oldest was forgotten');
    assert.equal(limiter.retryAfter('10.0.3.231'), 60, 'the newest is remembered');
  });

  it('max 0 limits nothing', () => {
    const limiter = new AuthFailureLimiter({ max: 0, windowMs: 1000 });
    for (let i = 0; i < 100; i++) limiter.failed('a');
    assert.equal(limiter.retryAfter('a'), 0);
    assert.equal(limiter.size, 0);
  });
});

describe('auth parsers never throw on what a client sends', () => {
  it('safeDecode answers undefined for malformed escapes', () => {
    assert.equal(safeDecode('%E0%A4%A'), undefined);
    assert.equal(safeDecode('%zz'), undefined);
    assert.equal(safeDecode('a%20b'), 'a b');
  });

  it('requestUrl answers undefined for `//[`', () => {
    assert.equal(requestUrl(req({}, '//[')), undefined);
    assert.equal(requestUrl(req({}, '/ws?x=1'))?.pathname, '/ws');
  });

  it('foreignOrigin: no Origin is not foreign; another host, `null` and garbage are', () => {
    assert.equal(foreignOrigin(req({ host: '127.0.0.1:8080' })), false);
    assert.equal(foreignOrigin(req({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' })), false);
    assert.equal(foreignOrigin(req({ host: 'Box.local:8080', origin: 'https://box.local:8080' })), false);
    assert.equal(foreignOrigin(req({ host: '127.0.0.1:8080', origin: 'http://evil.example' })), true);
    assert.equal(foreignOrigin(req({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:9090' })), true);
    assert.equal(foreignOrigin(req({ host: '127.0.0.1:8080', origin: 'null' })), true);
    assert.equal(foreignOrigin(req({ host: '127.0.0.1:8080', origin: '%E0%A4%A' })), true);
  });
});

describe('config: one lock per door', () => {
  const base = { model: { path: '/m.onnx', adapter: 'ultralytics' }, cameras: [{ name: 'a', url: '/a.mp4' }] };

  it('takes websocket.auth and authFailures for the standalone server, with defaults', () => {
    const c = parseConfig({ ...base, websocket: { auth: { token: 't' } } }, { env: {}, baseDir: '/cfg' });
    assert.deepEqual(c.websocket?.auth, { token: 't' });
    assert.deepEqual(c.websocket?.authFailures, { max: 20, windowSeconds: 60 });
  });

  it('refuses websocket.auth next to an http section, naming it', () => {
    assert.throws(() => parseConfig({ ...base, http: {}, websocket: { auth: { token: 't' } } }, { env: {}, baseDir: '/cfg' }), /websocket\.auth: \/ws is served by the http server and uses http\.auth/);
  });

  it('names the path of a bad authFailures or upload limit', () => {
    assert.throws(() => parseConfig({ ...base, http: { authFailures: { max: -1 } } }, { env: {}, baseDir: '/cfg' }), /http\.authFailures\.max/);
    assert.throws(() => parseConfig({ ...base, http: { maxConcurrentDecodes: 0 } }, { env: {}, baseDir: '/cfg' }), /http\.maxConcurrentDecodes/);
  });
});
