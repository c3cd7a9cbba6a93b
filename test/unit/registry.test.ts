// The registry against a real HTTP server on loopback and real files in temporary folders: what ends up in the cache
// (and what must not) is the point, so nothing here is mocked below fetch.

import { renderDownloadProgress } from '../../cli/progress.js';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { isLookoutError, type ErrorCode } from '../../core/errors.js';
import {
  ASSETS,
  cacheDir,
  findAsset,
  isRegistryName,
  listAssets,
  resolveAsset,
  resolveModelPath,
  type AssetEntry,
  type DownloadProgress,
} from '../../models/registry.js';
import { missingDependency } from '../helpers/require.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SHARED_ASSETS = process.env.LOOKOUT_ASSETS ?? join(REPO, '..', 'shared', 'assets');
const HAVE_SHARED_ASSETS = existsSync(join(SHARED_ASSETS, 'SHA256SUMS'));

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

type Route = { status: number; body: Buffer } | 'truncate';

interface TestServer {
  base: string;
  requests: string[];
  close(): Promise<void>;
}

/** Serves `routes` by path; 'truncate' promises more bytes than it sends and then drops the connection. */
async function startServer(routes: Readonly<Record<string, Route>>): Promise<TestServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push(path);
    const route = routes[path];
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    } else if (route === 'truncate') {
      res.writeHead(200, { 'content-length': '100000' });
      res.write(Buffer.alloc(1000, 7), () => res.destroy());
    } else {
      res.writeHead(route.status, { 'content-length': String(route.body.length) }).end(route.body);
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** A port nothing listens on: bind one, then let it go. */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, ...fragments: string[]): Promise<string> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isLookoutError(err), `expected a LookoutError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    for (const fragment of fragments) assert.ok(err.message.includes(fragment), `"${err.message}" should mention ${fragment}`);
    return err.message;
  }
  assert.fail(`expected ${code}`);
}

/** A fetch that must never be called, for the paths that promise to stay offline. */
function noNetwork(calls: string[]): typeof fetch {
  return (input) => {
    calls.push(String(input));
    return Promise.reject(new Error('network used'));
  };
}

describe('model registry', () => {
  let tmp: string;
  let cache: string;

  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'lookout-registry-'));
    cache = join(tmp, 'cache');
  });

  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  describe('cacheDir', () => {
    it('prefers LOOKOUT_CACHE, then XDG_CACHE_HOME/lookout, then ~/.cache/lookout', () => {
      assert.equal(cacheDir({ LOOKOUT_CACHE: '/a', XDG_CACHE_HOME: '/x' }), '/a');
      assert.equal(cacheDir({ XDG_CACHE_HOME: '/x' }), join('/x', 'lookout'));
      assert.equal(cacheDir({ LOOKOUT_CACHE: '', XDG_CACHE_HOME: '' }).endsWith(join('.cache', 'lookout')), true);
    });
  });

  describe('the table', () => {
    it('has the promised entries, with adapters and labels that resolve', () => {
      for (const name of ['yolox-nano', 'fastestdet', 'ultraface', 'coco-names', 'mnist-8', 'one-by-one-person-detection']) {
        assert.ok(isRegistryName(name), name);
      }
      assert.equal(isRegistryName('yolox_nano.onnx'), false);
      assert.equal(findAsset('yolox-nano')?.adapter, 'yolox');
      assert.equal(findAsset('fastestdet')?.labels, 'coco-names');
      assert.deepEqual(findAsset('ultraface')?.labels, ['face']);
      assert.equal(findAsset('mnist-8')?.url, undefined);
      for (const entry of ASSETS) {
        if (entry.kind === 'model') assert.ok(entry.adapter !== undefined, `${entry.name} has an adapter`);
        if (typeof entry.labels === 'string') assert.equal(findAsset(entry.labels)?.kind, 'labels', `${entry.name} labels`);
        // pinned: a raw URL at a full commit hash, never a branch
        if (entry.url !== undefined) assert.match(entry.url, /^https:\/\/raw\.githubusercontent\.com\/[^/]+\/[^/]+\/[0-9a-f]{40}\//);
      }
    });

    it('agrees with shared/assets/SHA256SUMS', function () {
      if (!HAVE_SHARED_ASSETS) missingDependency(this, `no SHA256SUMS at ${SHARED_ASSETS}: set LOOKOUT_ASSETS to the shared assets folder`);
      const sums = new Map<string, string>();
      for (const line of readFileSync(join(SHARED_ASSETS, 'SHA256SUMS'), 'utf8').split('\n')) {
        const [hash, path] = line.trim().split(/\s+/);
        if (hash !== undefined && path !== undefined) sums.set(path.split('/').pop() ?? path, hash);
      }
      for (const entry of ASSETS) assert.equal(entry.sha256, sums.get(entry.file), entry.name);
    });
  });

  describe('download', () => {
    const payload = randomBytes(300 * 1024);
    const entry = (over: Partial<AssetEntry> = {}): AssetEntry => ({
      name: 'test-model',
      kind: 'model',
      file: 'test-model.onnx',
      sha256: sha256(payload),
      adapter: 'yolox',
      ...over,
    });
    let server: TestServer;

    beforeEach(async () => {
      server = await startServer({
        '/good.onnx': { status: 200, body: payload },
        '/other.onnx': { status: 200, body: Buffer.from('not the model') },
        '/mirror/test-model.onnx': { status: 200, body: payload },
        '/truncated.onnx': 'truncate',
      });
    });

    afterEach(async () => {
      await server.close();
    });

    it('streams a good file into the cache, reports progress to 100%, and leaves no partial file', async () => {
      const progress: DownloadProgress[] = [];
      const entries = [entry({ url: `${server.base}/good.onnx` })];
      const path = await resolveAsset('test-model', { entries, cacheDir: cache, env: {}, onProgress: (p) => progress.push(p) });

      assert.equal(path, join(cache, 'test-model.onnx'));
      assert.deepEqual(await readFile(path), payload);
      assert.deepEqual((await readdir(cache)).sort(), ['test-model.onnx', 'test-model.onnx.sha256']);
      const last = progress.at(-1);
      assert.deepEqual(last, { name: 'test-model', received: payload.length, total: payload.length });
      assert.ok(progress.length > 2, 'progress is reported while streaming, not only at the end');
      assert.match(renderDownloadProgress(last.name, last.received, last.total), /^test-model {2}300\.0\/300\.0 kB {2}100%$/);
      assert.deepEqual(server.requests, ['/good.onnx']);
    });

    it('answers a second resolve from the cache without a request', async () => {
      const entries = [entry({ url: `${server.base}/good.onnx`, size: payload.length })];
      const first = await resolveAsset('test-model', { entries, cacheDir: cache, env: {} });
      const second = await resolveAsset('test-model', { entries, cacheDir: cache, env: {}, fetchImpl: noNetwork([]) });
      assert.equal(second, first);
      assert.equal(server.requests.length, 1);
      assert.deepEqual(listAssets({ entries, cacheDir: cache }), [
        { name: 'test-model', kind: 'model', file: 'test-model.onnx', cached: true, path: first },
      ]);
    });

    it('re-hashes a cached file that changed since it was verified, and downloads it again when it is wrong', async () => {
      const entries = [entry({ url: `${server.base}/good.onnx` })];
      const path = await resolveAsset('test-model', { entries, cacheDir: cache, env: {} });
      await writeFile(path, 'corrupted');
      assert.equal(listAssets({ entries, cacheDir: cache })[0]?.cached, false);

      assert.equal(await resolveAsset('test-model', { entries, cacheDir: cache, env: {} }), path);
      assert.deepEqual(await readFile(path), payload);
      assert.equal(server.requests.length, 2);
    });

    it('refuses a wrong checksum with LOOKOUT_ERR_CHECKSUM and leaves nothing in the cache', async () => {
      const entries = [entry({ url: `${server.base}/other.onnx` })];
      await rejectsWith(
        resolveAsset('test-model', { entries, cacheDir: cache, env: {} }),
        'LOOKOUT_ERR_CHECKSUM',
        'test-model.onnx',
        sha256(payload),
        sha256(Buffer.from('not the model')),
      );
      assert.deepEqual(await readdir(cache), []);
    });

    it('stops a response larger than the pinned size early, with nothing left behind', async () => {
      const entries = [entry({ url: `${server.base}/good.onnx`, size: 1000 })];
      await rejectsWith(resolveAsset('test-model', { entries, cacheDir: cache, env: {} }), 'LOOKOUT_ERR_CHECKSUM', 'larger');
      assert.deepEqual(await readdir(cache), []);
    });

    it('turns an HTTP 404 into LOOKOUT_ERR_REGISTRY naming the URL, with nothing in the cache', async () => {
      const url = `${server.base}/missing.onnx`;
      await rejectsWith(resolveAsset('test-model', { entries: [entry({ url })], cacheDir: cache, env: {} }), 'LOOKOUT_ERR_REGISTRY', url, '404');
      assert.deepEqual(await readdir(cache), []);
    });

    it('turns a refused connection into LOOKOUT_ERR_REGISTRY naming the URL and how to work offline', async () => {
      const url = `http://127.0.0.1:${await refusedPort()}/good.onnx`;
      await rejectsWith(
        resolveAsset('test-model', { entries: [entry({ url })], cacheDir: cache, env: {} }),
        'LOOKOUT_ERR_REGISTRY',
        url,
        'LOOKOUT_ASSETS=DIR',
        '--from DIR',
      );
      assert.deepEqual(await readdir(cache), []);
    });

    it('turns a connection dropped mid-file into LOOKOUT_ERR_REGISTRY, with nothing in the cache', async () => {
      const url = `${server.base}/truncated.onnx`;
      await rejectsWith(resolveAsset('test-model', { entries: [entry({ url })], cacheDir: cache, env: {} }), 'LOOKOUT_ERR_REGISTRY', url);
      assert.deepEqual(await readdir(cache), []);
    });

    it('does not touch the network when offline, and says how to supply the file', async () => {
      const entries = [entry({ url: `${server.base}/good.onnx` })];
      await rejectsWith(
        resolveAsset('test-model', { entries, cacheDir: cache, env: {}, offline: true }),
        'LOOKOUT_ERR_REGISTRY',
        'LOOKOUT_ASSETS=DIR',
        'test-model.onnx',
      );
      assert.deepEqual(server.requests, []);
    });

    it('downloads from a mirror base URL, also for an entry with no URL of its own', async () => {
      const entries = [entry()];
      await rejectsWith(resolveAsset('test-model', { entries, cacheDir: cache, env: {} }), 'LOOKOUT_ERR_REGISTRY', 'no pinned download URL');
      const path = await resolveAsset('test-model', { entries, cacheDir: cache, env: {}, baseUrl: `${server.base}/mirror` });
      assert.deepEqual(await readFile(path), payload);
      assert.deepEqual(server.requests, ['/mirror/test-model.onnx']);
    });
  });

  describe('local folders', () => {
    it('resolves yolox-nano from LOOKOUT_ASSETS without any network', async function () {
      if (!HAVE_SHARED_ASSETS) missingDependency(this, `no shared assets at ${SHARED_ASSETS}: set LOOKOUT_ASSETS to the shared assets folder`);
      const calls: string[] = [];
      const path = await resolveAsset('yolox-nano', { env: { LOOKOUT_ASSETS: SHARED_ASSETS }, cacheDir: cache, fetchImpl: noNetwork(calls) });
      assert.equal(path, join(SHARED_ASSETS, 'models', 'yolox_nano.onnx'));
      assert.deepEqual(calls, []);
      assert.equal(existsSync(cache), false, 'a local copy is used where it is, not copied into the cache');
    });

    it('reads LOOKOUT_ASSETS from process.env by default, and --from finds media/<file>', async function () {
      if (!HAVE_SHARED_ASSETS) missingDependency(this, `no shared assets at ${SHARED_ASSETS}: set LOOKOUT_ASSETS to the shared assets folder`);
      const saved = { assets: process.env.LOOKOUT_ASSETS, cache: process.env.LOOKOUT_CACHE };
      process.env.LOOKOUT_ASSETS = SHARED_ASSETS;
      process.env.LOOKOUT_CACHE = cache;
      try {
        assert.equal(await resolveModelPath('fastestdet', { fetchImpl: noNetwork([]) }), join(SHARED_ASSETS, 'models', 'FastestDet.onnx'));
      } finally {
        restoreEnv('LOOKOUT_ASSETS', saved.assets);
        restoreEnv('LOOKOUT_CACHE', saved.cache);
      }
      const clip = await resolveAsset('one-by-one-person-detection', { from: SHARED_ASSETS, env: {}, cacheDir: cache, fetchImpl: noNetwork([]) });
      assert.equal(clip, join(SHARED_ASSETS, 'media', 'one-by-one-person-detection.mp4'));
    });

    it('refuses a tampered local copy with LOOKOUT_ERR_CHECKSUM and does not fall back to the network', async () => {
      const dir = join(tmp, 'assets');
      await mkdir(join(dir, 'models'), { recursive: true });
      const tampered = Buffer.from('definitely not yolox');
      await writeFile(join(dir, 'models', 'yolox_nano.onnx'), tampered);
      const calls: string[] = [];
      const expected = findAsset('yolox-nano')?.sha256 ?? '';
      await rejectsWith(
        resolveAsset('yolox-nano', { from: dir, env: {}, cacheDir: cache, fetchImpl: noNetwork(calls) }),
        'LOOKOUT_ERR_CHECKSUM',
        join(dir, 'models', 'yolox_nano.onnx'),
        expected,
        sha256(tampered),
      );
      assert.deepEqual(calls, []);
    });

    it('finds <file> at the top of the folder first', async () => {
      const bytes = Buffer.from('labels\n');
      const dir = join(tmp, 'flat');
      await mkdir(dir);
      await writeFile(join(dir, 'l.names'), bytes);
      const entries: AssetEntry[] = [{ name: 'l', kind: 'labels', file: 'l.names', sha256: sha256(bytes) }];
      assert.equal(await resolveAsset('l', { entries, from: dir, env: {}, cacheDir: cache }), join(dir, 'l.names'));
    });
  });

  describe('resolveModelPath', () => {
    it('uses an existing file as is', async () => {
      const file = join(tmp, 'my.onnx');
      await writeFile(file, 'x');
      assert.equal(await resolveModelPath(file, { env: {}, cacheDir: cache, fetchImpl: noNetwork([]) }), file);
    });

    it('names the unknown thing and the known names', async () => {
      await rejectsWith(resolveModelPath(join(tmp, 'nope.onnx'), { env: {}, cacheDir: cache }), 'LOOKOUT_ERR_REGISTRY', 'nope.onnx', 'yolox-nano', 'ultraface');
      await rejectsWith(resolveAsset('yolo-huge', { env: {}, cacheDir: cache }), 'LOOKOUT_ERR_REGISTRY', 'yolo-huge', 'fastestdet');
    });

    it('says mnist-8 can only come from a local folder', async () => {
      await rejectsWith(resolveModelPath('mnist-8', { env: {}, cacheDir: cache, fetchImpl: noNetwork([]) }), 'LOOKOUT_ERR_REGISTRY', 'mnist-8', 'LOOKOUT_ASSETS=DIR');
    });
  });

  describe('listAssets', () => {
    it('lists every entry, none cached in an empty cache', () => {
      const listed = listAssets({ cacheDir: cache });
      assert.deepEqual(listed.map((a) => a.name), ASSETS.map((a) => a.name));
      assert.ok(listed.every((a) => !a.cached && a.path === undefined));
    });
  });

  describe('renderDownloadProgress', () => {
    it('renders one line with sizes and percent', () => {
      assert.equal(renderDownloadProgress('yolox-nano', 1.2 * 1024 ** 2, 3.5 * 1024 ** 2), 'yolox-nano  1.2/3.5 MB  34%');
      assert.equal(renderDownloadProgress('coco-names', 625, 625), 'coco-names  625/625 B  100%');
      assert.equal(renderDownloadProgress('clip', 2048, undefined), 'clip  2.0 kB');
      assert.equal(renderDownloadProgress('clip', 0, 0), 'clip  0 B');
    });
  });
});

function restoreEnv(key: string, value: string | undefined): void {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
}
