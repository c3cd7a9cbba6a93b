// Sub-labels reach the tracker's events (pipeline/events.ts, track-operator.ts) and classifier references resolve
// the one documented way (models/trained-models.ts).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import type { CameraUpdate, SubLabelDecision } from '../../core/types.js';
import { CameraObjects } from '../../pipeline/events.js';
import { trackObjects } from '../../pipeline/track-operator.js';
import { classifierFiles, isModelName } from '../../models/trained-models.js';
import { lookoutObject } from '../../sinks/mqtt/lookout-dialect.js';
import { parseConfig } from '../../config/load.js';
import { clip, det, square } from './object-fixtures.js';

describe('sub-labels', () => {
  it('setSubLabel: one update with the sub-label, carried by later events; nothing for unknown objects or the same answer', () => {
    const cam = new CameraObjects('cam', undefined, () => 0.5);
    const frames = clip(12, (i) => (i < 8 ? [det(square(100 + i * 5, 100))] : []));
    const updates: CameraUpdate[] = [];
    for (const f of frames.slice(0, 6)) updates.push(cam.push(f));
    const created = updates.flatMap((u) => u.events).find((e) => e.type === 'new');
    assert.ok(created, 'an event started');
    assert.equal(created.after.subLabel, undefined);
    assert.equal(cam.setSubLabel('nosuch', { label: 'x', score: 1 }), undefined);
    const u = cam.setSubLabel(created.after.id, { label: 'courier', score: 0.91 });
    assert.ok(u);
    assert.equal(u.events.length, 1);
    assert.equal(u.events[0].type, 'update');
    assert.equal(u.events[0].before.subLabel, undefined);
    assert.deepEqual(u.events[0].after.subLabel, { label: 'courier', score: 0.91 });
    assert.equal(cam.setSubLabel(created.after.id, { label: 'courier', score: 0.91 }), undefined, 'the same answer is no news');
    const rest = frames.slice(6).map((f) => cam.push(f));
    rest.push(cam.flush());
    const end = rest.flatMap((x) => x.events).find((e) => e.type === 'end');
    assert.deepEqual(end?.after.subLabel, { label: 'courier', score: 0.91 });
    assert.equal(lookoutObject(end!.after, 0).sub_label, 'courier');
    assert.equal(lookoutObject(created.after, 0).sub_label, null);
  });

  it('trackObjects turns a decision on subLabels$ into an update at once, between frames', async () => {
    const frames = new Subject<ReturnType<typeof clip>[number]>();
    const decisions = new Subject<SubLabelDecision>();
    const seen: CameraUpdate[] = [];
    const sub = frames.pipe(trackObjects({ subLabels$: decisions, randomFor: () => () => 0.5 })).subscribe((u) => seen.push(u));
    for (const f of clip(6, () => [det(square(100, 100))])) frames.next(f);
    const id = seen.flatMap((u) => u.events).find((e) => e.type === 'new')!.after.id;
    const before = seen.length;
    decisions.next({ camera: 'cam', id, subLabel: { label: 'mine', score: 0.9 } });
    assert.equal(seen.length, before + 1);
    assert.deepEqual(seen.at(-1)!.events.map((e) => [e.type, e.after.subLabel?.label]), [['update', 'mine']]);
    decisions.next({ camera: 'other', id, subLabel: { label: 'mine', score: 0.9 } });
    assert.equal(seen.length, before + 1, 'another camera has no such object');
    sub.unsubscribe();
  });

  it('a bare name is a trained model in the models folder; anything with a folder or .onnx is a path', () => {
    assert.equal(isModelName('gate-v2'), true);
    assert.equal(isModelName('../gate'), false);
    assert.equal(isModelName('gate.onnx'), false);
    assert.equal(isModelName('/abs/gate'), false);
    assert.deepEqual(classifierFiles('gate', '/m'), { modelPath: join('/m', 'gate.onnx'), labelsPath: join('/m', 'gate.labels.txt') });
    assert.deepEqual(classifierFiles('/x/y/car.onnx', '/m'), { modelPath: '/x/y/car.onnx', labelsPath: join('/x/y', 'car.labels.txt') });
    assert.equal(isModelName('Car.ONNX'), false);
  });

  it('config: classifier paths are relative to the config file, names stay names', () => {
    const config = parseConfig(
      {
        model: { path: 'yolox-nano' },
        cameras: [{ name: 'front', url: 'lavfi:testsrc2', classify: { person: { model: 'models/courier.onnx' }, car: { model: 'mine' } }, states: { gate: { box: [0, 0, 10, 10], model: 'gate.v2' }, bin: { box: [0, 0, 10, 10] } } }],
      },
      { env: {}, baseDir: '/etc/lookout' },
    );
    const c = config.cameras[0];
    assert.equal(c.classify.person.model, '/etc/lookout/models/courier.onnx');
    assert.equal(c.classify.car.model, 'mine');
    assert.equal(c.states.gate.model, 'gate.v2', 'a dotted name is still a name');
    assert.equal(c.states.bin.model, undefined);
  });
});
