import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assetPath, cliPath, requireAsset } from '../helpers/assets.js';
import { childProcesses } from '../helpers/processes.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { DEFAULT_SCENE, frameCount, lavfiSpec, renderSquareClip, squarePosition } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function lookout(args: string[], opts: { env?: NodeJS.ProcessEnv; signalAfter?: (stdout: string, stderr: string) => boolean; signal?: NodeJS.Signals } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const check = () => {
      if (!signalled && opts.signalAfter?.(stdout, stderr)) {
        signalled = true;
        child.kill(opts.signal ?? 'SIGINT');
      }
    };
    child.stdout.setEncoding('utf8').on('data', (c: string) => ((stdout += c), check()));
    child.stderr.setEncoding('utf8').on('data', (c: string) => ((stderr += c), check()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const jsonLines = (text: string) => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('lookout CLI', function () {
  this.timeout(60000);
  const tmp = useTmpDir('lookout-cli-');
  let model: string;
  let labels: string;
  let clip: string;
  before(async () => {
    ({ model, labels } = await writeSquareModel(tmp()));
    clip = await renderSquareClip(DEFAULT_SCENE, join(tmp(), 'scene.mp4'));
  });

  describe('usage and bad input', () => {
    it('prints help with exit 0, and asks for a command with exit 2', async () => {
      const help = await lookout(['--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /lookout detect FILE/);
      assert.match(help.stdout, /lookout run -c FILE/);
      assert.equal((await lookout([])).code, 2);
    });

    it('rejects an unknown option or command with one line and exit 2', async () => {
      for (const args of [['detect', 'x.jpg', '--modle', 'm'], ['frobnicate'], ['detect', 'x.jpg']]) {
        const r = await lookout(args);
        assert.equal(r.code, 2, args.join(' '));
        assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
        assert.match(r.stderr, /^lookout: /);
      }
    });

    it("rejects an option the command does not take (run --threshold) with one line naming it and exit 2", async () => {
      const r = await lookout(['run', '-c', join(tmp(), 'any.yaml'), '--threshold', '0.9']);
      assert.equal(r.code, 2);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.match(r.stderr, /^lookout: run: --threshold is not an option of lookout run/);
    });

    it('validate: exit 0 for a good config, 2 naming the path for a bad one', async () => {
      const good = join(tmp(), 'good.yaml');
      await writeFile(good, `model: { path: ${model}, adapter: ultralytics }\ncameras:\n  - { name: front, url: ${clip} }\n`);
      const ok = await lookout(['validate', '-c', good]);
      assert.equal(ok.code, 0);
      assert.match(ok.stdout, /valid \(1 camera/);
      const bad = join(tmp(), 'bad.yaml');
      await writeFile(bad, `model: { path: ${model} }\ncameras:\n  - { name: front, url: a.mp4 }\n  - { name: back, url: b.mp4, fps: -1 }\n`);
      const r = await lookout(['validate', '-c', bad]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /cameras\[1\]\.fps: must be a positive number, got -1/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal((await lookout(['validate', '-c', join(tmp(), 'none.yaml')])).code, 2);
    });

    const failures: [string, () => string[], RegExp][] = [
      ['a model that does not exist', () => ['detect', clip, '--model', join(tmp(), 'nope.onnx'), '--adapter', 'yolox'], /nope\.onnx" is neither an existing file nor a known registry name/],
      ['a model file that is not ONNX', () => ['detect', clip, '--model', labels, '--adapter', 'yolox'], /cannot load model .*labels\.txt: not a valid ONNX file/],
      ['a model that does not fit its adapter', () => ['detect', clip, '--model', model, '--adapter', 'yolox'], /yolox: /],
      ['a video that is not a video', () => ['detect', labels.replace('.txt', '.mp4'), '--model', model, '--adapter', 'ultralytics'], /cannot open .*labels\.mp4/],
      ['labels that do not match the classes', () => ['detect', clip, '--model', model, '--adapter', 'ultralytics', '--labels', join(tmp(), 'three.txt')], /the labels file has 3 labels but the model has 1 class/],
    ];
    for (const [what, args, message] of failures) {
      it(`exits 1 with one clear line for ${what}`, async () => {
        await writeFile(labels.replace('.txt', '.mp4'), 'not a video');
        await writeFile(join(tmp(), 'three.txt'), 'a\nb\nc\n');
        const r = await lookout(args());
        assert.equal(r.code, 1, r.stderr);
        const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('lookout: '));
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0], message);
        assert.match(lines[0], / \((LOOKOUT_ERR_[A-Z_]+)\)$/, 'the line ends with its error code');
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace without --verbose');
        assert.equal(r.stdout, '');
      });
    }

    it('adds the stack trace with --verbose', async () => {
      const r = await lookout(['detect', clip, '--model', labels, '--adapter', 'yolox', '--verbose']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /\n\s+at /);
    });
  });

  describe('detect', () => {
    it('prints one JSON line per video frame with the box in source pixels, then a summary', async () => {
      const r = await lookout(['detect', clip, '--model', model, '--adapter', 'ultralytics', '--labels', labels]);
      assert.equal(r.code, 0, r.stderr);
      const lines = jsonLines(r.stdout);
      assert.equal(lines.length, frameCount(DEFAULT_SCENE) + 1);
      lines.slice(0, -1).forEach((l, i) => {
        assert.equal(l.frame, i);
        const [d] = l.detections as { label: string; box: number[] }[];
        const p = squarePosition(DEFAULT_SCENE, l.pts as number);
        assert.equal(d.label, 'square');
        assert.ok(Math.abs(d.box[0] - p.x) <= 3 && Math.abs(d.box[1] - p.y) <= 3, `frame ${i}: ${d.box} vs ${p.x},${p.y}`);
      });
      const summary = lines.at(-1)!.summary as { frames: number; seconds: number; fps: number };
      assert.equal(summary.frames, frameCount(DEFAULT_SCENE));
      assert.ok(summary.fps > 0 && summary.seconds > 0);
    });

    it('prints one JSON line per image with its size', async () => {
      const png = join(tmp(), 'still.png');
      await new Promise<void>((res, rej) => {
        const ff = spawn('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `${lavfiSpec(DEFAULT_SCENE)}`, '-frames:v', '1', png]);
        ff.on('close', (c) => (c === 0 ? res() : rej(new Error(`ffmpeg ${c}`))));
      });
      const r = await lookout(['detect', png, '--model', model, '--adapter', 'ultralytics', '--labels', labels]);
      assert.equal(r.code, 0, r.stderr);
      const [line, ...rest] = jsonLines(r.stdout);
      assert.equal(rest.length, 0);
      assert.equal(line.file, png);
      assert.equal(line.width, 320);
      assert.equal(line.height, 240);
      const [d] = line.detections as { box: number[] }[];
      assert.ok(Math.abs(d.box[0] - DEFAULT_SCENE.x0) <= 2 && Math.abs(d.box[1] - DEFAULT_SCENE.y0) <= 2);
    });

    it('images: lines in the order given; a corrupt one is one error line naming it, the others go on, exit 1', async () => {
      const png = join(tmp(), 'order-a.png');
      await new Promise<void>((res, rej) => {
        const ff = spawn('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `${lavfiSpec(DEFAULT_SCENE)}`, '-frames:v', '1', png]);
        ff.on('close', (c) => (c === 0 ? res() : rej(new Error(`ffmpeg ${c}`))));
      });
      const broken = join(tmp(), 'broken.jpg');
      await writeFile(broken, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
      const files = [png, broken, png, png];
      const r = await lookout(['detect', ...files, '--model', model, '--adapter', 'ultralytics', '--labels', labels, '--batch', '2']);
      assert.equal(r.code, 1, r.stderr);
      const errors = r.stderr.trim().split('\n').filter((l) => l.trim() !== '');
      assert.equal(errors.length, 1, r.stderr);
      assert.match(errors[0]!, /broken\.jpg/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      const lines = jsonLines(r.stdout);
      assert.deepEqual(lines.map((l) => l.file), [png, png, png]);
      for (const l of lines) assert.equal((l.detections as unknown[]).length, 1);
    });

    it('yolox-nano names what is in the darknet photos (real model)', async function () {
      requireAsset(this, 'models/yolox_nano.onnx');
      const r = await lookout(['detect', assetPath('media/darknet_dog.jpg'), assetPath('media/darknet_person.jpg'), '--model', 'yolox-nano'], { env: { LOOKOUT_ASSETS: assetPath('') } });
      assert.equal(r.code, 0, r.stderr);
      const [dog, person] = jsonLines(r.stdout).map((l) => new Set((l.detections as { label: string; score: number }[]).filter((d) => d.score > 0.5).map((d) => d.label)));
      assert.deepEqual(dog, new Set(['dog', 'bicycle', 'car']));
      assert.deepEqual(person, new Set(['person', 'dog', 'horse']));
    });

    it('fastestdet finds the four people in fastestdet_3.jpg (real model)', async function () {
      requireAsset(this, 'models/FastestDet.onnx');
      const r = await lookout(['detect', assetPath('media/fastestdet_3.jpg'), '--model', 'fastestdet', '--threshold', '0.65'], { env: { LOOKOUT_ASSETS: assetPath('') } });
      assert.equal(r.code, 0, r.stderr);
      const [line] = jsonLines(r.stdout);
      const labels = (line.detections as { label: string }[]).map((d) => d.label);
      assert.deepEqual(labels, ['person', 'person', 'person', 'person']);
    });

    it('finds persons in every frame of vtest_20s.mp4 (real model)', async function () {
      requireAsset(this, 'media/vtest_20s.mp4');
      const r = await lookout(['detect', assetPath('media/vtest_20s.mp4'), '--model', 'yolox-nano'], { env: { LOOKOUT_ASSETS: assetPath('') } });
      assert.equal(r.code, 0, r.stderr);
      const lines = jsonLines(r.stdout);
      const frames = lines.filter((l) => l.frame !== undefined);
      assert.equal(frames.length, 200);
      for (const f of frames) {
        const persons = (f.detections as { label: string }[]).filter((d) => d.label === 'person').length;
        assert.ok(persons >= 3, `frame ${f.frame}: ${persons} persons`);
      }
      assert.equal((lines.at(-1)!.summary as { frames: number }).frames, 200);
    });
  });

  describe('models', () => {
    it('lists the registry and pulls a model and its labels from LOOKOUT_ASSETS into the cache, verified, without the network', async function () {
      requireAsset(this, 'models/yolox_nano.onnx');
      const cache = join(tmp(), 'cache-list');
      const list = await lookout(['models', 'list'], { env: { LOOKOUT_CACHE: cache } });
      assert.equal(list.code, 0);
      assert.match(list.stdout, /^yolox-nano\s+model\s+not cached$/m);
      assert.match(list.stdout, /^fastestdet\s+model/m);
      const pull = await lookout(['models', 'pull', 'yolox-nano'], { env: { LOOKOUT_CACHE: cache, LOOKOUT_ASSETS: assetPath('') } });
      assert.equal(pull.code, 0, pull.stderr);
      assert.deepEqual(pull.stdout.trim().split('\n'), [join(cache, 'yolox_nano.onnx'), join(cache, 'coco.names')]);
      assert.deepEqual(await readFile(join(cache, 'yolox_nano.onnx')), await readFile(assetPath('models/yolox_nano.onnx')));
    });

    it('downloads from a mirror into the cache, and refuses a file whose checksum is wrong, leaving nothing behind', async function () {
      const { createServer } = await import('node:http');
      const { readdir } = await import('node:fs/promises');
      // the mirror serves the real coco.names, so its pinned SHA-256 matches
      const good = await readFile(requireAsset(this, 'models/coco.names'));
      let served = 0;
      const server = createServer((req, res) => {
        served++;
        // coco.names is served right; FastestDet.onnx is served as junk
        if (req.url === '/coco.names') res.end(good);
        else res.end('not the model you are looking for');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const port = (server.address() as { port: number }).port;
      const cache = join(tmp(), 'cache-pull');
      const env = { LOOKOUT_CACHE: cache, LOOKOUT_ASSETS: '', LOOKOUT_REGISTRY_MIRROR: `http://127.0.0.1:${port}` };
      try {
        const ok = await lookout(['models', 'pull', 'coco-names'], { env });
        assert.equal(ok.code, 0, ok.stderr);
        assert.equal(ok.stdout.trim(), join(cache, 'coco.names'));
        const bad = await lookout(['models', 'pull', 'fastestdet'], { env });
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /^lookout: .*FastestDet\.onnx.*(SHA-256|sha256|checksum)/im);
        const left = (await readdir(cache)).filter((f) => f.startsWith('FastestDet'));
        assert.deepEqual(left, [], 'nothing of the bad download is left in the cache');
        assert.ok(served >= 2);
      } finally {
        server.close();
      }
    });
  });

  describe('run', () => {
    it('logs detections of a live-paced camera and stops cleanly on SIGINT with exit 0', async () => {
      const config = join(tmp(), 'run.yaml');
      await writeFile(config, `model: { path: ${model}, adapter: ultralytics, labels: ${labels} }\ncameras:\n  - name: synthetic\n    url: "lavfi:${lavfiSpec({ ...DEFAULT_SCENE, duration: 600 })}"\n    fps: 5\n`);
      const r = await lookout(['run', '-c', config, '--json'], { signalAfter: (out) => out.split('\n').length > 4 });
      assert.equal(r.code, 0, r.stderr);
      const lines = jsonLines(r.stdout);
      assert.ok(lines.length >= 4);
      for (const l of lines) {
        assert.equal(l.camera, 'synthetic');
        assert.equal((l.detections as { label: string }[])[0].label, 'square');
      }
      assert.match(r.stderr, /SIGINT: stopping/);
      assert.deepEqual(childProcesses().filter((p) => p.comm.startsWith('ffmpeg')), []);
    });

    it('stops on SIGTERM too, and a camera that ends ends the run with exit 0', async () => {
      const config = join(tmp(), 'file.yaml');
      await writeFile(config, `model: { path: ${model}, adapter: ultralytics, labels: ${labels} }\ncameras:\n  - { name: clip, url: ${clip}, realtime: false, fps: 10 }\n`);
      const ended = await lookout(['run', '-c', config]);
      assert.equal(ended.code, 0, ended.stderr);
      // INFO is lifecycle, status and events: no line per frame
      assert.doesNotMatch(ended.stderr, /\[detections\//);
      assert.match(ended.stderr, /20 frames detected, 0 dropped/);
      const live = join(tmp(), 'live.yaml');
      // at debug, per-frame detections of the labels the camera tracks
      await writeFile(live, `model: { path: ${model}, adapter: ultralytics, labels: ${labels} }\ncameras:\n  - { name: clip, url: ${clip}, loop: true, objects: { track: [square] } }\nlog: { level: debug }\n`);
      const stopped = await lookout(['run', '-c', live], { signal: 'SIGTERM', signalAfter: (_o, err) => /#3 /.test(err) });
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(stopped.stderr, /DEBUG \[detections\/clip\] #0 t=0\.00s square/);
      assert.match(stopped.stderr, /SIGTERM: stopping/);
    });
  });
});
