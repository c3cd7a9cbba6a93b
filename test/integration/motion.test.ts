// Motion through the whole run: a synthetic camera where a square moves for 2 s and then stops. Motion turns ON at
// the start, OFF once the stopped square has become background and `offFrames` still frames have passed; the MQTT
// motion topic carries it retained, Home Assistant discovery announces a motion sensor, stats count the frames.
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.js';
import type { MqttConfig } from '../../config/types.js';
import { Logger } from '../../core/logger.js';
import type { MotionChange } from '../../core/types.js';
import { Runtime } from '../../pipeline/runtime.js';
import { MqttSink } from '../../sinks/mqtt/mqtt-sink.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { waitForNoChildren } from '../helpers/processes.js';
import { writeSquareModel } from '../helpers/square-detector.js';
import { useTmpDir } from '../helpers/tmp.js';

const quiet = new Logger({ level: 'error', json: false, write: () => undefined });
// 6 s at 10 fps: a 40 px red square moves 100 px/s until t = 2, then stands still
const SCENE =
  "lavfi:color=c=black:s=640x360:r=10:d=6[bg];color=c=red:s=40x40:r=10[sq];[bg][sq]overlay=x='20+100*min(t,2)':y=100:eval=frame:shortest=1:format=rgb";

describe('motion (real ffmpeg, runtime, embedded MQTT broker)', function () {
  this.timeout(60000);
  const tmp = useTmpDir('lookout-motion-');
  afterEach(async () => {
    assert.deepEqual(await waitForNoChildren({ filter: (p) => p.comm.startsWith('ffmpeg') }), [], 'no ffmpeg is left behind');
  });

  it('turns ON when the square moves and OFF after it stopped; MQTT motion topic, HA binary sensor, stats', async () => {
    const { model, labels } = await writeSquareModel(tmp());
    const config = parseConfig(
      {
        model: { path: model, adapter: 'ultralytics', labels, threshold: 0.5 },
        // a background that follows in ~10 frames (Frigate's 0.01 would take ~90) and OFF after 10 still frames
        cameras: [{ name: 'yard', url: SCENE, realtime: false, fps: 10, objects: { track: ['square'] }, motion: { frameAlpha: 0.1, offFrames: 10 } }],
        mqtt: { embedded: { port: 0 }, statsIntervalSeconds: 0 },
      },
      { env: {} },
    );
    const runtime = await Runtime.create(config, { logger: quiet });
    const sink = await MqttSink.create(runtime, { mqtt: config.mqtt as MqttConfig, cameras: config.cameras, logger: quiet });
    const rec = await MqttRecorder.connect(sink.url, ['lookout/yard/motion', 'homeassistant/binary_sensor/lookout/yard_motion/config']);
    try {
      await rec.waitForText('lookout/yard/motion', 'OFF');
      // motion$ completes at stop(): collect what it says while the clip runs
      const seen: MotionChange[] = [];
      const sub = runtime.motion$.subscribe((m) => seen.push(m));
      runtime.start();
      await runtime.done;
      sub.unsubscribe();
      assert.equal(seen.length, 2, `one ON and one OFF: ${JSON.stringify(seen)}`);
      assert.equal(seen[0].motion, true);
      assert.ok(seen[0].pts <= 0.2, `ON at the first frames after calibration, got ${seen[0].pts}`);
      assert.equal(seen[1].motion, false);
      // the stopped square fades in ~10 frames, then 10 still frames: OFF between 2.5 s and 5 s
      assert.ok(seen[1].pts >= 2.5 && seen[1].pts <= 5, `OFF after the square stopped, got ${seen[1].pts}`);
      await rec.waitFor((r) => r.texts('lookout/yard/motion').slice(1).join() === 'ON,OFF' || undefined, 'ON then OFF on the motion topic');
      const discovery = JSON.parse(rec.texts('homeassistant/binary_sensor/lookout/yard_motion/config')[0]) as Record<string, unknown>;
      assert.equal(discovery.state_topic, 'lookout/yard/motion');
      assert.equal(discovery.device_class, 'motion');
      const stats = runtime.snapshot().motion?.yard;
      assert.ok(stats, 'motion in stats');
      assert.equal(stats.motion, false);
      assert.ok(stats.framesWithMotion >= 20 && stats.framesWithMotion <= 32, `frames with motion: ${stats.framesWithMotion}`);
      assert.equal(stats.framesWithMotion + stats.framesWithoutMotion, 60);
      assert.equal(stats.recalibrations, 0);
    } finally {
      await rec.close();
      await sink.close();
      await runtime.stop();
    }
  });
});
