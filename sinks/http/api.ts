// The HTTP API's handlers: health, stats, metrics, cameras, events, live image, snapshots and one-off detection;
// under the Frigate dialect, Frigate's routes first (frigate-api.ts).
import { countedLabels } from '../../config/lines.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import sharp from 'sharp';
import { DEFAULTS } from '../../config/defaults.js';
import type { Subscription } from 'rxjs';
import type { CameraConfig, MqttConfig } from '../../config/types.js';
import { redactUrl } from '../../config/redact.js';
import type { DetectImage } from '../../core/image-detection.js';
import { describeError, isLookoutError } from '../../core/errors.js';
import type { CameraUpdate } from '../../core/types.js';
import type { FrameStoreView as FrameStore } from '../../core/frame-store.js';
import type { HistogramView, StatsSnapshot } from '../../core/stats.js';
import type { FrameResult, TrackedObject } from '../../core/types.js';
import { roundDetection } from '../log-sink.js';
import { renderJpeg } from '../snapshot/render.js';
import type { Snapshots } from '../snapshot/snapshots.js';
import { safeDecode } from './auth.js';
import { EventLog } from './event-log.js';
import { trackedDetections, withSubLabels } from '../tracked-labels.js';
import { lookoutObject } from '../mqtt/lookout-dialect.js';
import type { ClassifyImage } from '../../core/image-classification.js';
import { createReadStream } from 'node:fs';
import type { ClipsView } from '../../core/clips.js';
import { parseRange } from './byte-range.js';
import { metricsText, processMetricsText } from './metrics.js';
import type { MqttLinkStatus } from '../mqtt/connection.js';
import { HttpError } from './http-error.js';
import { sendJpeg, sendJson } from './reply.js';
import { FrigateApi } from './frigate-api.js';
import { statsPayload } from '../stats-payload.js';

/** What the API reads from the running system. */
export interface ApiInputs {
  results$: import('rxjs').Observable<FrameResult>;
  updates$: import('rxjs').Observable<CameraUpdate>;
  snapshot(): StatsSnapshot;
  readonly stats: { readonly inferenceHistogram: HistogramView };
  readonly frames: FrameStore;
  /** the runtime's way in to the detector: through the batcher, with the cameras' frames */
  readonly detectImage: DetectImage;
  readonly failure: unknown;
  /** trained classifiers by name (POST /api/classify); absent: the route answers 404 */
  readonly classifyImage?: ClassifyImage;
  /** whether detection runs on a camera (false while paused by a `detect/set OFF`) */
  detectEnabled?(camera: string): boolean;
  /** a camera's tracked objects as of its newest frame: the live view labels boxes with their sub-labels */
  readonly trackedNow?: (camera: string) => { pts: number; objects: readonly TrackedObject[] } | undefined;
  /** event clips (cameras with `record`); absent: no clips */
  readonly clips?: ClipsView;
}

export interface ApiOptions {
  cameras: readonly CameraConfig[];
  snapshots: Snapshots;
  maxUploadBytes: number;
  eventsKept: number;
  /** the MQTT broker link, when MQTT is configured (read on each request: the sink is created after the server) */
  mqttLink?: () => MqttLinkStatus | undefined;
  /** uploads decoded at once (more: 503 with Retry-After) */
  maxConcurrentDecodes?: number;
  /** width × height of an upload at most */
  maxUploadPixels?: number;
  /** the MQTT section when it speaks the Frigate dialect: Frigate's API is served too (frigate-api.ts) */
  frigate?: MqttConfig;
}

export { HttpError };

/** A path segment decoded, or 400 for malformed escapes (`%zz`): the client's mistake, not an error of ours. */
function pathSegment(text: string): string {
  const decoded = safeDecode(text);
  if (decoded === undefined) throw new HttpError(400, 'malformed percent-escape in the path');
  return decoded;
}


const CAMERA_STATES_HEALTHY = new Set(['online', 'ended', 'disabled']);
const UPLOAD_TYPES = new Set(['image/jpeg', 'image/png']);

// libvips keeps recent operations and their pixels in a cache for re-use; an upload is never re-used, so that cache
// would only hold on to hundreds of megabytes after a burst of large uploads
sharp.cache(false);

export class Api {
  private readonly events: EventLog;
  private readonly shown: ReturnType<typeof trackedDetections>;
  private readonly latest = new Map<string, FrameResult>();
  private readonly eventCounts = new Map<string, number>();
  private readonly subscriptions: Subscription[];
  private readonly cameraNames: Set<string>;
  /** one live-view JPEG per camera, re-encoded only when a newer frame is asked for */
  private readonly liveCache = new Map<string, { seq: number; jpeg: Promise<Buffer> }>();
  /** uploads being read or decoded now */
  private decoding = 0;
  private readonly frigate: FrigateApi | undefined;

  constructor(
    private readonly inputs: ApiInputs,
    private readonly opts: ApiOptions,
  ) {
    this.events = new EventLog(opts.eventsKept);
    this.cameraNames = new Set(opts.cameras.map((c) => c.name));
    this.shown = trackedDetections(opts.cameras);
    this.frigate = opts.frigate && this.frigateApi(opts.frigate);
    this.subscriptions = [
      inputs.results$.subscribe((r) => this.latest.set(r.frame.camera, r)),
      inputs.updates$.subscribe((u) => {
        for (const e of u.events) {
          this.events.add(e, u.epochOffset);
          const key = `${e.after.camera}\u0000${e.after.label}\u0000${e.type}`;
          this.eventCounts.set(key, (this.eventCounts.get(key) ?? 0) + 1);
        }
      }),
    ];
  }

  close(): void {
    for (const s of this.subscriptions) s.unsubscribe();
  }

  private frigateApi(mqtt: MqttConfig): FrigateApi {
    return new FrigateApi({
      cameras: this.opts.cameras,
      mqtt,
      events: this.events,
      snapshots: this.opts.snapshots,
      clips: this.inputs.clips,
      snapshot: () => this.inputs.snapshot(),
      detectEnabled: (camera) => this.inputs.detectEnabled?.(camera) ?? true,
      frameSize: (camera) => {
        const t = this.latest.get(camera)?.frame.transform;
        return t && [t.srcWidth, t.srcHeight];
      },
      liveJpeg: (camera) => this.liveJpeg(camera),
    });
  }

  /** Routes a request; returns false when no route matches (the caller answers 404). */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const get = method === 'GET' || method === 'HEAD';
    // under the Frigate dialect, Frigate's routes first: `/api/stats` and `/api/events` answer in its shapes there
    if (this.frigate && (await this.frigate.handle(req, res, url, pathSegment))) return true;
    if (path === '/api/health' && get) return this.health(res), true;
    if ((path === '/api/stats' || path === '/api/lookout/stats') && get) return sendJson(res, 200, statsPayload(this.inputs.snapshot())), true;
    if (path === '/metrics' && get) return await this.metrics(res), true;
    if (path === '/api/cameras' && get) return this.camerasList(res), true;
    if ((path === '/api/events' || path === '/api/lookout/events') && get) return this.eventsList(res, url), true;
    let m = /^\/api\/cameras\/([^/]+)\/latest\.jpg$/.exec(path);
    if (m && get) return await this.liveImage(res, pathSegment(m[1])), true;
    m = /^\/api\/events\/([^/]+)\/snapshot\.jpg$/.exec(path);
    if (m && get) return this.snapshotImage(res, pathSegment(m[1])), true;
    m = /^\/api\/events\/([^/]+)\/clip\.mp4$/.exec(path);
    if (m && get) return this.clip(req, res, pathSegment(m[1])), true;
    if (path === '/api/detect') {
      if (method !== 'POST') throw new HttpError(405, 'use POST with a JPEG or PNG body');
      return await this.detect(req, res), true;
    }
    if (path === '/api/classify') {
      if (method !== 'POST') throw new HttpError(405, 'use POST with a JPEG or PNG body and ?model=NAME');
      return await this.classify(req, res, url), true;
    }
    return false;
  }

  /**
   * 503 only for what a restart could fix (a camera or the detector down). A broker outage or refusal is shown
   * (`mqtt.state`) but keeps 200: the box is fine and would only lose its buffered events if an orchestrator killed it.
   */
  private health(res: ServerResponse): void {
    const snap = this.inputs.snapshot();
    const reasons = this.unhealthyReasons(snap);
    const cameras = Object.fromEntries(
      this.opts.cameras.map((c) => [c.name, { status: snap.cameras[c.name]?.status ?? (c.enabled ? 'starting' : 'disabled'), detect: this.inputs.detectEnabled?.(c.name) ?? c.enabled }]),
    );
    const link = this.opts.mqttLink?.();
    const mqtt = link && { state: link.state, ...(link.reason ? { reason: link.reason } : {}), since: link.since, outbox: link.outbox, outbox_size: link.outboxSize, dropped: link.dropped, connects: link.connects };
    sendJson(res, reasons.length === 0 ? 200 : 503, { healthy: reasons.length === 0, reasons, detector: snap.detector.provider, cameras, ...(mqtt ? { mqtt } : {}) });
  }

  /**
   * `GET /api/health/live`, answered without auth (container and load-balancer checks have no token): the same verdict
   * as /api/health, 200 `{"status":"ok"}` or 503 `{"status":"unhealthy"}`, and nothing else (no names, no reasons).
   */
  liveness(res: ServerResponse): void {
    const healthy = this.unhealthyReasons(this.inputs.snapshot()).length === 0;
    sendJson(res, healthy ? 200 : 503, { status: healthy ? 'ok' : 'unhealthy' });
  }

  private unhealthyReasons(snap: ReturnType<ApiInputs['snapshot']>): string[] {
    const reasons: string[] = [];
    for (const [name, c] of Object.entries(snap.cameras)) {
      if (!CAMERA_STATES_HEALTHY.has(c.status)) reasons.push(`camera ${name} is ${c.status}${c.error ? `: ${c.error}` : ''}`);
    }
    for (const c of this.opts.cameras) if (c.enabled && !(c.name in snap.cameras)) reasons.push(`camera ${c.name} has not started`);
    if (snap.detector.status === 'restarting') reasons.push(`detector is restarting after a failure: ${snap.detector.error ?? 'unknown error'}`);
    if (this.inputs.failure) reasons.push(`detector failed: ${describeError(this.inputs.failure)}`);
    return reasons;
  }

  private async metrics(res: ServerResponse): Promise<void> {
    const h = this.inputs.stats.inferenceHistogram;
    const text = metricsText(this.inputs.snapshot(), this.eventCounts, h.buckets(), h.sum, h.count, this.opts.mqttLink?.()) + (await processMetricsText());
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' });
    res.end(text);
  }

  private camerasList(res: ServerResponse): void {
    const snap = this.inputs.snapshot();
    sendJson(
      res,
      200,
      this.opts.cameras.map((c) => {
        const s = snap.cameras[c.name];
        return {
          name: c.name,
          url: redactUrl(c.url),
          enabled: c.enabled,
          fps: c.fps,
          status: s?.status ?? (c.enabled ? 'starting' : 'disabled'),
          error: s?.error ?? null,
          detect_fps: s?.detectFps ?? 0,
          frames_detected: s?.framesDetected ?? 0,
          dropped: s?.dropped ?? 0,
          last_frame_age_ms: s?.lastFrameAgeMs ?? null,
          inference_ms: snap.detector.inferenceMsP50,
          width: this.latest.get(c.name)?.frame.transform.srcWidth ?? null,
          height: this.latest.get(c.name)?.frame.transform.srcHeight ?? null,
          // each state crop with a model: the published state (null until K identical results) and its score
          states: Object.fromEntries(
            Object.entries(c.states)
              .filter(([, st]) => st.model !== undefined)
              .map(([name, st]) => {
                const now = snap.classify?.states[c.name]?.[name];
                return [name, { state: now?.state ?? null, score: now?.score ?? null, model: st.model }];
              }),
          ),
          // what the dashboard draws on the tile: points as configured (fractions or source pixels)
          lines: Object.entries(c.lines)
            .filter(([, l]) => l.show)
            .map(([name, l]) => ({ name, points: l.points, direction: l.direction, labels: countedLabels(l, c.objects.track) })),
        };
      }),
    );
  }

  private eventsList(res: ServerResponse, url: URL): void {
    const limitText = url.searchParams.get('limit');
    const limit = limitText === null ? undefined : Number(limitText);
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 1000)) throw new HttpError(400, 'limit must be an integer from 1 to 1000');
    const camera = url.searchParams.get('camera') ?? undefined;
    if (camera !== undefined && !this.cameraNames.has(camera)) throw new HttpError(404, `no camera named ${JSON.stringify(camera)}`);
    const events = this.events.query({ camera, label: url.searchParams.get('label') ?? undefined, limit });
    sendJson(
      res,
      200,
      // the payload of the MQTT events and the WebSocket: snake_case, times in epoch seconds
      events.map((e) => {
        const hasClip = (id: string) => this.inputs.clips?.has(id) ?? false;
        return { type: e.type, at: e.at, has_snapshot: this.opts.snapshots.get(e.object.id) !== undefined, object: lookoutObject(e.object, e.epochOffset, hasClip) };
      }),
    );
  }

  private async liveImage(res: ServerResponse, camera: string): Promise<void> {
    const { jpeg, headers } = await this.liveJpeg(camera);
    sendJpeg(res, jpeg, headers);
  }

  /** The newest frame with its detections drawn, encoded once per frame however many ask. */
  private async liveJpeg(camera: string): Promise<{ jpeg: Buffer; headers: Record<string, string> }> {
    if (!this.cameraNames.has(camera)) throw new HttpError(404, `no camera named ${JSON.stringify(camera)}`);
    const stored = this.inputs.frames.latest(camera);
    if (!stored) throw new HttpError(404, `camera ${camera} has no frame yet`);
    // which frame this is: clients (and tests) can tell how fresh the picture is
    const headers = { 'x-frame-seq': String(stored.meta.seq), 'x-frame-pts': String(stored.meta.pts) };
    const cached = this.liveCache.get(camera);
    if (cached && cached.seq === stored.meta.seq) return { jpeg: await cached.jpeg, headers };
    const result = this.latest.get(camera);
    // only what the camera tracks: the model's other classes are noise to the person looking
    const tracked = this.inputs.trackedNow?.(camera);
    const shown = result && result.frame.seq === stored.meta.seq ? this.shown(camera, result.detections) : [];
    const overlays = tracked && tracked.pts === stored.meta.pts ? withSubLabels(shown, tracked.objects, tracked.pts) : shown;
    const jpeg = renderJpeg(stored, overlays);
    this.liveCache.set(camera, { seq: stored.meta.seq, jpeg });
    return { jpeg: await jpeg, headers };
  }

  private snapshotImage(res: ServerResponse, id: string): void {
    // ids are `<epoch time>-<6 chars>`: anything else (a path, `..`) is not one
    if (!/^[0-9.]+-[a-z0-9]+$/i.test(id)) throw new HttpError(400, 'not an event id');
    const snap = this.opts.snapshots.get(id);
    if (!snap) throw new HttpError(404, `no snapshot for event ${id}`);
    sendJpeg(res, snap.jpeg);
  }

  /** The event's clip, with range requests (browsers seek); held open so retention cannot delete it under the reader. */
  private clip(req: IncomingMessage, res: ServerResponse, id: string): void {
    if (!/^[0-9.]+-[a-z0-9]+$/i.test(id)) throw new HttpError(400, 'not an event id');
    const clips = this.inputs.clips;
    const handle = clips?.open(id);
    if (!handle) {
      // made after the event's post-roll: the client may ask again
      if (clips?.has(id)) throw new HttpError(503, `the clip of event ${id} is being made`, 2);
      throw new HttpError(404, `no clip for event ${id}`);
    }
    const size = handle.bytes;
    const range = parseRange(req.headers.range, size);
    const common = { 'content-type': 'video/mp4', 'accept-ranges': 'bytes', 'cache-control': 'no-store' };
    if (range.kind === 'unsatisfiable') {
      handle.release();
      res.writeHead(416, { ...common, 'content-range': `bytes */${size}` });
      return void res.end();
    }
    const [start, end] = range.kind === 'part' ? [range.start, range.end] : [0, size - 1];
    const headers = { ...common, 'content-length': String(Math.max(0, end - start + 1)), ...(range.kind === 'part' ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}) };
    res.writeHead(range.kind === 'part' ? 206 : 200, headers);
    if (req.method === 'HEAD' || size === 0) {
      handle.release();
      return void res.end();
    }
    const stream = createReadStream(handle.path, { start, end });
    // released however the response ends: finished, or the client went away mid-file
    stream.once('close', () => handle.release());
    res.once('close', () => stream.destroy());
    stream.once('error', () => res.destroy());
    stream.pipe(res);
  }

  private async detect(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await this.upload(req, async (body, what) => {
      if (this.inputs.snapshot().detector.status === 'restarting') throw new HttpError(503, 'the detector is restarting after a failure; try again shortly', 1);
      await this.checkPixels(body, what);
      const out = await this.inputs.detectImage(body, what);
      // snake_case, as every payload of the API
      const detections = out.detections.map(roundDetection).map((d) => ({ label: d.label, class_id: d.classId, score: d.score, box: d.box }));
      sendJson(res, 200, { width: out.width, height: out.height, detections, inference_ms: Number(out.inferenceMs.toFixed(2)) });
    });
  }

  /**
   * `POST /api/classify?model=NAME`: the image through a trained classifier, every class's probability out, best
   * first. Same limits as /api/detect (type, bytes, pixels, concurrent decodes); no such model is 404.
   */
  private async classify(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const model = url.searchParams.get('model');
    if (!model) throw new HttpError(400, 'name the model: POST /api/classify?model=NAME');
    const classifyImage = this.inputs.classifyImage;
    if (!classifyImage) throw new HttpError(404, 'this server has no classifiers');
    await this.upload(req, async (body, what) => {
      await this.checkPixels(body, what);
      const out = await classifyImage(body, model, what).catch((err: unknown) => {
        throw isLookoutError(err) && err.code === 'LOOKOUT_ERR_MODEL_LOAD' ? new HttpError(404, describeError(err)) : err;
      });
      const probabilities = out.probabilities.map((p) => ({ label: p.label, score: Number(p.score.toFixed(6)) }));
      sendJson(res, 200, { model: out.model, label: probabilities[0]?.label ?? null, score: probabilities[0]?.score ?? null, probabilities, inference_ms: Number(out.inferenceMs.toFixed(2)) });
    });
  }

  /**
   * What every image upload goes through: its type, its declared size, a decode slot (taken before the body is read,
   * so a burst holds at most `maxConcurrentDecodes` bodies and decodes), then the body. `use` gets the body; an error
   * that is not an HttpError becomes the status its kind calls for (uploadStatus).
   */
  private async upload(req: IncomingMessage, use: (body: Buffer, what: string) => Promise<void>): Promise<void> {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!UPLOAD_TYPES.has(type)) throw new HttpError(415, `send the image as image/jpeg or image/png, not ${type || 'no content-type'}`);
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > this.opts.maxUploadBytes) throw new HttpError(413, `the image is over ${this.opts.maxUploadBytes} bytes`);
    const maxDecodes = this.opts.maxConcurrentDecodes ?? DEFAULTS.http.maxConcurrentDecodes;
    if (this.decoding >= maxDecodes) {
      req.resume();
      throw new HttpError(503, `${maxDecodes} uploads are being decoded; try again shortly`, 1);
    }
    this.decoding++;
    try {
      const body = await readBody(req, this.opts.maxUploadBytes);
      if (body.length === 0) throw new HttpError(400, 'the request has no body');
      await use(body, `the uploaded ${type.slice(6).toUpperCase()}`);
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(uploadStatus(err), describeError(err));
    } finally {
      this.decoding--;
    }
  }

  /** A few hundred KB of PNG can claim 16000×16000: the size is read from the header before anything is decoded. */
  private async checkPixels(body: Buffer, what: string): Promise<void> {
    let pixels = 0;
    try {
      const meta = await sharp(body).metadata();
      pixels = (meta.width ?? 0) * (meta.height ?? 0);
    } catch (err) {
      throw new HttpError(400, `cannot decode ${what}: ${(err as Error).message}`);
    }
    const maxPixels = this.opts.maxUploadPixels ?? DEFAULTS.http.maxUploadPixels;
    if (pixels > maxPixels) throw new HttpError(413, `${what} is ${pixels} pixels, over the limit of ${maxPixels} (http.maxUploadPixels)`);
  }
}

function uploadStatus(err: unknown): number {
  if (!isLookoutError(err)) return 500;
  if (err.code === 'LOOKOUT_ERR_MEDIA') return 400;
  return err.code === 'LOOKOUT_ERR_BATCH_LOST' || err.code === 'LOOKOUT_ERR_DETECTOR_CLOSED' ? 503 : 500;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, `the image is over ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
    // a client that goes away mid-body: nobody to answer, and nothing for an ERROR line
    req.once('close', () => {
      if (!req.complete) reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    });
  });
}
