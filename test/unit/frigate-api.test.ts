// Frigate's event rows, filters and summary, and its stats rates, with hand-made inputs (the real server is in
// integration/frigate-http.test.ts).
import assert from 'node:assert/strict';
import type { StatsSnapshot } from '../../core/stats.js';
import { EventLog } from '../../sinks/http/event-log.js';
import { frigateEvent, parseEventQuery, queryEvents, summarizeEvents, type FrigateEvent } from '../../sinks/http/frigate-events.js';
import { HttpError } from '../../sinks/http/http-error.js';
import { FrigateStatsView } from '../../sinks/frigate-stats.js';
import { trackedObject } from '../helpers/sink-inputs.js';

// 2024-06-10 06:13:20 UTC; 18:13 the same day in Auckland, 23:13 the day before in Los Angeles
const EPOCH = 1718000000;

function rows(): FrigateEvent[] {
  const log = new EventLog(100);
  const a = trackedObject('1718000000.000000-aaaaaa', { camera: 'yard', label: 'person', startTime: 0, enteredZones: ['door'], topScore: 0.8 });
  const b = trackedObject('1718000010.000000-bbbbbb', { camera: 'drive', label: 'car', startTime: 10, box: [0, 0, 640, 360] });
  log.add({ type: 'new', before: a, after: a }, EPOCH);
  log.add({ type: 'new', before: b, after: b }, EPOCH);
  const aEnd = { ...a, endTime: 5 };
  log.add({ type: 'end', before: a, after: aEnd }, EPOCH);
  const ctx = { hasClip: (id: string) => id.endsWith('bbbbbb'), hasSnapshot: () => true, frameSize: () => [1280, 720] as const, detectorType: 'cpu' };
  return log.latestPerObject().map((e) => frigateEvent(e, ctx));
}

describe('Frigate API shapes', () => {
  it('one row per object, from its newest event, with epoch times and relative boxes', () => {
    const r = rows();
    assert.deepEqual(r.map((e) => e.id), ['1718000000.000000-aaaaaa', '1718000010.000000-bbbbbb']);
    assert.equal(r[0].start_time, EPOCH);
    assert.equal(r[0].end_time, EPOCH + 5);
    assert.equal(r[1].end_time, null);
    assert.equal(r[0].data.top_score, 0.8);
    assert.deepEqual(r[1].data.box, [0, 0, 0.5, 0.5]);
    assert.deepEqual(r[0].zones, ['door']);
  });

  it('a sub-label: the name in sub_label, its score in data.sub_label_score (as Frigate keeps them), grouped apart in the summary', () => {
    const log = new EventLog(100);
    const plain = trackedObject('1718000000.000000-aaaaaa', { camera: 'yard', label: 'person', startTime: 0 });
    const courier = { ...trackedObject('1718000001.000000-cccccc', { camera: 'yard', label: 'person', startTime: 1 }), subLabel: { label: 'courier', score: 0.912345 } };
    log.add({ type: 'new', before: plain, after: plain }, EPOCH);
    log.add({ type: 'update', before: courier, after: courier }, EPOCH);
    const ctx = { hasClip: () => false, hasSnapshot: () => true, frameSize: () => [1280, 720] as const, detectorType: 'cpu' };
    const all = log.latestPerObject().map((e) => frigateEvent(e, ctx));
    const a = all.find((r) => r.id.endsWith('aaaaaa'))!;
    const c = all.find((r) => r.id.endsWith('cccccc'))!;
    assert.equal(a.sub_label, null);
    assert.equal('sub_label_score' in a.data, false);
    assert.equal(c.sub_label, 'courier');
    assert.equal(c.data.sub_label_score, 0.9123);
    const summary = summarizeEvents([a, c], new URLSearchParams());
    assert.deepEqual(summary.map((s) => [s.label, s.sub_label, s.count]).sort(), [['person', null, 1], ['person', 'courier', 1]]);
  });

  it('filters as Frigate: lists, all, after/before exclusive on the start, flags, limit, newest first', () => {
    const r = rows();
    const q = (text: string) => queryEvents(r, parseEventQuery(new URLSearchParams(text))).map((e) => e.id.slice(-6));
    assert.deepEqual(q(''), ['bbbbbb', 'aaaaaa']);
    assert.deepEqual(q('cameras=yard,drive&labels=all'), ['bbbbbb', 'aaaaaa']);
    assert.deepEqual(q('camera=drive'), ['bbbbbb']);
    assert.deepEqual(q('zones=door'), ['aaaaaa']);
    assert.deepEqual(q(`after=${EPOCH}`), ['bbbbbb']);
    assert.deepEqual(q(`before=${EPOCH + 10}`), ['aaaaaa']);
    assert.deepEqual(q('has_clip=1'), ['bbbbbb']);
    assert.deepEqual(q('has_clip=0&has_snapshot=1'), ['aaaaaa']);
    assert.deepEqual(q('limit=1'), ['bbbbbb']);
    assert.deepEqual(q('favorites=1'), []);
    for (const bad of ['limit=0', 'limit=x', 'after=soon', 'has_clip=yes']) assert.throws(() => parseEventQuery(new URLSearchParams(bad)), (e: unknown) => e instanceof HttpError && e.status === 400, bad);
  });

  it('summarises per camera, label, zones and day in the asked time zone', () => {
    const r = rows();
    const byZone = (tz: string) => summarizeEvents(r, new URLSearchParams(`timezone=${tz}`)).map((s) => `${s.camera} ${s.label} ${s.day} ${s.zones.join('+')} ${s.count}`);
    assert.deepEqual(byZone('UTC'), ['yard person 2024-06-10 door 1', 'drive car 2024-06-10  1']);
    assert.deepEqual(byZone('Pacific/Auckland').map((s) => s.split(' ')[2]), ['2024-06-10', '2024-06-10']);
    assert.deepEqual(byZone('America/Los_Angeles').map((s) => s.split(' ')[2]), ['2024-06-09', '2024-06-09']);
    assert.deepEqual(summarizeEvents(r, new URLSearchParams('has_clip=1')).map((s) => s.camera), ['drive']);
    assert.throws(() => summarizeEvents(r, new URLSearchParams('timezone=Mars/Olympus')), (e: unknown) => e instanceof HttpError && e.status === 400);
  });

  it('stats: frame rates in and skipped measured between calls at least a second apart', () => {
    const snap = (at: number, framesIn: number, dropped: number): StatsSnapshot => ({
      at,
      uptimeSeconds: at / 1000,
      cameras: { yard: { framesIn, framesDetected: framesIn - dropped, dropped, detectFps: 4, lastFrameAgeMs: 10, reconnects: 0, status: 'online', code: null, error: null, errorAt: null } },
      detector: { provider: 'cpu', dynamicBatch: true, batches: 1, frames: 1, avgBatchSize: 1, regionsPerBatch: 0, inferenceMsP50: 12.34, inferenceMsP95: 20, queueDepth: 0, latencyMsP50: 1, latencyMsP95: 2, status: 'running', restarts: 0, error: null },
    });
    const view = new FrigateStatsView(() => true, '0.14.1-lookout-test');
    const first = view.stats(snap(10_000, 100, 0));
    assert.equal(first.cameras.yard.camera_fps, 4);
    assert.equal(first.cameras.yard.skipped_fps, 0);
    assert.equal(first.detectors.cpu.inference_speed, 12.3);
    assert.equal(first.service.uptime, 10);
    assert.equal(first.service.version, '0.14.1-lookout-test');
    // under a second later: the same rates, not a noisy short window
    assert.equal(view.stats(snap(10_500, 103, 0)).cameras.yard.camera_fps, 4);
    const later = view.stats(snap(15_000, 150, 10));
    assert.equal(later.cameras.yard.camera_fps, 10);
    assert.equal(later.cameras.yard.skipped_fps, 2);
    assert.equal(later.detection_fps, 4);
  });
});
