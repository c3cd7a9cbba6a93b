// What the log says: INFO is lifecycle, status and events; per-frame detections are debug, and only the labels a
// camera tracks; every error line names its code (text: after the level; JSON: `code`).
import assert from 'node:assert/strict';
import { NEVER, Subject } from 'rxjs';
import { Logger, type LogLevel } from '../../core/logger.js';
import type { CameraUpdate, FrameResult } from '../../core/types.js';
import { newEventUpdate } from '../helpers/sink-inputs.js';
import { LogSink } from '../../sinks/log-sink.js';
import { trackedDetections } from '../../sinks/tracked-labels.js';
import { parseConfig } from '../../config/load.js';
import { det, frameResult, square } from './object-fixtures.js';

function capture(level: LogLevel, json = false) {
  const lines: string[] = [];
  return { lines, log: new Logger({ level, json, write: (l) => lines.push(l) }) };
}

const cameras = [{ name: 'cam', objects: { track: ['person'] } }];

function feed(level: LogLevel, frames: FrameResult[], cams: Parameters<typeof trackedDetections>[0] = cameras): string[] {
  const { lines, log } = capture(level);
  const results = new Subject<FrameResult>();
  const sink = new LogSink({ results$: results, status$: NEVER, updates$: NEVER }, { logger: log, json: false, shown: trackedDetections(cams) });
  for (const f of frames) results.next(f);
  void sink.close();
  return lines;
}

describe('log lines', () => {
  const frames = Array.from({ length: 50 }, (_, i) => frameResult(i, i / 5, [det(square(100, 100)), det(square(400, 100), 0.8, 'chair')]));

  it('per-frame detections are not written at info (50 frames with detections: no line)', () => {
    assert.deepEqual(feed('info', frames), []);
  });

  it('at debug, one line per frame with only the tracked labels', () => {
    const lines = feed('debug', frames);
    assert.equal(lines.length, 50);
    assert.ok(lines.every((l) => / DEBUG \[detections\/cam\] #\d+ t=[\d.]+s person 0\.90 /.test(l)), lines[0]);
    assert.ok(lines.every((l) => !l.includes('chair')), 'the untracked chair is not logged');
  });

  it('a frame with only untracked labels writes nothing, even at debug', () => {
    assert.deepEqual(feed('debug', [frameResult(0, 0, [det(square(1, 1), 0.9, 'chair')])]), []);
  });

  it('with objects.showAll, a camera logs (and draws) every label, tracked or not', () => {
    const lines = feed('debug', frames.slice(0, 3), [{ name: 'cam', objects: { track: ['person'], showAll: true } }]);
    assert.equal(lines.length, 3);
    assert.ok(lines.every((l) => / person 0\.90 .* chair 0\.80 /.test(l)), lines[0]);
    const config = parseConfig({ model: { path: 'yolox-nano' }, cameras: [{ name: 'a', url: 'lavfi:testsrc' }, { name: 'b', url: 'lavfi:testsrc', objects: { showAll: true } }] });
    assert.deepEqual(config.cameras.map((c) => c.objects.showAll), [false, true]);
    const shown = trackedDetections(config.cameras);
    const both = [det(square(0, 0)), det(square(0, 0), 0.9, 'chair')];
    assert.deepEqual(shown('a', both).map((d) => d.label), ['person']);
    assert.deepEqual(shown('b', both).map((d) => d.label), ['person', 'chair']);
    assert.throws(() => parseConfig({ model: { path: 'yolox-nano' }, cameras: [{ name: 'a', url: 'lavfi:testsrc', objects: { showAll: 'yes' } }] }), /cameras\[0\]\.objects\.showAll: must be true or false/);
  });

  it('trackedDetections keeps every detection of an unknown camera (an upload)', () => {
    const shown = trackedDetections(cameras);
    const both = [det(square(0, 0)), det(square(0, 0), 0.9, 'chair')];
    assert.deepEqual(shown('cam', both).map((d) => d.label), ['person']);
    assert.deepEqual(shown('upload-1', both).map((d) => d.label), ['person', 'chair']);
  });

  it('an error line names its code: after the level in text, as `code` in JSON', () => {
    const text = capture('info');
    text.log.child({ component: 'source', camera: 'front' }).error('wrong credentials', { code: 'LOOKOUT_ERR_CAMERA_AUTH' });
    assert.match(text.lines[0], / ERROR LOOKOUT_ERR_CAMERA_AUTH \[source\/front\] wrong credentials$/);
    const json = capture('info', true);
    json.log.error('wrong credentials', { code: 'LOOKOUT_ERR_CAMERA_AUTH' });
    assert.equal((JSON.parse(json.lines[0]) as { code: string }).code, 'LOOKOUT_ERR_CAMERA_AUTH');
  });

  it('an event is one INFO line (new, end); updates are debug', () => {
    const { lines, log } = capture('info');
    const updates = new Subject<CameraUpdate>();
    const sink = new LogSink({ results$: NEVER, status$: NEVER, updates$: updates }, { logger: log, json: false });
    const u = newEventUpdate('1750000000.000000-abcdef', 1, { currentZones: ['porch'] });
    updates.next(u);
    updates.next({ ...u, events: [{ ...u.events[0], type: 'update' }] });
    updates.next({ ...u, events: [{ ...u.events[0], type: 'end' }] });
    void sink.close();
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[0], / INFO  \[events\/yard\] new person 1750000000\.000000-abcdef score 0\.90 in porch$/);
    assert.match(lines[1], / INFO  \[events\/yard\] end person /);
  });
});
