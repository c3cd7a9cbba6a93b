// Sub-labels reach the tracker's events (pipeline/events.ts, track-operator.ts) and classifier references resolve
// the one documented way (models/trained-models.ts).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import type { CameraUpdate, SubLabelDecision } from '../../core/types.js';
import { CameraObjects } from '../../pipeline/events.js';
import { trackObjects } from '../../pipeline/track-operator.js';
import { ObjectAttempts } from '../../pipeline/classify-attempts.js';
import { DEFAULTS } from '../../config/defaults.js';
import { classifierFiles, isModelName } from '../../models/trained-models.js';
import { lookoutObject } from '../../sinks/mqtt/lookout-dialect.js';
import { withSubLabels } from '../../sinks/tracked-labels.js';
import { overlaySvg } from '../../sinks/snapshot/render.js';
import { parseConfig } from '../../config/load.js';
import { clip, det, square, T0 } from './object-fixtures.js';
import { seededRandom } from '../../core/random.js';

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

  describe('attempts on later frames (pipeline/classify-attempts.ts)', () => {
    const settings = { ...DEFAULTS.classify };
    /** a person walking right at a constant score: no better snapshot after its first */
    const walk = (frames: number, seen: (i: number) => boolean = () => true) => clip(frames, (i) => (seen(i) ? [det(square(100 + i * 10, 100), 0.9)] : []), 10);

    it('an object whose score never improves gets minAttempts attempts (defaults) and its sub-label', () => {
      const cam = new CameraObjects('cam', undefined, () => 0.5);
      let attempts: ObjectAttempts | undefined;
      const at: number[] = [];
      let subLabel: { label: string; score: number } | null = null;
      let snapshots = new Set<number>();
      for (const f of walk(40)) {
        const u = cam.push(f);
        for (const o of u.objects) {
          attempts ??= new ObjectAttempts(settings);
          snapshots.add(o.bestFrameTime);
          // each attempt answered before the next frame, as a fast classifier would
          if (attempts.take(o, u.pts)) {
            at.push(Math.round((u.pts - T0) * 10) / 10);
            subLabel = attempts.answer({ label: 'courier', score: 0.92 }) ?? subLabel;
          }
        }
      }
      assert.equal(snapshots.size, 1, 'one snapshot: new and better snapshots alone give one attempt');
      assert.equal(settings.minAttempts, 3);
      assert.ok(at.length >= settings.minAttempts, JSON.stringify(at));
      assert.deepEqual(subLabel, { label: 'courier', score: 0.92 });
      // every intervalSeconds (0.5 s) of stream time from the first, then none once agreed
      assert.deepEqual(at.slice(1).map((t, i) => Math.round((t - at[i]) * 10) / 10), [0.5, 0.5]);
      assert.equal(at.length, 3, 'attempts stop once the consensus decided');
    });

    it('no attempt on a frame the object is not seen in, none while one is in flight, never past maxAttempts', () => {
      const cam = new CameraObjects('cam', { tracker: { maxDisappearedSeconds: 5 } }, () => 0.5);
      const a = new ObjectAttempts({ ...settings, maxAttempts: 4, intervalSeconds: 0 });
      const taken: number[] = [];
      // seen on even frames only
      for (const [i, f] of walk(30, (i) => i % 2 === 0).entries()) {
        const u = cam.push(f);
        for (const o of u.objects) {
          if (!a.take(o, u.pts)) continue;
          taken.push(i);
          // the first answer comes late: nothing in between
          if (taken.length > 1 || i >= 10) a.answer({ label: 'x', score: 0.1 });
        }
        if (i === 10 && taken.length === 1) a.answer({ label: 'x', score: 0.1 });
      }
      assert.ok(taken.every((i) => i % 2 === 0), JSON.stringify(taken));
      assert.equal(taken.length, 4, `maxAttempts: ${JSON.stringify(taken)}`);
      assert.ok(taken[1] > 10, `the second attempt waited for the first answer: ${JSON.stringify(taken)}`);
      assert.equal(a.agreed, null, 'unsure answers never agree');
    });
  });

  it('trackObjects onUpdate sees every frame, while only news is emitted', () => {
    const frames = new Subject<ReturnType<typeof clip>[number]>();
    const hooked: CameraUpdate[] = [];
    const emitted: CameraUpdate[] = [];
    const sub = frames.pipe(trackObjects({ onUpdate: (u) => hooked.push(u), randomFor: () => () => 0.5 })).subscribe((u) => emitted.push(u));
    const all = clip(20, () => [det(square(100, 100))]);
    for (const f of all) frames.next(f);
    frames.complete();
    sub.unsubscribe();
    assert.equal(hooked.length, all.length + 1, 'each frame and the final flush');
    assert.ok(emitted.length < hooked.length, `${emitted.length} emitted of ${hooked.length}`);
    assert.ok(hooked.at(-1)!.events.some((e) => e.type === 'end'));
  });

  it('the live view: a detection that is a sub-labelled object seen in that frame is drawn "label · sub-label"', () => {
    // two objects: their ids need different random suffixes
    const cam = new CameraObjects('cam', undefined, seededRandom(3));
    const frames = clip(8, () => [det(square(100, 100)), det(square(400, 100))]);
    let u: CameraUpdate | undefined;
    for (const f of frames) u = cam.push(f);
    const [a] = u!.objects;
    const labelled = cam.setSubLabel(a!.id, { label: 'courier', score: 0.9 })!;
    const objects = labelled.objects;
    const last = frames.at(-1)!;
    const drawn = withSubLabels(last.detections, objects, last.frame.pts);
    const byX = new Map(drawn.map((d) => [d.box[0], d.subLabel]));
    assert.equal(byX.get(a!.box[0]), 'courier');
    assert.equal(drawn.filter((d) => d.subLabel !== undefined).length, 1, 'the other square has none');
    assert.deepEqual(withSubLabels(last.detections, objects, last.frame.pts - 1).map((d) => d.subLabel), [undefined, undefined], 'objects of another frame say nothing');
    const stored = { meta: last.frame, data: new Uint8Array(0) };
    const svg = overlaySvg(stored, drawn, 640, 360);
    assert.ok(svg.includes('person · courier 90%'), svg);
  });
});
