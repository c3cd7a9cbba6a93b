// Trained classifiers deployed on the cameras and behind the API, with the real parts: ffmpeg scenes, the square
// detector and a colour classifier in onnxruntime (each its own worker), mosquitto, the HTTP server, a CNN trained by
// `lookout train`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import sharp from 'sharp';
import WebSocket from 'ws';
import { chromium } from 'playwright-core';
import { parseConfig } from '../../config/load.js';
import type { Config } from '../../config/types.js';
import { Logger } from '../../core/logger.js';
import type { Sink } from '../../core/sink.js';
import { seededRandom } from '../../core/random.js';
import { closeSinks, createSinks } from '../../pipeline/create-sinks.js';
import { Runtime } from '../../pipeline/runtime.js';
import type { HttpServer } from '../../sinks/http/http-server.js';
import { staticProblems } from '../../cli/static-checks.js';
import { runLookout } from '../helpers/cli.js';
import { writeColourClassifier } from '../helpers/colour-classifier.js';
import { glyph, GLYPH_CLASSES } from '../helpers/glyphs.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttRecorder, retainedOn } from '../helpers/mqtt-recorder.js';
import { waitForNoChildren } from '../helpers/processes.js';
import { until } from '../helpers/faults.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { DEFAULT_SCENE, renderSquareClip, type SquareScene } from '../helpers/synthetic.js';
import { useTmpDir } from '../helpers/tmp.js';

const quiet = new Logger({ level: 'error', json: false, write: () => undefined });

interface EventMsg {
  type: 'new' | 'update' | 'end';
  after: Record<string, unknown> & { id: string; sub_label: unknown };
}

/** A clip of `seconds` where a 100×100 box at (110, 70) of a black 320×240 picture is red, then blue. */
async function renderStateClip(path: string, seconds: number): Promise<string> {
  const half = seconds / 2;
  const spec =
    `color=c=black:s=320x240:r=10:d=${seconds}[bg];color=c=red:s=100x100:r=10:d=${half}[r];color=c=blue:s=100x100:r=10:d=${half}[b];` +
    `[r][b]concat=n=2:v=1[sq];[bg][sq]overlay=x=110:y=70:format=rgb:shortest=1`;
  await new Promise<void>((resolve, reject) => {
    const p = spawn('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', spec, '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '12', '-pix_fmt', 'yuv420p', '-g', '10', path], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg ${code}: ${err}`))));
  });
  return path;
}

describe('classifiers on the cameras and behind the API', function () {
  this.timeout(120000);
  const tmp = useTmpDir('lookout-classify-');
  // the square crosses the picture in ~2.4 s and is gone before the clip ends
  const crossing: SquareScene = { ...DEFAULT_SCENE, width: 480, height: 270, duration: 4, size: 48, x0: 10, y0: 100, vx: 200, vy: 0 };
  let detector: { model: string; labels: string };
  let colour: string;
  let squares: string;
  let stateClip: string;
  const cleanups: (() => Promise<void>)[] = [];
  before(async () => {
    detector = await writeSquareModel(tmp());
    colour = await writeColourClassifier(join(tmp(), 'models'), 'colour');
    squares = await renderSquareClip(crossing, join(tmp(), 'crossing.mp4'));
    stateClip = await renderStateClip(join(tmp(), 'state.mp4'), 4);
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    assert.deepEqual(await waitForNoChildren({ timeoutMs: 5000 }), [], 'no child process left (ffmpeg, mosquitto)');
  });

  function config(camera: Record<string, unknown>, rest: Record<string, unknown>): Config {
    return parseConfig(
      {
        model: { path: detector.model, adapter: 'ultralytics', labels: detector.labels, threshold: 0.5 },
        cameras: [{ name: 'yard', url: squares, fps: 10, objects: { track: ['square'] }, tracker: { maxDisappearedSeconds: 1 }, ...camera }],
        ...rest,
      },
      { env: {} },
    );
  }

  async function start(cfg: Config, mqttFilters: string[]) {
    const broker = await Mosquitto.start();
    cleanups.push(() => broker.close());
    const withMqtt = { ...cfg, mqtt: { ...cfg.mqtt!, url: broker.url } } as Config;
    const runtime = await Runtime.create(withMqtt, { logger: quiet, modelsDir: join(tmp(), 'models') });
    cleanups.push(() => runtime.stop());
    const sinks: Sink[] = await createSinks(runtime, withMqtt, { logger: quiet, json: false });
    cleanups.push(() => closeSinks(sinks, quiet));
    const rec = await MqttRecorder.connect(broker.url, mqttFilters);
    cleanups.push(() => rec.close());
    const http = sinks.find((s) => s.name === 'http') as HttpServer | undefined;
    return { runtime, rec, http, broker };
  }

  it('a tracked square gets the sub-label "red": an update on lookout/<camera>/events, /api/events and the stats', async () => {
    const cfg = config({ realtime: true, classify: { square: { model: colour } } }, { mqtt: { statsIntervalSeconds: 0 }, http: { port: 0 } });
    const { runtime, rec, http } = await start(cfg, ['lookout/#']);
    const ws = new WebSocket(`${http!.url.replace('http', 'ws')}/ws`);
    const wsEvents: EventMsg[] = [];
    ws.on('message', (m) => {
      const msg = JSON.parse(m.toString()) as { topic: string; payload: EventMsg };
      if (msg.topic === 'lookout/yard/events') wsEvents.push(msg.payload);
    });
    cleanups.push(async () => ws.close());
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    runtime.start();
    const labelled = await rec.waitFor((r) => r.json<EventMsg>('lookout/yard/events').find((e) => e.after.sub_label !== null), 'an event with a sub-label', 30000);
    assert.equal(labelled.type, 'update', 'the sub-label goes out as an update');
    assert.equal(labelled.after.sub_label, 'red');
    assert.ok((labelled.after.sub_label_score as number) > 0.99, String(labelled.after.sub_label_score));
    const events = rec.json<EventMsg>('lookout/yard/events');
    assert.equal(events[0].type, 'new');
    assert.equal(events[0].after.sub_label, null, 'nothing agreed at new');
    await runtime.done;
    const end = await rec.waitFor((r) => r.json<EventMsg>('lookout/yard/events').find((e) => e.type === 'end'), 'the end');
    assert.equal(end.after.sub_label, 'red', 'the end carries it too');
    await until('the sub-label on /ws', () => wsEvents.find((e) => e.type === 'update' && e.after.sub_label === 'red'), 30_000);
    const api = (await (await fetch(`${http!.url}/api/events?camera=yard`)).json()) as { type: string; object: { sub_label: string | null } }[];
    assert.ok(api.some((e) => e.type === 'update' && e.object.sub_label === 'red'), JSON.stringify(api.map((e) => [e.type, e.object.sub_label])));
    const stats = runtime.snapshot().classify!.models[colour]!;
    // the default consensus: at least minAttempts (3) crops of the one square, though its score never improves much
    assert.ok(stats.crops >= 3 && stats.batches >= 1, JSON.stringify(stats));
  });

  it('the dashboard shows the sub-label next to the label (headless Chromium)', async () => {
    const cfg = config({ realtime: true, classify: { square: { model: colour } } }, { mqtt: { statsIntervalSeconds: 0 }, http: { port: 0 } });
    const { runtime, http } = await start(cfg, ['lookout/#']);
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    await page.goto(http!.url);
    runtime.start();
    await page.waitForSelector('#events li.event[data-type="update"]', { timeout: 30000 });
    const texts = await page.locator('#events li.event .what').allTextContents();
    assert.ok(texts.includes('square · red on yard'), JSON.stringify(texts));
    assert.ok(texts.includes('square on yard'), 'the new event before the sub-label had none');
    await runtime.done;
  });

  it('frigate dialect: after.sub_label is [name, score] as Frigate 0.17 sends it; a state sensor on frigate/<camera>/classification/<name>', async () => {
    const cfg = config(
      { realtime: true, classify: { square: { model: colour } }, states: { corner: { box: [0, 0, 40, 40], model: colour, intervalSeconds: 1 } } },
      { mqtt: { dialect: 'frigate', statsIntervalSeconds: 0 }, http: { port: 0 } },
    );
    const { runtime, rec, broker, http } = await start(cfg, ['frigate/#']);
    runtime.start();
    const labelled = await rec.waitFor((r) => r.json<EventMsg>('frigate/events').find((e) => e.after.sub_label !== null), 'an event with a sub-label', 30000);
    const [name, score] = labelled.after.sub_label as [string, number];
    assert.equal(name, 'red');
    assert.ok(score > 0.99 && score <= 1, String(score));
    // Frigate's HTTP rows: the name in sub_label, the score in data.sub_label_score; the summary groups by it
    const rows = (await (await fetch(`${http!.url}/api/events?cameras=yard`)).json()) as { id: string; sub_label: string | null; data: { sub_label_score?: number } }[];
    const row = rows.find((r) => r.id === labelled.after.id);
    assert.equal(row?.sub_label, 'red', JSON.stringify(rows));
    assert.ok(row.data.sub_label_score! > 0.99 && row.data.sub_label_score! <= 1, JSON.stringify(row.data));
    const summary = (await (await fetch(`${http!.url}/api/events/summary`)).json()) as { label: string; sub_label: string | null; count: number }[];
    assert.ok(summary.some((s) => s.label === 'square' && s.sub_label === 'red' && s.count >= 1), JSON.stringify(summary));
    const retained = await retainedOn(broker.url, ['homeassistant/#'], 'frigate/available');
    const sensor = JSON.parse(retained.get('homeassistant/sensor/frigate/yard_corner_state/config') ?? 'null') as { state_topic: string } | null;
    assert.equal(sensor?.state_topic, 'frigate/yard/classification/corner');
    await runtime.done;
  });

  it('a state crop that turns from red to blue: retained lookout/<camera>/state/<name> after K results (MQTT and /ws), a discovery sensor, stats', async () => {
    const cfg = config(
      { url: stateClip, realtime: false, states: { door: { box: [110, 70, 210, 170], model: 'colour', intervalSeconds: 0.2, consecutive: 3, onMotion: false } } },
      { mqtt: { statsIntervalSeconds: 0 }, http: { port: 0 } },
    );
    const { runtime, rec, broker, http } = await start(cfg, ['lookout/#']);
    runtime.start();
    await rec.waitFor((r) => r.texts('lookout/yard/state/door').includes('blue'), 'the state blue', 30000);
    // a WebSocket client connecting now gets the state among the retained topics
    const ws = new WebSocket(`${http!.url.replace('http', 'ws')}/ws`);
    cleanups.push(async () => ws.close());
    const wsStates: unknown[] = [];
    ws.on('message', (m) => {
      const msg = JSON.parse(m.toString()) as { topic: string; payload: unknown };
      if (msg.topic === 'lookout/yard/state/door') wsStates.push(msg.payload);
    });
    await until('the retained state on /ws', () => wsStates.includes('blue'), 30_000);
    assert.deepEqual(rec.texts('lookout/yard/state/door'), ['red', 'blue'], 'one message per change, none per result');
    const retained = await retainedOn(broker.url, ['lookout/yard/state/door', 'homeassistant/#'], 'lookout/available');
    assert.equal(retained.get('lookout/yard/state/door'), 'blue');
    const sensor = JSON.parse(retained.get('homeassistant/sensor/lookout/yard_door_state/config') ?? 'null') as { state_topic: string; name: string } | null;
    assert.equal(sensor?.state_topic, 'lookout/yard/state/door');
    assert.equal(runtime.snapshot().classify?.states.yard?.door?.state, 'blue');
    // /api/cameras: each state crop with its state and score
    const cams = (await (await fetch(`${http!.url}/api/cameras`)).json()) as { name: string; states: Record<string, { state: string | null; score: number | null; model: string }> }[];
    const door = cams.find((c) => c.name === 'yard')?.states.door;
    assert.equal(door?.state, 'blue', JSON.stringify(cams));
    assert.ok(door.score! > 0.8 && door.score! <= 1, JSON.stringify(door));
    assert.equal(door.model, 'colour');
    // /metrics: crops per model, run time, the state as a 0/1 series per class
    const metrics = await (await fetch(`${http!.url}/metrics`)).text();
    const sample = (name: string) => Number(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    assert.ok(sample('lookout_classify_crops_total{model="colour"}') >= 6, metrics);
    assert.ok(sample('lookout_classify_inference_seconds_total{model="colour"}') > 0);
    assert.equal(sample('lookout_state{camera="yard",name="door",state="blue"}'), 1);
    assert.equal(sample('lookout_state{camera="yard",name="door",state="red"}'), 0);
    assert.ok(sample('lookout_state_score{camera="yard",name="door"}') > 0.8);
    await runtime.done;
  });

  it('onMotion: a crop whose colour changes is classified on the motion in it, not only every intervalSeconds', async () => {
    // an interval longer than the clip: the only crops after the first come from motion touching the box
    const state = { box: [110, 70, 210, 170], model: 'colour', intervalSeconds: 3600, consecutive: 3 };
    const cfg = config(
      // stillAlpha 0: the new colour stays motion until the clip ends instead of joining the background in ~5 frames,
      // so three results come in however fast the file plays against the classifier (one crop in flight at a time)
      { url: stateClip, realtime: false, motion: { improveContrast: false, stillAlpha: 0 }, states: { door: { ...state, onMotion: true }, still: { ...state, onMotion: false } } },
      { mqtt: { statsIntervalSeconds: 0 } },
    );
    const { runtime, rec } = await start(cfg, ['lookout/#']);
    runtime.start();
    await rec.waitFor((r) => r.texts('lookout/yard/state/door').includes('blue'), 'the state blue on motion', 30000);
    await runtime.done;
    const states = runtime.snapshot().classify!.states.yard!;
    assert.equal(states.door!.state, 'blue');
    assert.equal(states.still!.state, null, 'one crop at the start is not 3 identical results');
    assert.deepEqual(rec.texts('lookout/yard/state/still'), []);
  });

  it('a missing classifier stops the start and validate, naming the camera setting', async () => {
    const cfg = config({ classify: { square: { model: 'nosuchmodel' } } }, {});
    const problems = await staticProblems(cfg);
    assert.ok(problems.some((p) => /cameras\.yard\.classify\.square\.model: no trained model named nosuchmodel/.test(p)), problems.join('\n'));
    const untracked = await staticProblems(config({ classify: { person: { model: colour } } }, {}));
    assert.deepEqual(untracked, ['cameras.yard.classify.person: the camera does not track person (objects.track: square)']);
    await assert.rejects(Runtime.create(config({ classify: { person: { model: colour } } }, {}), { logger: quiet }), /cameras\.yard\.classify\.person: the camera does not track person/);
    await assert.rejects(Runtime.create(cfg, { logger: quiet, modelsDir: join(tmp(), 'models') }), /cameras\.yard\.classify\.square\.model: no trained model named nosuchmodel in .*models \(train one with lookout train --name nosuchmodel/);
  });

  describe('POST /api/classify', () => {
    let base: string;
    before(async () => {
      // a small CNN trained by `lookout train --arch cnn` on glyphs, beside the colour model in the models folder
      const { writeGlyphFolders } = await import('../helpers/glyphs.js');
      const dir = join(tmp(), 'glyphs');
      await writeGlyphFolders(dir, 20, 16, seededRandom(11));
      const r = await runLookout(['train', '--dataset', dir, '--name', 'glyphs', '--input', '16x16', '--epochs', '20', '--patience', '20', '--batch', '8', '--learning-rate', '0.003', '--seed', '3', '--out', join(tmp(), 'models'), '--json']);
      assert.equal(r.code, 0, r.stderr);
    });
    beforeEach(async () => {
      const cfg = config({ realtime: true, loop: true }, { http: { port: 0 } });
      const runtime = await Runtime.create(cfg, { logger: quiet, modelsDir: join(tmp(), 'models') });
      cleanups.push(() => runtime.stop());
      const sinks = await createSinks(runtime, cfg, { logger: quiet, json: false });
      cleanups.push(() => closeSinks(sinks, quiet));
      runtime.start();
      base = (sinks.find((s) => s.name === 'http') as HttpServer).url;
    });
    const post = (query: string, body: Uint8Array, type = 'image/png') => fetch(`${base}/api/classify${query}`, { method: 'POST', headers: { 'content-type': type }, body: Buffer.from(body) });
    const solid = (r: number, g: number, b: number) => sharp({ create: { width: 64, height: 48, channels: 3, background: { r, g, b } } }).png().toBuffer();

    it('answers every class with its probability, best first; unknown model 404, bad image 400, no model 400', async () => {
      const res = await post('?model=colour', await solid(20, 30, 220));
      assert.equal(res.status, 200);
      const out = (await res.json()) as { model: string; label: string; score: number; probabilities: { label: string; score: number }[] };
      assert.equal(out.model, 'colour');
      assert.equal(out.label, 'blue');
      assert.deepEqual(out.probabilities.map((p) => p.label), ['blue', 'red']);
      assert.ok(out.probabilities[0].score > 0.99 && out.probabilities[0].score >= out.probabilities[1].score);
      const red = (await (await post('?model=colour', await solid(230, 10, 10))).json()) as { label: string };
      assert.equal(red.label, 'red');

      const unknown = await post('?model=nosuch', await solid(0, 0, 0));
      assert.equal(unknown.status, 404);
      assert.match(((await unknown.json()) as { error: string }).error, /no trained model named nosuch/);
      const path = await post(`?model=${encodeURIComponent('../models/colour')}`, await solid(0, 0, 0));
      assert.equal(path.status, 404, 'a path is never a model name');
      const bad = await post('?model=colour', new TextEncoder().encode('not a png at all'));
      assert.equal(bad.status, 400);
      assert.equal((await post('', await solid(0, 0, 0))).status, 400);
      assert.equal((await fetch(`${base}/api/classify?model=colour`)).status, 405);
    });

    it('serves the CNN `lookout train --arch cnn` wrote like any model', async () => {
      const random = seededRandom(99);
      let right = 0;
      for (const cls of GLYPH_CLASSES) {
        for (let i = 0; i < 3; i++) {
          const png = await sharp(Buffer.from(glyph(cls, 16, random)), { raw: { width: 16, height: 16, channels: 1 } }).png().toBuffer();
          const res = await post('?model=glyphs', png);
          assert.equal(res.status, 200);
          const out = (await res.json()) as { label: string; probabilities: { label: string; score: number }[] };
          assert.deepEqual(out.probabilities.map((p) => p.label).sort(), [...GLYPH_CLASSES].sort());
          assert.ok(Math.abs(out.probabilities.reduce((a, p) => a + p.score, 0) - 1) < 1e-4);
          if (out.label === cls) right++;
        }
      }
      assert.ok(right >= 7, `${right} of 9 glyphs classified right`);
    });
  });
});
