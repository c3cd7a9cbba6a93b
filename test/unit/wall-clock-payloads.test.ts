// Times a person or automation reads are epoch seconds in every dialect (the pipeline's per-camera anchor), with the
// stream time kept beside them.
import assert from 'node:assert/strict';
import type { CameraUpdate } from '../../core/types.js';
import { FrigateDialect } from '../../sinks/mqtt/frigate-dialect.js';
import { LookoutDialect } from '../../sinks/mqtt/lookout-dialect.js';
import { newEventUpdate } from '../helpers/sink-inputs.js';

const OFFSET = 1_750_000_000.25;

function update(): CameraUpdate {
  const u = newEventUpdate('1750000003.250000-abcdef', 3, { startTime: 3, lastSeen: 3, bestFrameTime: 2.5 });
  return { ...u, camera: 'yard', epochOffset: OFFSET };
}

describe('wall-clock times in payloads', () => {
  it('the Lookout dialect (MQTT, WebSocket, API) sends epoch seconds and keeps the stream time as stream_time', () => {
    const msg = new LookoutDialect('lookout').messages(update()).find((m) => m.topic.endsWith('/events'))!;
    const p = msg.payload as { frame_time: number; stream_time: number; after: { start_time: number; last_seen: number; snapshot_time: number; end_time: null } };
    assert.equal(p.frame_time, OFFSET + 3);
    assert.equal(p.stream_time, 3);
    assert.equal(p.after.start_time, OFFSET + 3);
    assert.equal(p.after.last_seen, OFFSET + 3);
    assert.equal(p.after.snapshot_time, OFFSET + 2.5);
    assert.equal(p.after.end_time, null);
  });

  it('the Frigate dialect uses the same anchor, whatever its own clock says', () => {
    const frigate = new FrigateDialect('frigate', { stationaryFramesOf: () => 50, now: () => 42_000 });
    const msg = frigate.messages(update()).find((m) => m.topic === 'frigate/events')!;
    const p = msg.payload as { after: { start_time: number; frame_time: number; snapshot: { frame_time: number } } };
    assert.equal(p.after.start_time, OFFSET + 3);
    assert.equal(p.after.frame_time, OFFSET + 3);
    assert.equal(p.after.snapshot.frame_time, OFFSET + 2.5);
  });

  it('Frigate dialect: has_snapshot is true when an HTTP server serves the snapshots, false without one; has_clip false', () => {
    const payload = (snapshotsServed: boolean) =>
      (new FrigateDialect('frigate', { stationaryFramesOf: () => 50, snapshotsServed }).messages(update()).find((m) => m.topic === 'frigate/events')!.payload as { after: { has_snapshot: boolean; has_clip: boolean } }).after;
    assert.equal(payload(true).has_snapshot, true);
    assert.equal(payload(false).has_snapshot, false);
    assert.equal(payload(true).has_clip, false);
  });
});
