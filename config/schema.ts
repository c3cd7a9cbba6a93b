// The one schema of a Lookout config file. Defaults come from defaults.ts; unknown keys are rejected.
import { ADAPTER_NAMES } from '../models/adapters/index.js';
import { DEFAULTS, EXECUTION_PROVIDERS, LOG_LEVELS } from './defaults.js';
import { DEFAULT_OBJECT_OPTIONS } from '../pipeline/events.js';
import { validatePolygon, type Polygon } from '../pipeline/zones.js';
import { bool, checked, fraction, list, num, obj, oneOf, optional, positive, record, refine, str, withDefault } from './schema-kit.js';

export const CAMERA_NAME = /^[a-z0-9_-]+$/;

/** What a camera URL may be in this release: a file path or an ffmpeg lavfi graph (`lavfi:<graph>`). */
export function checkCameraUrl(url: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
    if (scheme !== 'file') return `${scheme}:// sources are not supported yet: expected a file path or lavfi:<graph>`;
  }
  if (url.startsWith('lavfi:') && url.length === 'lavfi:'.length) return 'lavfi: needs a filter graph after the colon';
  return undefined;
}

const polygon = () => checked<Polygon>(validatePolygon);
const label = () => str({ pattern: /^[A-Za-z0-9_ -]+$/, patternText: 'letters, digits, spaces, _ or -' });
const nonNegative = (what = 'a number >= 0') => num({ min: 0, what });

const labelFilter = obj({
  threshold: optional(fraction()),
  minScore: optional(fraction()),
  minArea: optional(nonNegative()),
  maxArea: optional(nonNegative()),
});

const objects = obj({
  track: withDefault(list(label(), { minLength: 1 }), () => [...DEFAULT_OBJECT_OPTIONS.objects.track]),
  filters: withDefault(record(labelFilter), {}),
});

const zone = obj({
  points: polygon(),
  objects: optional(list(label())),
  inertia: optional(num({ min: 1, integer: true, what: 'a positive integer' })),
});

const tracker = obj({
  maxDisappearedSeconds: optional(positive()),
  iou: optional(fraction()),
  lowScoreIou: optional(fraction()),
  stationaryFrames: optional(num({ min: 1, integer: true, what: 'a positive integer' })),
  stationaryTolerance: optional(fraction()),
  maxPredictSeconds: optional(nonNegative()),
  heartbeatSeconds: optional(positive()),
  snapshotMargin: optional(fraction()),
  scoreHistory: optional(num({ min: 1, max: 100, integer: true, what: 'an integer from 1 to 100' })),
  lowScore: optional(fraction()),
});

const camera = obj({
  name: str({ pattern: CAMERA_NAME, patternText: '[a-z0-9_-]+' }),
  url: refine(str(), checkCameraUrl),
  fps: withDefault(positive(), DEFAULTS.camera.fps),
  loop: withDefault(bool(), DEFAULTS.camera.loop),
  realtime: withDefault(bool(), DEFAULTS.camera.realtime),
  enabled: withDefault(bool(), DEFAULTS.camera.enabled),
  objects: withDefault(objects, () => ({ track: [...DEFAULT_OBJECT_OPTIONS.objects.track], filters: {} })),
  zones: withDefault(record(zone, { keyPattern: /^(?!all$)[a-z0-9_-]+$/, keyText: "[a-z0-9_-]+ (and not 'all')" }), {}),
  masks: withDefault(list(polygon()), []),
  tracker: withDefault(tracker, {}),
});

const model = obj({
  path: str(),
  adapter: optional(oneOf(ADAPTER_NAMES)),
  labels: optional(str()),
  threshold: withDefault(fraction(), DEFAULTS.model.threshold),
  iou: withDefault(fraction(), DEFAULTS.model.iou),
  topK: withDefault(num({ min: 1, integer: true, what: 'a positive integer' }), DEFAULTS.model.topK),
  providers: withDefault(list(oneOf(EXECUTION_PROVIDERS), { minLength: 1 }), DEFAULTS.model.providers),
  threads: optional(num({ min: 1, max: 256, integer: true, what: 'an integer from 1 to 256' })),
  inputWidth: optional(num({ min: 1, integer: true, what: 'a positive integer' })),
  inputHeight: optional(num({ min: 1, integer: true, what: 'a positive integer' })),
  batch: withDefault(
    obj({
      maxSize: withDefault(num({ min: 1, max: 64, integer: true, what: 'an integer from 1 to 64' }), DEFAULTS.model.batch.maxSize),
      maxWaitMs: withDefault(num({ min: 0, max: 1000, what: 'a number of milliseconds from 0 to 1000' }), DEFAULTS.model.batch.maxWaitMs),
    }),
    { ...DEFAULTS.model.batch },
  ),
});

const log = obj({
  level: withDefault(oneOf(LOG_LEVELS), DEFAULTS.log.level),
  json: withDefault(bool(), DEFAULTS.log.json),
});

function uniqueNames(cameras: { name: string }[]): string | undefined {
  const seen = new Set<string>();
  for (const [i, c] of cameras.entries()) {
    if (seen.has(c.name)) return `camera names must be unique: cameras[${i}].name "${c.name}" is used twice`;
    seen.add(c.name);
  }
  return undefined;
}

export const configSchema = obj({
  model,
  cameras: refine(list(camera, { minLength: 1 }), uniqueNames),
  log: withDefault(log, { ...DEFAULTS.log }),
});
