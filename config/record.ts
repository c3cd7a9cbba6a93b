// A camera's `record` section: clips of the camera's own video around each event, kept within a disk budget. This file
// only says what a valid section is (and its defaults); recording is sources/segment-recorder.ts, clips pipeline/clips.ts.
import { DEFAULTS } from './defaults.js';
import { bool, num, obj, str, withDefault } from './schema-kit.js';

const DEFAULT_RECORD = DEFAULTS.record;

const seconds = (min: number, max: number) => num({ min, max, what: `a number of seconds from ${min} to ${max}` });
const bytes = () => num({ min: 0, integer: true, what: 'a number of bytes >= 0 (0: no limit)' });

export const recordSchema = obj({
  enabled: withDefault(bool(), DEFAULT_RECORD.enabled),
  preSeconds: withDefault(seconds(0, 300), DEFAULT_RECORD.preSeconds),
  postSeconds: withDefault(seconds(0, 300), DEFAULT_RECORD.postSeconds),
  dir: withDefault(str(), DEFAULT_RECORD.dir),
  segmentSeconds: withDefault(seconds(1, 60), DEFAULT_RECORD.segmentSeconds),
  maxClipSeconds: withDefault(seconds(1, 3600), DEFAULT_RECORD.maxClipSeconds),
  retain: withDefault(
    obj({
      days: withDefault(num({ min: 0, what: 'a number of days >= 0 (0: no limit)' }), DEFAULT_RECORD.retain.days),
      maxBytes: withDefault(bytes(), DEFAULT_RECORD.retain.maxBytes),
    }),
    () => ({ ...DEFAULT_RECORD.retain }),
  ),
  minFreeBytes: withDefault(bytes(), DEFAULT_RECORD.minFreeBytes),
});

export const defaultRecord = () => ({ ...DEFAULT_RECORD, retain: { ...DEFAULT_RECORD.retain } });
