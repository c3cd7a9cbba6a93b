// Every default in one object, so the docs, the validator and `lookout validate --print` agree.
import type { LogLevel } from '../core/logger.js';
export const DEFAULTS = {
  model: {
    threshold: 0.3,
    iou: 0.45,
    topK: 5,
    providers: ['cpu'] as ExecutionProviderName[],
    batch: { maxSize: 4, maxWaitMs: 15 },
  },
  camera: {
    fps: 5,
    loop: false,
    realtime: true,
    enabled: true,
    /** live cameras (RTSP, HTTP, HLS, V4L2) */
    transport: 'tcp' as RtspTransport,
    /** retry delays: exponential from initialMs, capped at maxMs, with full jitter */
    reconnect: { initialMs: 1000, maxMs: 30_000 },
    /** a connected live camera that sends no frame for this long is restarted */
    stallTimeoutMs: 10_000,
  },
  /** a camera's `objects`: which labels are tracked; showAll: debug logs and the live picture show untracked labels too */
  objects: { track: ['person'] as readonly string[], showAll: false },
  /** each label's `objects.filters.<label>`, field by field (Frigate's: threshold 0.7, min_score 0.5, max_area 24 000 000) */
  labelFilter: { threshold: 0.7, minScore: 0.5, minArea: 0, maxArea: 24_000_000 },
  /** consecutive frames an object spends across a zone's edge before it enters or leaves (Frigate's inertia) */
  zone: { inertia: 3 },
  /** a camera's `tracker`: the tracker's knobs and the event layer's */
  tracker: {
    maxDisappearedSeconds: 5,
    iou: 0.3,
    lowScoreIou: 0.5,
    stationaryFrames: 50,
    stationaryTolerance: 0.1,
    maxPredictSeconds: 1,
    heartbeatSeconds: 60,
    snapshotMargin: 0.05,
    scoreHistory: 10,
    lowScore: 0.1,
  },
  /** a camera's `motion` (Frigate's defaults and meanings; frameHeight: rows of the grey picture motion runs on) */
  motion: { enabled: true, threshold: 30, contourArea: 10, lightningThreshold: 0.8, frameAlpha: 0.01, stillAlpha: 0.1, improveContrast: true, frameHeight: 100, offFrames: 30 },
  /**
   * a camera's `detectMode` and `regions` (issue 12): `full` runs the model on every whole frame; `regions` only where
   * motion and tracked objects are, with a whole-frame scan at start and every `fullScanSeconds`, and stationary
   * objects looked at again every `stationaryRecheckFrames` frames (or when motion touches them). Regions are the
   * default, as in Frigate: a region at the camera's own scale sees small things, and still scenes cost no inference
   */
  detectMode: 'regions' as DetectMode,
  regions: { fullScanSeconds: 10, stationaryRecheckFrames: 10 },
  log: { level: 'info' as LogLevel, json: false },
  mqtt: {
    dialect: 'lookout' as MqttDialect,
    /** per dialect, when `topicPrefix` is not set */
    topicPrefix: { lookout: 'lookout', frigate: 'frigate' },
    qos: 1 as 0 | 1 | 2,
    statsIntervalSeconds: 60,
    outboxSize: 1000,
    tls: { rejectUnauthorized: true },
    discovery: { enabled: true, prefix: 'homeassistant' },
    /** retained `…/set` commands are replayed by the broker on every connect: obeyed only when asked */
    commands: { acceptRetained: false },
    /** publish under a prefix another live producer holds (its retained state is restored at a clean stop and is the last will) */
    takeOver: false,
    /** the broker Lookout starts when `mqtt.url` is not set */
    embedded: { host: '127.0.0.1', port: 1883 },
  },
  websocket: {
    host: '127.0.0.1',
    port: 8080,
    path: '/ws',
    /** a client with more than this many bytes waiting to be sent is skipped … */
    maxBufferedBytes: 1024 * 1024,
    /** … and dropped once it has been over the limit for this long */
    stallSeconds: 10,
    heartbeatSeconds: 30,
    /** how often `<prefix>/stats` goes to clients (0: never) */
    statsIntervalSeconds: 60,
    /** as http.authFailures, for the standalone server */
    authFailures: { max: 20, windowSeconds: 60 },
  },
  http: {
    /** loopback unless asked: binding wider needs `auth` (or an explicit `auth: none`) */
    host: '127.0.0.1',
    port: 8080,
    maxUploadBytes: 10 * 1024 * 1024,
    eventsKept: 500,
    /** two decodes at a time bound what uploads hold: each is at most maxUploadPixels × 4 bytes */
    maxConcurrentDecodes: 2,
    /** 40 MP: an 8K frame or a large phone photo; 160 MB decoded at most */
    maxUploadPixels: 40_000_000,
    /** after 20 failed logins in a minute a client address gets 429 until the minute is over */
    authFailures: { max: 20, windowSeconds: 60 },
  },
  /** a camera's `record` section (config/record.ts): event clips */
  record: {
    enabled: false,
    /** seconds of video kept before an event's first sighting and after its last */
    preSeconds: 5,
    postSeconds: 5,
    /** clips and the segment cache live under `<dir>/<camera>/` */
    dir: 'recordings',
    /** the segment muxer cuts at the first keyframe after this many seconds: the cache's grain */
    segmentSeconds: 2,
    /** an event longer than this gets a clip of its first maxClipSeconds (its segments are not held for ever) */
    maxClipSeconds: 300,
    /** oldest clips go first once one of these is exceeded (0: no limit) */
    retain: { days: 7, maxBytes: 1024 * 1024 * 1024 },
    /** recording pauses (and old clips go) while the disk has less than this free */
    minFreeBytes: 256 * 1024 * 1024,
  },
  /** a camera's `classify.<label>` (config/classify.ts): Frigate's sub-label rule */
  classify: {
    /** a result counts toward the consensus only at this score or above */
    threshold: 0.8,
    /** attempts before a sub-label may be set … */
    minAttempts: 3,
    /** … and the share of them that must agree */
    minAgree: 0.6,
    /** no more crops of one object are classified after this many */
    maxAttempts: 10,
    /** while undecided, a tracked object seen in a frame is classified again once this much stream time has passed */
    intervalSeconds: 0.5,
  },
  /** a camera's `states.<name>`: a fixed crop classified every few seconds and on motion in it */
  state: { intervalSeconds: 10, consecutive: 3, onMotion: true },
  /** a camera's `collect`: crops saved for teaching (`DIR/unlabelled/`) */
  collect: {
    enabled: false,
    dir: 'collect',
    /** at most this many unlabelled crops per label (or state) … */
    maxPerClass: 500,
    /** … and this many bytes in all under dir (0: no limit) */
    maxBytes: 512 * 1024 * 1024,
    /** margin around an object's box, as a fraction of its size */
    margin: 0.1,
    /** state crops are saved this often (and on motion in them) */
    stateIntervalSeconds: 60,
    /** cosine similarity above which a crop of the same object is a near-duplicate */
    duplicateSimilarity: 0.95,
  },
} as const;

/** The built-in model adapters by the name config uses (models/adapters has one factory per name; a test keeps them equal). */
export const ADAPTER_NAMES = ['yolox', 'fastestdet', 'ultralytics', 'ultraface', 'classifier'] as const;
export type AdapterName = (typeof ADAPTER_NAMES)[number];

export const DETECT_MODES = ['full', 'regions'] as const;
export type DetectMode = (typeof DETECT_MODES)[number];
export const RTSP_TRANSPORTS = ['tcp', 'udp'] as const;
export type RtspTransport = (typeof RTSP_TRANSPORTS)[number];
export const HWACCELS = ['cuda', 'vaapi', 'qsv'] as const;
export type Hwaccel = (typeof HWACCELS)[number];
export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'webgpu'] as const;
export type ExecutionProviderName = (typeof EXECUTION_PROVIDERS)[number];
export const MQTT_DIALECTS = ['lookout', 'frigate'] as const;
export type MqttDialect = (typeof MQTT_DIALECTS)[number];
