import assert from 'node:assert/strict';
import type { CameraUpdate, LineCount } from '../../core/types.js';
import { LastValues, type Dialect } from '../../sinks/mqtt/dialect.js';
import { discoveryMessages } from '../../sinks/mqtt/discovery.js';
import { FrigateDialect } from '../../sinks/mqtt/frigate-dialect.js';
import { lineMessages } from '../../sinks/mqtt/line-topics.js';
import { LookoutDialect } from '../../sinks/mqtt/lookout-dialect.js';
import { newEventUpdate } from '../helpers/sink-inputs.js';

const counts = (inToday: number, inTotal: number): LineCount[] => [
  { line: 'door', label: 'person', direction: 'in', today: inToday, total: inTotal },
  { line: 'door', label: 'person', direction: 'out', today: 0, total: 0 },
];

describe('line topics (MQTT, Lookout dialect)', () => {
  it('one crossing message, and only the counts that changed, retained (today and total)', () => {
    const last = new LastValues();
    const first = lineMessages('lookout', { camera: 'yard', epochOffset: 0, lineCounts: counts(0, 0) }, last);
    assert.deepEqual(first.map((m) => [m.topic, m.payload, m.retain]), [
      ['lookout/yard/line/door/person/in', 0, true],
      ['lookout/yard/line/door/person/in/total', 0, true],
      ['lookout/yard/line/door/person/out', 0, true],
      ['lookout/yard/line/door/person/out/total', 0, true],
    ]);
    const crossing = { camera: 'yard', line: 'door', id: '5.000000-abcdef', label: 'person', direction: 'in' as const, time: 5.3, wallTime: 1_750_000_000_123, snapshotTime: 5.1 };
    const next = lineMessages('lookout', { camera: 'yard', epochOffset: 0, crossings: [crossing], lineCounts: counts(1, 1) }, last);
    assert.deepEqual(next.map((m) => [m.topic, m.kind]), [
      ['lookout/yard/crossings', 'event'],
      ['lookout/yard/line/door/person/in', 'state'],
      ['lookout/yard/line/door/person/in/total', 'state'],
    ]);
    assert.deepEqual(next[0].payload, { id: '5.000000-abcdef', camera: 'yard', line: 'door', label: 'person', direction: 'in', frame_time: 5.3, stream_time: 5.3, time: 1_750_000_000.123, snapshot_time: 5.1 });
    // a daily reset: today back to 0, the total unchanged and not re-sent
    const reset = lineMessages('lookout', { camera: 'yard', epochOffset: 0, lineCounts: counts(0, 1) }, last);
    assert.deepEqual(reset.map((m) => [m.topic, m.payload]), [['lookout/yard/line/door/person/in', 0]]);
  });

  it('the Lookout dialect sends them with its events; loitering is in its object payload', () => {
    const update: CameraUpdate = { ...newEventUpdate('1.000000-aaaaaa', 1, { loitering: true }), lineCounts: counts(0, 0) };
    const messages = new LookoutDialect('lookout').messages(update);
    const event = messages.find((m) => m.topic === 'lookout/yard/events')!.payload as { after: { loitering: boolean } };
    assert.equal(event.after.loitering, true);
    assert.ok(messages.some((m) => m.topic === 'lookout/yard/line/door/person/in'));
  });

  it("the Frigate dialect says loitering in Frigate's own field, pending_loitering, and publishes no line topics", () => {
    const dialect = new FrigateDialect('frigate', { stationaryFramesOf: () => 50, now: () => 1_750_000_000_000 });
    const update: CameraUpdate = { ...newEventUpdate('1.000000-aaaaaa', 1, { loitering: true }), lineCounts: counts(1, 1) };
    const messages = dialect.messages(update);
    const event = messages.find((m) => m.topic === 'frigate/events')!.payload as { after: Record<string, unknown> };
    assert.equal(event.after.pending_loitering, true);
    assert.equal('loitering' in event.after, false);
    assert.ok(messages.every((m) => !m.topic.includes('/line/')));
    assert.equal((dialect as Dialect).lineCountTopic, undefined);
  });

  it('Home Assistant discovery: a total_increasing sensor per line, label and direction counted', () => {
    const cameras = [{ name: 'yard', labels: ['person', 'car'], lines: [{ name: 'gate', labels: ['car'], directions: ['in' as const] }] }];
    const sensors = discoveryMessages(new LookoutDialect('lookout'), 'homeassistant', cameras).filter((m) => m.topic.includes('_gate_'));
    assert.deepEqual(sensors.map((m) => [m.topic, m.config.state_topic, m.config.state_class]), [
      ['homeassistant/sensor/lookout/yard_gate_car_in/config', 'lookout/yard/line/gate/car/in', 'total_increasing'],
    ]);
    const frigate = new FrigateDialect('frigate', { stationaryFramesOf: () => 50 });
    assert.equal(discoveryMessages(frigate, 'homeassistant', cameras).filter((m) => m.topic.includes('_gate_')).length, 0);
  });
});
