// The one schema of a Lookout config file. Defaults come from defaults.ts; unknown keys are rejected.
import { LOG_LEVELS } from '../core/logger.js';
import { ADAPTER_NAMES, DEFAULTS, EXECUTION_PROVIDERS, MQTT_DIALECTS } from './defaults.js';
import { validatePolygon, type Polygon } from '../core/geometry.js';
import { bool, checked, fraction, list, num, obj, oneOf, optional, positive, record, refine, secret, str, withDefault, type Schema } from './schema-kit.js';
import { cameraUrlKind, hasUserInfo } from './camera-url.js';
import { DETECT_MODES, HWACCELS, RTSP_TRANSPORTS } from './defaults.js';
import { lineSchema, withLineLabels } from './lines.js';
import { defaultRecord, recordSchema } from './record.js';
import { classifySchema, collectSchema, defaultCollect, statesSchema } from './classify.js';
import { preprocessSchema } from './preprocess.js';

export const CAMERA_NAME = /^[a-z0-9_-]+$/;

/** What a camera URL may be: rtsp(s)://, http(s):// (MJPEG, HLS), /dev/videoN, a file path or `lavfi:<graph>`. */
export function checkCameraUrl(url: string): string | undefined {
  const kind = cameraUrlKind(url);
  return typeof kind === 'string' ? undefined : kind.problem;
}

/** Settings that only make sense together (the problem names the field; the path is the camera's). */
function checkCameraFields(c: { url: string; username?: string; password?: string; transport: string; hwaccel?: string; reconnect: { initialMs: number; maxMs: number } }): string | undefined {
  const kind = cameraUrlKind(c.url);
  const remote = kind === 'rtsp' || kind === 'http' || kind === 'hls';
  if (c.password !== undefined && c.username === undefined) return 'password: needs username as well';
  if (c.username !== undefined && !remote) return 'username: only rtsp:// and http(s):// cameras take credentials';
  if (c.username !== undefined && hasUserInfo(c.url)) return 'username: the url already has credentials (user:password@): give them in one place';
  if (c.transport !== 'tcp' && kind !== 'rtsp') return 'transport: only applies to rtsp:// cameras';
  if (c.reconnect.maxMs < c.reconnect.initialMs) return `reconnect.maxMs (${c.reconnect.maxMs}) must be >= reconnect.initialMs (${c.reconnect.initialMs})`;
  if (c.hwaccel !== undefined && kind === 'lavfi') return 'hwaccel: a lavfi graph is not decoded';
  return undefined;
}

/** A schema whose parsed value is then completed (for defaults that depend on another field). */
function completed<T, U>(schema: Schema<T>, complete: (v: T) => U): Schema<U> {
  return {
    info: schema.info,
    parse(v, path, issues) {
      const parsed = schema.parse(v, path, issues);
      return parsed === undefined ? undefined : complete(parsed);
    },
  };
}

const polygon = () => checked<Polygon>(validatePolygon, 'polygon: list of [x, y] points (fractions 0..1 or source pixels)');
const label = () => str({ pattern: /^[A-Za-z0-9_ -]+$/, patternText: 'letters, digits, spaces, _ or -' });
const nonNegative = (what = 'a number >= 0') => num({ min: 0, what });

const LF = DEFAULTS.labelFilter;
const labelFilter = obj({
  threshold: withDefault(fraction(), LF.threshold),
  minScore: withDefault(fraction(), LF.minScore),
  minArea: withDefault(nonNegative(), LF.minArea),
  maxArea: withDefault(nonNegative(), LF.maxArea),
});

// every tracked label gets its complete filter, so the effective thresholds are visible in `validate --print`
const objects = completed(
  obj({
    track: withDefault(list(label(), { minLength: 1 }), () => [...DEFAULTS.objects.track]),
    filters: withDefault(record(labelFilter), {}),
    /** debug logs and the live picture show every label the model reports, not only the tracked ones */
    showAll: withDefault(bool(), DEFAULTS.objects.showAll),
  }),
  (o) => ({ ...o, filters: { ...Object.fromEntries(o.track.map((l) => [l, { ...LF }])), ...o.filters } }),
);

const zone = withZoneDistances(obj({
  points: polygon(),
  objects: optional(list(label())),
  inertia: withDefault(num({ min: 1, integer: true, what: 'a positive integer' }), DEFAULTS.zone.inertia),
  /** an object in the zone for longer than this (stream seconds) is `loitering` */
  loiterSeconds: optional(positive('a number of seconds > 0')),
  /** metres along each edge of a 4-point zone (p1→p2, p2→p3, p3→p4, p4→p1): estimated speeds of objects in it */
  distances: optional(list(positive('a length in metres > 0'), { minLength: 4 })),
}));

/** `distances` name the edges of a 4-point zone, one length each. */
function withZoneDistances<T extends { points: Polygon; distances?: number[] }>(schema: Schema<T>): Schema<T> {
  return {
    ...schema,
    parse(v, path, issues) {
      const z = schema.parse(v, path, issues);
      if (z === undefined || z.distances === undefined) return z;
      if (z.distances.length !== 4) return void issues.add([...path, 'distances'], `expected 4 lengths, one per edge, got ${z.distances.length}`);
      if (z.points.length !== 4) return void issues.add([...path, 'distances'], `needs a zone of exactly 4 points, got ${z.points.length}`);
      return z;
    },
  };
}

const T = DEFAULTS.tracker;
const tracker = obj({
  maxDisappearedSeconds: withDefault(positive(), T.maxDisappearedSeconds),
  iou: withDefault(fraction(), T.iou),
  lowScoreIou: withDefault(fraction(), T.lowScoreIou),
  stationaryFrames: withDefault(num({ min: 1, integer: true, what: 'a positive integer' }), T.stationaryFrames),
  stationaryTolerance: withDefault(fraction(), T.stationaryTolerance),
  maxPredictSeconds: withDefault(nonNegative(), T.maxPredictSeconds),
  heartbeatSeconds: withDefault(positive(), T.heartbeatSeconds),
  snapshotMargin: withDefault(fraction(), T.snapshotMargin),
  scoreHistory: withDefault(num({ min: 1, max: 100, integer: true, what: 'an integer from 1 to 100' }), T.scoreHistory),
  lowScore: withDefault(fraction(), T.lowScore),
});

// 8K at most: a picture is width × height × 3 bytes per pooled buffer
const detectSide = () => num({ min: 16, max: 7680, integer: true, what: 'an integer number of pixels from 16 to 7680' });

const M = DEFAULTS.motion;
const motion = obj({
  enabled: withDefault(bool(), M.enabled),
  threshold: withDefault(num({ min: 1, max: 255, integer: true, what: 'an integer from 1 to 255' }), M.threshold),
  contourArea: withDefault(num({ min: 0, integer: true, what: 'a non-negative integer (pixels of the motion picture)' }), M.contourArea),
  lightningThreshold: withDefault(fraction(), M.lightningThreshold),
  frameAlpha: withDefault(num({ min: 0, max: 1, exclusiveMin: true, what: 'a number over 0, at most 1' }), M.frameAlpha),
  /** ours, not Frigate's: how fast a difference that stands still between pictures joins the background (0: off) */
  stillAlpha: withDefault(num({ min: 0, max: 1, what: 'a number from 0 to 1' }), M.stillAlpha),
  improveContrast: withDefault(bool(), M.improveContrast),
  frameHeight: withDefault(num({ min: 16, max: 1080, integer: true, what: 'an integer from 16 to 1080' }), M.frameHeight),
  /** frames without motion before the camera's motion is OFF again (Frigate's mqtt_off_delay, in frames) */
  offFrames: withDefault(num({ min: 1, max: 100_000, integer: true, what: 'an integer from 1 to 100000' }), M.offFrames),
  mask: withDefault(list(polygon()), []),
});

const camera = withLineLabels(refine(obj({
  name: str({ pattern: CAMERA_NAME, patternText: '[a-z0-9_-]+' }),
  url: refine(str(), checkCameraUrl),
  fps: withDefault(positive(), DEFAULTS.camera.fps),
  loop: withDefault(bool(), DEFAULTS.camera.loop),
  realtime: withDefault(bool(), DEFAULTS.camera.realtime),
  enabled: withDefault(bool(), DEFAULTS.camera.enabled),
  /** rtsp/http credentials (or in the url as user:password@); `${VAR}` keeps them out of the file */
  username: optional(str()),
  password: optional(secret()),
  transport: withDefault(oneOf(RTSP_TRANSPORTS), DEFAULTS.camera.transport),
  /** hardware decoding; falls back to software with a warning when it fails to start */
  hwaccel: optional(oneOf(HWACCELS)),
  /** extra ffmpeg input options, placed before -i (after Lookout's own, so they win) */
  inputArgs: withDefault(list(str({ nonEmpty: false })), []),
  reconnect: withDefault(
    obj({
      initialMs: withDefault(num({ min: 1, max: 3_600_000, what: 'a number of milliseconds from 1 to 3600000' }), DEFAULTS.camera.reconnect.initialMs),
      maxMs: withDefault(num({ min: 1, max: 3_600_000, what: 'a number of milliseconds from 1 to 3600000' }), DEFAULTS.camera.reconnect.maxMs),
    }),
    { ...DEFAULTS.camera.reconnect },
  ),
  stallTimeoutMs: withDefault(num({ min: 100, max: 3_600_000, what: 'a number of milliseconds from 100 to 3600000' }), DEFAULTS.camera.stallTimeoutMs),
  objects: withDefault(objects, () => ({ track: [...DEFAULTS.objects.track], filters: Object.fromEntries(DEFAULTS.objects.track.map((l) => [l, { ...LF }])), showAll: DEFAULTS.objects.showAll })),
  zones: withDefault(record(zone, { keyPattern: /^(?!all$)[a-z0-9_-]+$/, keyText: "[a-z0-9_-]+ (and not 'all')" }), {}),
  masks: withDefault(list(polygon()), []),
  tracker: withDefault(tracker, () => ({ ...DEFAULTS.tracker })),
  /** detect-resolution pictures (snapshots, live view, crops): default the source's size, at most 1280 wide */
  detect: withDefault(obj({ width: optional(detectSide()), height: optional(detectSide()) }), () => ({})),
  /** motion on a small grey picture (sources/motion-detector.ts) */
  motion: withDefault(motion, () => ({ ...DEFAULTS.motion, mask: [] })),
  /** where the model looks: every whole frame (`full`) or regions around motion and tracked objects */
  detectMode: withDefault(oneOf(DETECT_MODES), DEFAULTS.detectMode),
  regions: withDefault(
    obj({
      fullScanSeconds: withDefault(num({ min: 0.1, max: 86_400, what: 'a number of seconds from 0.1 to 86400' }), DEFAULTS.regions.fullScanSeconds),
      stationaryRecheckFrames: withDefault(num({ min: 1, max: 100_000, integer: true, what: 'an integer from 1 to 100000' }), DEFAULTS.regions.stationaryRecheckFrames),
    }),
    () => ({ ...DEFAULTS.regions }),
  ),
  /** counting lines (config/lines.ts) */
  lines: withDefault(record(lineSchema, { keyPattern: /^[a-z0-9_-]+$/, keyText: '[a-z0-9_-]+' }), {}),
  /** event clips (config/record.ts) */
  record: withDefault(recordSchema, defaultRecord),
  /** sub-labels for tracked objects, per label (config/classify.ts) */
  classify: withDefault(classifySchema, {}),
  /** fixed crops classified as states */
  states: withDefault(statesSchema, {}),
  /** crops saved for teaching new classes */
  collect: withDefault(collectSchema, defaultCollect),
}), checkCameraFields));

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
  /** classifiers: how pixels become the tensor (config/preprocess.ts); default the registry entry's preset, else 0..1 */
  preprocess: optional(preprocessSchema),
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

/** Broker URLs mqtt.js can connect to. */
export function checkMqttUrl(url: string): string | undefined {
  if (!/^(mqtt|mqtts|tcp|tls|ws|wss):\/\/[^/?#]+/i.test(url)) return 'expected mqtt://, mqtts://, tcp://, tls://, ws:// or wss:// followed by a host';
  return undefined;
}

const port = () => num({ min: 0, max: 65535, integer: true, what: 'a port number from 0 to 65535' });
const host = () => str({ pattern: /^[A-Za-z0-9.:_-]+$/, patternText: 'a host name or IP address' });
// MQTT topic levels: no wildcards, no empty level, no leading or trailing slash
const topicPrefix = () => str({ pattern: /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, patternText: 'topic levels of letters, digits, _ . - separated by /' });

const mqtt = completed(
  obj({
    url: optional(refine(str(), checkMqttUrl)),
    topicPrefix: optional(topicPrefix()),
    dialect: withDefault(oneOf(MQTT_DIALECTS), DEFAULTS.mqtt.dialect),
    qos: withDefault(num({ min: 0, max: 2, integer: true, what: '0, 1 or 2' }) as Schema<0 | 1 | 2>, DEFAULTS.mqtt.qos),
    username: optional(str()),
    password: optional(str({ nonEmpty: false })),
    clientId: optional(str({ pattern: /^[A-Za-z0-9_.-]+$/, patternText: 'letters, digits, _ . -' })),
    tls: optional(
      obj({
        ca: optional(str()),
        rejectUnauthorized: withDefault(bool(), DEFAULTS.mqtt.tls.rejectUnauthorized),
      }),
    ),
    statsIntervalSeconds: withDefault(nonNegative('a number of seconds >= 0 (0 turns stats off)'), DEFAULTS.mqtt.statsIntervalSeconds),
    outboxSize: withDefault(num({ min: 0, max: 1_000_000, integer: true, what: 'an integer from 0 to 1000000' }), DEFAULTS.mqtt.outboxSize),
    discovery: withDefault(
      obj({
        enabled: withDefault(bool(), DEFAULTS.mqtt.discovery.enabled),
        prefix: withDefault(topicPrefix(), DEFAULTS.mqtt.discovery.prefix),
      }),
      { ...DEFAULTS.mqtt.discovery },
    ),
    commands: withDefault(
      obj({
        acceptRetained: withDefault(bool(), DEFAULTS.mqtt.commands.acceptRetained),
      }),
      { ...DEFAULTS.mqtt.commands },
    ),
    takeOver: withDefault(bool(), DEFAULTS.mqtt.takeOver),
    embedded: withDefault(
      obj({
        host: withDefault(host(), DEFAULTS.mqtt.embedded.host),
        port: withDefault(port(), DEFAULTS.mqtt.embedded.port),
      }),
      { ...DEFAULTS.mqtt.embedded },
    ),
  }),
  // topicPrefix keeps its place after url, so a printed config read back prints the same
  (m) => {
    const done = { ...(m.url !== undefined ? { url: m.url } : {}), topicPrefix: '', ...m };
    done.topicPrefix = m.topicPrefix ?? DEFAULTS.mqtt.topicPrefix[m.dialect];
    return done as typeof m & { topicPrefix: string };
  },
);

/** `none`, `{token}` or `{username, password}`: who may use the dashboard, the API and /ws. */
const httpAuth = (): Schema<'none' | { token: string } | { username: string; password: string }> => {
  const token = obj({ token: str() });
  const basic = obj({ username: str(), password: str() });
  return {
    info: { type: 'none, {token: SECRET} or {username: NAME, password: SECRET}' },
    parse(v, path, issues) {
      if (v === 'none') return 'none';
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        if ('token' in v) return token.parse(v, path, issues);
        if ('username' in v || 'password' in v) return basic.parse(v, path, issues);
      }
      issues.add(path, 'must be none, {token: SECRET} or {username: NAME, password: SECRET}');
      return undefined;
    },
  };
};

/** failed authentications allowed per client address in a window before it is answered 429 (max 0: no limit) */
const authFailures = (d: { max: number; windowSeconds: number }) =>
  withDefault(
    obj({
      max: withDefault(num({ min: 0, integer: true, what: 'an integer >= 0 (0: no limit)' }), d.max),
      windowSeconds: withDefault(positive(), d.windowSeconds),
    }),
    { ...d },
  );

const websocket = obj({
  host: withDefault(host(), DEFAULTS.websocket.host),
  port: withDefault(port(), DEFAULTS.websocket.port),
  path: withDefault(str({ pattern: /^\/[A-Za-z0-9_./-]*$/, patternText: 'a path starting with /' }), DEFAULTS.websocket.path),
  maxBufferedBytes: withDefault(num({ min: 1024, integer: true, what: 'an integer >= 1024' }), DEFAULTS.websocket.maxBufferedBytes),
  stallSeconds: withDefault(positive(), DEFAULTS.websocket.stallSeconds),
  heartbeatSeconds: withDefault(positive(), DEFAULTS.websocket.heartbeatSeconds),
  statsIntervalSeconds: withDefault(nonNegative('a number of seconds >= 0 (0 turns stats off)'), DEFAULTS.websocket.statsIntervalSeconds),
  /** the standalone server's lock (no `http` section); with `http`, `/ws` is behind `http.auth` and this must not be set */
  auth: optional(httpAuth()),
  authFailures: authFailures(DEFAULTS.websocket.authFailures),
});

const http = obj({
  host: withDefault(host(), DEFAULTS.http.host),
  port: withDefault(port(), DEFAULTS.http.port),
  auth: optional(httpAuth()),
  maxUploadBytes: withDefault(num({ min: 1024, max: 200 * 1024 * 1024, integer: true, what: 'a number of bytes from 1024 to 209715200' }), DEFAULTS.http.maxUploadBytes),
  eventsKept: withDefault(num({ min: 1, max: 100000, integer: true, what: 'an integer from 1 to 100000' }), DEFAULTS.http.eventsKept),
  /** uploads decoded at once; more get 503 with Retry-After */
  maxConcurrentDecodes: withDefault(num({ min: 1, max: 64, integer: true, what: 'an integer from 1 to 64' }), DEFAULTS.http.maxConcurrentDecodes),
  /** width × height of an upload at most (a small PNG can claim a huge canvas) */
  maxUploadPixels: withDefault(num({ min: 1, max: 268402689, integer: true, what: 'an integer from 1 to 268402689' }), DEFAULTS.http.maxUploadPixels),
  authFailures: authFailures(DEFAULTS.http.authFailures),
});

function uniqueNames(cameras: { name: string }[]): string | undefined {
  const seen = new Set<string>();
  for (const [i, c] of cameras.entries()) {
    if (seen.has(c.name)) return `camera names must be unique: cameras[${i}].name "${c.name}" is used twice`;
    seen.add(c.name);
  }
  return undefined;
}

// with an HTTP server, /ws is one of its doors and has its lock: a second one in `websocket` would be a lie
const oneLock = (c: { websocket?: { auth?: unknown }; http?: unknown }) =>
  c.websocket?.auth !== undefined && c.http !== undefined ? 'websocket.auth: /ws is served by the http server and uses http.auth; set auth there' : undefined;

export const configSchema = refine(obj({
  model,
  cameras: refine(list(camera, { minLength: 1 }), uniqueNames),
  log: withDefault(log, { ...DEFAULTS.log }),
  /** absent: no MQTT; present (even empty): MQTT with defaults, an embedded broker when there is no `url` */
  mqtt: optional(mqtt),
  /** absent: no WebSocket server; with `http` it is served by that server at `websocket.path` */
  websocket: optional(websocket),
  /** absent: no dashboard or API */
  http: optional(http),
}), oneLock);
