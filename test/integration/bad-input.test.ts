// Bad input, table-driven: each case names the input, the exit code or status Lookout gives, and the text a user sees.
// docs/reliability.md lists these with the cases other test files already cover. Nothing here may crash the process.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflateSync } from 'node:zlib';
import { validateCommand } from '../../cli/validate.js';
import { parseConfig } from '../../config/load.js';
import type { MqttConfig } from '../../config/types.js';
import { exitCodeFor, isLookoutError } from '../../core/errors.js';
import { Logger } from '../../core/logger.js';
import { Runtime } from '../../pipeline/runtime.js';
import type { FrameResult, Status } from '../../core/types.js';
import { HttpServer } from '../../sinks/http/http-server.js';
import { MqttSink } from '../../sinks/mqtt/mqtt-sink.js';
import { Snapshots } from '../../sinks/snapshot/snapshots.js';
import { spawnLookout, until } from '../helpers/faults.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { buildModel } from '../helpers/onnx-builder.js';
import { freePort } from '../helpers/ports.js';
import { waitForNoChildren } from '../helpers/processes.js';
import { fakeInputs } from '../helpers/sink-inputs.js';
import { writeSquareDetector } from '../helpers/square-detector.js';
import { renderSquareClip, type SquareScene } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const quiet = new Logger({ level: 'error', json: false, write: () => undefined });

interface CliCase {
  what: string;
  /**
   * `lookout validate` run in this process, the exit code computed as cli.ts does (exitCodeFor); saves a process
   * start per case on a busy box (that the process prints that line and exits 2 is shown in cli.test.ts)
   */
  inProcess?: boolean;
  args: () => string[];
  code: number;
  /** the one `lookout: …` line on stderr (for exit ≠ 0), or a check of stdout (exit 0) */
  stderr?: RegExp;
  stdout?: (out: string) => void;
}

describe('bad input (table-driven; see docs/reliability.md)', function () {
  this.timeout(90_000);
  const tmp = useTmpDir('lookout-bad-input-');
  const scene: SquareScene = { width: 320, height: 240, fps: 10, duration: 6, size: 40, x0: 20, y0: 100, vx: 30, vy: 0 };
  let model: string;
  let labels: string;
  let clip: string;
  const f = (name: string) => join(tmp(), name);

  before(async () => {
    model = await writeSquareDetector(tmp(), { width: 160, height: 160, dynamicBatch: true });
    labels = f('labels.txt');
    await writeFile(labels, 'square\n');
    clip = await renderSquareClip(scene, f('good.mp4'));
    // truncated videos: an mp4 whose index (moov) is at the end, and one whose index is at the front (faststart)
    await writeFile(f('truncated.mp4'), (await readFile(clip)).subarray(0, Math.floor((await stat(clip)).size / 2)));
    await run('ffmpeg', ['-v', 'error', '-y', '-i', clip, '-c', 'copy', '-movflags', '+faststart', f('faststart.mp4')]);
    await writeFile(f('truncated-faststart.mp4'), (await readFile(f('faststart.mp4'))).subarray(0, Math.floor((await stat(f('faststart.mp4'))).size / 2)));
    await writeFile(f('zero.mp4'), '');
    await writeFile(f('notes.mp4'), 'meeting notes, not a video\n');
    // a codec ffmpeg has no decoder for: an AVI whose fourcc is made up
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=10:d=1', '-c:v', 'mpeg4', '-vtag', 'FMP4', '-f', 'avi', f('mpeg4.avi')]);
    const avi = Buffer.from((await readFile(f('mpeg4.avi'))).toString('latin1').split('FMP4').join('ZZZZ'), 'latin1');
    await writeFile(f('unknown-codec.avi'), avi);
    // a model whose input has rank 3 ([1,160,160]) where every image adapter needs NCHW
    await writeFile(
      f('rank3.onnx'),
      buildModel({ inputs: [{ name: 'images', elemType: 'float', dims: [1, 160, 160] }], outputs: [{ name: 'output0', elemType: 'float', dims: [1, 160, 160] }], nodes: [{ op: 'Identity', inputs: ['images'], outputs: ['output0'] }] }),
    );
    await writeFile(f('three-labels.txt'), 'a\nb\nc\n');
  });

  afterEach(async () => {
    assert.deepEqual(await waitForNoChildren({ timeoutMs: 5000 }), [], 'no child process left');
  });

  describe('the command line (exit code and the one line on stderr)', () => {
    const detect = (file: string, ...extra: string[]) => ['detect', f(file), '--model', model, '--adapter', 'ultralytics', '--labels', labels, ...extra];
    /** written in the case's `before`, when the temporary directory and the model exist */
    const config = (name: string, yaml: () => string) => ({ path: () => f(name), write: () => writeFile(f(name), yaml()) });
    const cases: (CliCase & { before?: () => Promise<unknown> })[] = [
      { what: 'a zero-byte video', args: () => detect('zero.mp4'), code: 1, stderr: /^lookout: cannot open \S*zero\.mp4: the file is empty \(0 bytes\)$/ },
      { what: 'a truncated mp4 (index at the end, cut off)', args: () => detect('truncated.mp4'), code: 1, stderr: /^lookout: cannot open \S*truncated\.mp4: Invalid data found when processing input$/ },
      {
        what: 'a truncated mp4 (index at the front): the frames before the cut',
        args: () => detect('truncated-faststart.mp4'),
        code: 0,
        stdout: (out) => {
          const summary = JSON.parse(out.trim().split('\n').at(-1)!) as { summary: { frames: number } };
          assert.ok(summary.summary.frames > 5 && summary.summary.frames < scene.fps * scene.duration, `${summary.summary.frames} frames`);
        },
      },
      { what: 'a text file named .mp4', args: () => detect('notes.mp4'), code: 1, stderr: /^lookout: cannot open \S*notes\.mp4: Invalid data found when processing input$/ },
      { what: 'an unsupported codec', args: () => detect('unknown-codec.avi'), code: 1, stderr: /^lookout: cannot open \S*unknown-codec\.avi: its video codec \(tag ZZZZ\) is not one this ffmpeg can decode$/ },
      {
        what: 'a model with the wrong input rank',
        args: () => ['detect', clip, '--model', f('rank3.onnx'), '--adapter', 'ultralytics'],
        code: 1,
        stderr: /^lookout: ultralytics: input "images": expected rank 4 \[N,3,H,W\], got \[1,160,160\]$/,
      },
      {
        what: 'labels that do not match the class count',
        args: () => ['detect', clip, '--model', model, '--adapter', 'ultralytics', '--labels', f('three-labels.txt')],
        code: 1,
        stderr: /^lookout: .*the labels file has 3 labels but the model has 1 class/,
      },
      ...(
        [
          ['wrong type', 'cameras:\n  - { name: a, url: a.mp4, fps: fast }', /cameras\[0\]\.fps: must be a positive number, got string "fast"/],
          ['an unknown key', 'cameras:\n  - { name: a, url: a.mp4, fsp: 5 }', /cameras\[0\]\.fsp: unknown setting \(known: name, url, fps/],
          ['duplicate camera names', 'cameras:\n  - { name: a, url: a.mp4 }\n  - { name: a, url: b.mp4 }', /camera names must be unique: cameras\[1\]\.name "a" is used twice/],
          ['a zone with two points', 'cameras:\n  - { name: a, url: a.mp4, zones: { door: { points: [[0, 0], [1, 1]] } } }', /cameras\[0\]\.zones\.door\.points: expected at least 3 points, got 2/],
          ['a zone point that is not [x, y]', 'cameras:\n  - { name: a, url: a.mp4, zones: { door: { points: [[0, 0], [1, "x"], [1, 1]] } } }', /cameras\[0\]\.zones\.door\.points\[1\]: expected \[x, y\] with two finite numbers/],
          ['a zone with negative coordinates', 'cameras:\n  - { name: a, url: a.mp4, zones: { door: { points: [[0, 0], [-5, 1], [1, 1]] } } }', /zones\.door\.points\[1\]: coordinates must not be negative/],
          ['negative fps', 'cameras:\n  - { name: a, url: a.mp4, fps: -2 }', /cameras\[0\]\.fps: must be a positive number, got -2/],
          ['a URL that is no camera', 'cameras:\n  - { name: a, url: "ftp://cam/x" }', /cameras\[0\]\.url: ftp:\/\/ is not a camera input/],
          ['a ${VAR} that is not set', 'cameras:\n  - { name: a, url: "rtsp://cam/x", username: u, password: "${LOOKOUT_TEST_NO_SUCH_VAR}" }', /cameras\[0\]\.password: environment variable LOOKOUT_TEST_NO_SUCH_VAR is not set/],
          ['broken YAML', 'cameras: [unclosed', /cannot parse config/],
          ['an MQTT URL that is not one', 'cameras:\n  - { name: a, url: a.mp4 }\nmqtt: { url: "http://broker" }', /mqtt\.url: expected mqtt:\/\/, mqtts:\/\//],
        ] as const
      ).map(([what, yaml, message], i): CliCase & { before: () => Promise<unknown> } => {
        const c = config(`config-${i}.yaml`, () => `model: { path: ${model} }\n${yaml}\n`);
        return { what: `a config with ${what}`, before: c.write, args: () => ['validate', '-c', c.path()], code: 2, stderr: message, inProcess: true };
      }),
    ];

    it(`${cases.length} cases: the right exit code and one clear line, no stack trace`, async () => {
      for (const c of cases) await c.before?.();
      // in parallel: each is its own process
      const results = await Promise.all(
        cases.map(async (c) => {
          if (c.inProcess) {
            const [, , file] = c.args();
            try {
              return { c, exit: { code: await validateCommand(file, { print: false, write: () => undefined }) }, stdout: '', stderr: '' };
            } catch (err) {
              assert.ok(isLookoutError(err), `${c.what}: a LookoutError`);
              return { c, exit: { code: exitCodeFor(err.code) }, stdout: '', stderr: `lookout: ${err.message} (${err.code})\n` };
            }
          }
          const p = spawnLookout(c.args());
          const exit = await p.exited;
          return { c, exit, stdout: p.stdout(), stderr: p.stderr() };
        }),
      );
      for (const { c, exit, stdout, stderr } of results) {
        assert.equal(exit.code, c.code, `${c.what}: exit ${exit.code}\n${stderr}`);
        if (c.stderr) {
          const lines = stderr.trim().split('\n').filter((l) => l.startsWith('lookout: '));
          assert.equal(lines.length, 1, `${c.what}: one line\n${stderr}`);
          // the line ends with its error code (docs/errors.md); the message is checked without it
          assert.match(lines[0], / \(LOOKOUT_ERR_[A-Z_]+\)$/, `${c.what}: the code is printed`);
          assert.match(lines[0].replace(/ \(LOOKOUT_ERR_[A-Z_]+\)$/, ''), c.stderr, c.what);
        }
        assert.doesNotMatch(stderr, /\n\s+at /, `${c.what}: no stack trace`);
        c.stdout?.(stdout);
      }
    });

    it('lookout run: a camera that cannot be read ends the run with exit 1 naming it, after the others are done', async () => {
      const file = f('run-bad-camera.yaml');
      await writeFile(file, `model: { path: ${model}, adapter: ultralytics, labels: ${labels} }\ncameras:\n  - { name: notes, url: ${f('notes.mp4')} }\n  - { name: good, url: ${clip}, realtime: false }\n`);
      const p = spawnLookout(['run', '-c', file]);
      const exit = await p.exited;
      assert.equal(exit.code, 1, p.stderr());
      assert.match(p.stderr(), /\[stats\/good\] 30 frames detected, 0 dropped, status ended/);
      assert.match(p.stderr().trim().split('\n').at(-1)!, /^lookout: 1 of 2 cameras failed: notes: cannot open \S*notes\.mp4: Invalid data found when processing input \(LOOKOUT_ERR_MEDIA\)$/);
    });

    it('lookout run: http.host beyond loopback without auth is refused with exit 2', async () => {
      const file = f('run-open-http.yaml');
      await writeFile(file, `model: { path: ${model}, adapter: ultralytics, labels: ${labels} }\ncameras:\n  - { name: good, url: ${clip} }\nhttp: { host: 0.0.0.0, port: ${await freePort()} }\n`);
      const p = spawnLookout(['run', '-c', file]);
      const exit = await p.exited;
      assert.equal(exit.code, 2, p.stderr());
      assert.match(p.stderr(), /lookout: http\.host is 0\.0\.0\.0, which is reachable from other machines, and no http\.auth is set/);
    });

    it('lookout run: a model that throws at run time restarts, and with log.json every stderr line stays JSON', async () => {
      const faulty = await writeSquareDetector(tmp(), { width: 160, height: 160, dynamicBatch: true, fault: 'on-square' });
      const file = f('run-faulty.yaml');
      await writeFile(file, `model: { path: ${faulty}, adapter: ultralytics, labels: ${labels} }\ncameras:\n  - { name: good, url: ${clip}, loop: true }\nlog: { json: true }\n`);
      const p = spawnLookout(['run', '-c', file]);
      await p.waitForStderr(/DETECTOR_RESTARTED|running again/, 20_000);
      p.child.kill('SIGINT');
      const exit = await p.exited;
      assert.equal(exit.code, 0, p.stderr());
      const lines = p.stderr().trim().split('\n');
      for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line}`);
      const records = lines.map((l) => JSON.parse(l) as { level: string; component?: string; msg: string });
      assert.ok(records.some((r) => r.level === 'error' && r.component === 'detector' && /the detector failed \(model run failed: .*Reshape/.test(r.msg)));
      assert.ok(records.some((r) => r.component === 'detector' && /the detector is running again/.test(r.msg)));
    });
  });

  describe('cameras (statuses of a running pipeline)', () => {
    it('an unreachable host, a name that does not resolve and a 7680×4320 stream, next to a good camera', async () => {
      const closedPort = await freePort();
      const reconnect = { initialMs: 100, maxMs: 300 };
      const config = parseConfig(
        {
          model: { path: model, adapter: 'ultralytics', labels, threshold: 0.5 },
          cameras: [
            { name: 'good', url: clip, loop: true, realtime: true, fps: 10 },
            // loopback with no listener, and RFC 2606's .invalid, which never resolves: no traffic leaves the machine
            { name: 'refused', url: `rtsp://127.0.0.1:${closedPort}/stream`, fps: 5, reconnect },
            { name: 'nodns', url: 'rtsp://camera.invalid/stream', fps: 5, reconnect },
            // 8K: ffmpeg decodes and scales it to the model's 160x160, so Lookout's memory does not depend on it
            // full: every frame's box is checked below, and regions would look at a still square only every few frames
            { name: 'huge', url: 'lavfi:color=c=black:s=7680x4320:r=5:d=1,drawbox=x=3000:y=2000:w=800:h=800:color=red:t=fill', realtime: false, fps: 5, detectMode: 'full' },
          ],
        },
        { env: {} },
      );
      const runtime = await Runtime.create(config, { logger: quiet });
      const statuses: Status[] = [];
      const huge: FrameResult[] = [];
      runtime.status$.subscribe((s) => statuses.push(s));
      runtime.results$.subscribe((r) => r.frame.camera === 'huge' && huge.push(r));
      const rss0 = process.memoryUsage().rss;
      runtime.start();
      try {
        const of = (camera: string) => statuses.find((s) => s.camera === camera && s.code.startsWith('LOOKOUT_ERR_'));
        await until('both unreachable cameras reported', () => of('refused') && of('nodns'));
        await until('retries', () => runtime.snapshot().cameras.refused.reconnects >= 2 && runtime.snapshot().cameras.nodns.reconnects >= 2, 15_000);
        const refused = of('refused')!;
        assert.equal(refused.code, 'LOOKOUT_ERR_CAMERA_UNREACHABLE');
        assert.equal(refused.severity, 'warning');
        assert.match(refused.message, /^refused: the camera cannot be reached: cannot open rtsp:\/\/127\.0\.0\.1:\d+\/stream: .*Connection refused; retrying$/);
        const nodns = of('nodns')!;
        assert.equal(nodns.code, 'LOOKOUT_ERR_CAMERA_UNREACHABLE');
        assert.match(nodns.message, /^nodns: the camera cannot be reached: cannot open rtsp:\/\/camera\.invalid\/stream: Failed to resolve hostname camera\.invalid: .*; retrying$/);
        const snap = runtime.snapshot().cameras;
        assert.equal(snap.refused.status, 'reconnecting');
        assert.equal(snap.nodns.status, 'reconnecting');
        // one status per change, not per retry
        assert.equal(statuses.filter((s) => s.camera === 'refused' && s.code === 'LOOKOUT_ERR_CAMERA_UNREACHABLE').length, 1);

        // 'ended' says ffmpeg is done, not that every frame it delivered has come out of inference: wait for both
        await until(
          'the 8K stream read to its end and every frame it delivered detected',
          () => {
            const c = runtime.snapshot().cameras.huge;
            return c.status === 'ended' && c.framesIn > 0 && huge.length === c.framesIn - c.dropped;
          },
          30_000,
        );
        // 1 s at 5 fps, read as fast as possible (a file-like source waits rather than drops)
        assert.equal(huge.length, 5, `${huge.length} frames of the 8K stream`);
        for (const r of huge) {
          assert.equal(r.frame.transform.srcWidth, 7680);
          assert.equal(r.frame.transform.srcHeight, 4320);
          // one model pixel is 48 source pixels
          [3000, 2000, 3800, 2800].forEach((v, i) => assert.ok(Math.abs(r.detections[0].box[i] - v) <= 48, `box ${r.detections[0].box.map(Math.round)}`));
        }
        const grew = (process.memoryUsage().rss - rss0) / (1024 * 1024);
        assert.ok(grew < 150, `RSS grew ${grew.toFixed(0)} MB`);
        // how far the good camera got depends on how fast the others failed; that it goes on is the point
        await until('the good camera went on (more than 10 frames detected)', () => runtime.snapshot().cameras.good.framesDetected > 10, 30_000);
        assert.equal(runtime.failure, undefined);
      } finally {
        await runtime.stop();
      }
    });
  });

  describe('the HTTP API', () => {
    let runtime: Runtime;
    let server: HttpServer;
    let snapshots: Snapshots;
    // set up and torn down around the one test, so that the suite's check for left-over processes sees it stopped
    beforeEach(async () => {
      const config = parseConfig({ model: { path: model, adapter: 'ultralytics', labels }, cameras: [{ name: 'yard', url: clip, loop: true }] }, { env: {} });
      runtime = await Runtime.create(config, { logger: quiet });
      snapshots = new Snapshots(runtime.updates$, runtime.frames, quiet);
      server = await HttpServer.create(runtime, { host: '127.0.0.1', port: 0, auth: undefined, logger: quiet, cameras: config.cameras, snapshots, maxUploadBytes: 100_000, eventsKept: 10 });
      runtime.start();
    });
    afterEach(async () => {
      await server.close();
      snapshots.close();
      await runtime.stop();
    });

    /** A PNG header claiming `width`×`height`, with a little pixel data: a decompression bomb's first bytes. */
    function bombPng(width: number, height: number): Buffer {
      const chunk = (type: string, data: Buffer) => {
        const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
        const len = Buffer.alloc(4);
        len.writeUInt32BE(data.length);
        const crc = Buffer.alloc(4);
        crc.writeUInt32BE(crc32(body));
        return Buffer.concat([len, body, crc]);
      };
      const ihdr = Buffer.alloc(13);
      ihdr.writeUInt32BE(width, 0);
      ihdr.writeUInt32BE(height, 4);
      ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
      return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(64 * 1024))), chunk('IEND', Buffer.alloc(0))]);
    }

    /** One raw request, so that the path reaches the server exactly as written (fetch would normalise `..`). */
    function rawRequest(head: string, body: Buffer = Buffer.alloc(0)): Promise<{ status: number; text: string }> {
      const port = Number(new URL(server.url).port);
      return new Promise((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port });
        let text = '';
        socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text }));
        socket.write(head);
        socket.end(body);
        setTimeout(() => reject(new Error(`no answer to ${head.split('\r\n')[0]}`)), 5000).unref();
      });
    }

    const cases: { what: string; request: () => Promise<{ status: number; text: string }>; status: number; body?: RegExp }[] = [
      { what: 'text/plain upload', request: () => post('hello', 'text/plain'), status: 415, body: /send the image as image\/jpeg or image\/png/ },
      { what: 'not an image, labelled PNG', request: () => post('this is not a png', 'image/png'), status: 400, body: /cannot decode the uploaded PNG/ },
      { what: 'an image over maxUploadBytes (declared)', request: () => post(new Uint8Array(200_000), 'image/jpeg'), status: 413, body: /over 100000 bytes/ },
      {
        what: 'an image over maxUploadBytes (chunked, no length)',
        request: () => rawRequest('POST /api/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n', Buffer.concat([Buffer.from('30d40\r\n'), Buffer.alloc(200_000), Buffer.from('\r\n0\r\n\r\n')])),
        status: 413,
        body: /over 100000 bytes/,
      },
      { what: 'an empty body', request: () => post(new Uint8Array(0), 'image/jpeg'), status: 400, body: /no body/ },
      { what: 'a PNG claiming 100000×100000 pixels (decompression bomb)', request: () => post(bombPng(100_000, 100_000), 'image/png'), status: 400, body: /cannot decode the uploaded PNG: Input image exceeds pixel limit/ },
      { what: 'GET on /api/detect', request: () => fetchText('/api/detect'), status: 405 },
      { what: 'snapshot id with ../ (encoded)', request: () => fetchText('/api/events/..%2F..%2Fetc%2Fpasswd/snapshot.jpg'), status: 400, body: /not an event id/ },
      { what: 'camera name with ../ (encoded)', request: () => fetchText('/api/cameras/..%2F..%2Fetc%2Fpasswd/latest.jpg'), status: 404, body: /no camera named/ },
      { what: 'raw ../ in the path', request: () => rawRequest('GET /../../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), status: 404 },
      { what: 'encoded %2e%2e in the path', request: () => rawRequest('GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), status: 404 },
      { what: 'a dashboard file with ../ after it', request: () => rawRequest('GET /app.js/../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), status: 404 },
      { what: 'a request line that is not HTTP', request: () => rawRequest('\x16\x03\x01garbage\r\n\r\n'), status: 400 },
    ];
    async function post(body: string | Uint8Array, type: string) {
      const res = await fetch(`${server.url}/api/detect`, { method: 'POST', headers: { 'content-type': type }, body: body as BodyInit });
      return { status: res.status, text: await res.text() };
    }
    async function fetchText(path: string) {
      const res = await fetch(`${server.url}${path}`);
      return { status: res.status, text: await res.text() };
    }

    it(`${cases.length} bad requests get a clear 4xx, no file content, and the server stays up`, async () => {
      for (const c of cases) {
        const r = await c.request();
        assert.equal(r.status, c.status, `${c.what}: ${r.text.slice(0, 300)}`);
        if (c.body) assert.match(r.text, c.body, c.what);
        assert.doesNotMatch(r.text, /root:|\[boot loader\]/, `${c.what}: no file content`);
      }
      const health = await fetch(`${server.url}/api/health`);
      assert.ok(health.status === 200 || health.status === 503);
      assert.equal(runtime.failure, undefined);
    });
  });

  describe('MQTT commands', () => {
    it('malformed …/detect/set payloads are ignored with a warning; a good one still works after them', async () => {
      const port = await freePort();
      const cfg = parseConfig({ model: { path: 'm.onnx' }, cameras: [{ name: 'yard', url: 'a.mp4' }], mqtt: { embedded: { host: '127.0.0.1', port }, statsIntervalSeconds: 0, discovery: { enabled: false } } }, { env: {} });
      const fake = fakeInputs(['yard']);
      const warnings: Status[] = [];
      fake.status.subscribe((s) => s.code === 'MQTT_COMMAND_IGNORED' && warnings.push(s));
      const connected = fake.nextStatus('MQTT_CONNECTED');
      const sink = await MqttSink.create(fake.inputs, { mqtt: cfg.mqtt as MqttConfig, cameras: cfg.cameras, logger: quiet });
      const rec = await MqttRecorder.connect(`mqtt://127.0.0.1:${port}`, ['lookout/yard/detect/state']);
      try {
        await connected;
        const table: [string, string, RegExp][] = [
          ['lookout/yard/detect/set', '', /expected ON or OFF, got ""/],
          ['lookout/yard/detect/set', 'MAYBE', /expected ON or OFF, got "MAYBE"/],
          ['lookout/yard/detect/set', '{"state":"OFF"}', /expected ON or OFF, got "\{\\"state\\":\\"OFF\\"\}"/],
          ['lookout/yard/detect/set', 'x'.repeat(1024 * 1024), /expected ON or OFF, got "x{40}…"/],
          ['lookout/yard/detect/set', '\u0000\u00ff\u00fe', /expected ON or OFF, got /],
          ['lookout/nocam/detect/set', 'OFF', /no running camera named "nocam"/],
          ['lookout/../detect/set', 'OFF', /no running camera named ".."/],
        ];
        for (const [topic, payload] of table) await rec.publish(topic, payload);
        await until('every bad command answered', () => warnings.length >= table.length, 10_000);
        table.forEach(([topic, , message], i) => {
          assert.equal(warnings[i].severity, 'warning');
          assert.ok(warnings[i].message.startsWith(`ignored ${topic}: `), warnings[i].message);
          assert.match(warnings[i].message, message);
          assert.ok(warnings[i].message.length < 200, 'a long payload is cut short in the message');
        });
        assert.equal(fake.detect.get('yard'), true, 'nothing changed');
        await rec.publish('lookout/yard/detect/set', ' off ');
        await rec.waitFor((r) => r.texts('lookout/yard/detect/state').includes('OFF') || undefined, 'OFF after the garbage');
        assert.equal(fake.detect.get('yard'), false);
      } finally {
        await rec.close();
        await sink.close();
      }
    });
  });
});

/** CRC-32 (PNG chunks), table-free: speed does not matter for three chunks. */
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
