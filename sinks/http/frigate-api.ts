// The part of Frigate's HTTP API that the Home Assistant Frigate integration calls to set up and to show cameras,
// sensors, snapshots, thumbnails and clips (its api.py, camera.py, sensor.py, views.py, media_source.py): served when
// MQTT speaks the Frigate dialect, since the integration's entities live on Frigate's topics. Routes Frigate and Lookout
// share (`/api/stats`, `/api/events`) answer in Frigate's shapes here; Lookout's own stay at `/api/lookout/…`.
// Snapshots and clips are Lookout's routes already (`/api/events/<id>/snapshot.jpg|clip.mp4`).
import type { IncomingMessage, ServerResponse } from 'node:http';
import sharp from 'sharp';
import type { CameraConfig, MqttConfig } from '../../config/types.js';
import type { ClipsView } from '../../core/clips.js';
import type { StatsSnapshot } from '../../core/stats.js';
import { FRIGATE_API_VERSION, FRIGATE_VERSION_TEXT, FrigateStatsView } from '../frigate-stats.js';
import type { Snapshots } from '../snapshot/snapshots.js';
import { frigateConfig } from './frigate-config.js';
import { frigateEvent, parseEventQuery, queryEvents, summarizeEvents, type FrigateEvent } from './frigate-events.js';
import type { EventLog } from './event-log.js';
import { HttpError } from './http-error.js';
import { sendJpeg, sendJson, sendText } from './reply.js';

/** Frigate's thumbnails are 175 pixels high. */
const THUMBNAIL_HEIGHT = 175;
/** `?h=` beyond this is refused rather than upscaled into a huge picture */
const MAX_HEIGHT = 4320;
const EVENT_ID = /^[0-9.]+-[a-z0-9]+$/i;

export interface FrigateApiInputs {
  cameras: readonly CameraConfig[];
  mqtt: MqttConfig;
  events: EventLog;
  snapshots: Snapshots;
  clips?: ClipsView;
  snapshot(): StatsSnapshot;
  detectEnabled(camera: string): boolean;
  /** the camera's source size once it has a frame */
  frameSize(camera: string): readonly [number, number] | undefined;
  /** the live picture with its detections drawn (404 as an HttpError for an unknown camera or no frame yet) */
  liveJpeg(camera: string): Promise<{ jpeg: Buffer; headers: Record<string, string> }>;
}

export class FrigateApi {
  private readonly stats: FrigateStatsView;
  private readonly cameraNames: Set<string>;

  constructor(private readonly inputs: FrigateApiInputs) {
    this.stats = new FrigateStatsView((c) => inputs.detectEnabled(c));
    this.cameraNames = new Set(inputs.cameras.map((c) => c.name));
  }

  /** Answers the routes Frigate has and returns true; false for anything else (Lookout's own routes take it). */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, segment: (text: string) => string): Promise<boolean> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = url.pathname;
    if (path === '/api/version') return sendText(res, FRIGATE_VERSION_TEXT), true;
    if (path === '/api/config') return sendJson(res, 200, frigateConfig(this.inputs.cameras, this.inputs.mqtt, FRIGATE_API_VERSION)), true;
    if (path === '/api/stats') return sendJson(res, 200, this.stats.stats(this.inputs.snapshot())), true;
    if (path === '/api/events') return sendJson(res, 200, queryEvents(this.rows(), parseEventQuery(url.searchParams))), true;
    if (path === '/api/events/summary') return sendJson(res, 200, summarizeEvents(this.rows(), url.searchParams)), true;
    // a camera may be named `events`: its picture before the event routes
    let m = /^\/api\/([^/]+)\/latest\.jpg$/.exec(path);
    if (m && this.cameraNames.has(segment(m[1]))) return await this.latest(res, segment(m[1]), url.searchParams), true;
    m = /^\/api\/events\/([^/]+)$/.exec(path);
    if (m) return sendJson(res, 200, this.event(segment(m[1]))), true;
    m = /^\/api\/events\/([^/]+)\/(thumbnail|snapshot)\.jpg$/.exec(path);
    if (m) return await this.eventPicture(res, segment(m[1]), m[2] as 'thumbnail' | 'snapshot', url.searchParams), true;
    return false;
  }

  /** One row per object, newest event first. */
  private rows(): FrigateEvent[] {
    const { snapshots, clips } = this.inputs;
    const ctx = {
      hasClip: (id: string) => clips?.has(id) ?? false,
      hasSnapshot: (id: string) => snapshots.get(id) !== undefined,
      frameSize: (camera: string) => this.inputs.frameSize(camera),
      detectorType: this.inputs.snapshot().detector.provider,
    };
    return this.inputs.events.latestPerObject().map((e) => frigateEvent(e, ctx));
  }

  private event(id: string): FrigateEvent {
    if (!EVENT_ID.test(id)) throw new HttpError(400, 'not an event id');
    const row = this.rows().find((r) => r.id === id);
    if (!row) throw new HttpError(404, `no event ${id}`);
    return row;
  }

  private async eventPicture(res: ServerResponse, id: string, kind: 'thumbnail' | 'snapshot', params: URLSearchParams): Promise<void> {
    if (!EVENT_ID.test(id)) throw new HttpError(400, 'not an event id');
    const snap = this.inputs.snapshots.get(id);
    if (!snap) throw new HttpError(404, `no ${kind} for event ${id}`);
    const height = kind === 'thumbnail' ? THUMBNAIL_HEIGHT : heightParam(params);
    sendJpeg(res, height === undefined ? snap.jpeg : await resized(snap.jpeg, height));
  }

  private async latest(res: ServerResponse, camera: string, params: URLSearchParams): Promise<void> {
    const height = heightParam(params);
    const { jpeg, headers } = await this.inputs.liveJpeg(camera);
    sendJpeg(res, height === undefined ? jpeg : await resized(jpeg, height), headers);
  }
}

function heightParam(params: URLSearchParams): number | undefined {
  const text = params.get('h');
  if (text === null || text === '') return undefined;
  const h = Number(text);
  if (!Number.isInteger(h) || h < 1 || h > MAX_HEIGHT) throw new HttpError(400, `h must be an integer from 1 to ${MAX_HEIGHT}`);
  return h;
}

/** Scaled to `height` rows, the width following the aspect ratio (as Frigate's `?h=`). */
function resized(jpeg: Buffer, height: number): Promise<Buffer> {
  return sharp(jpeg).resize({ height }).jpeg({ quality: 80 }).toBuffer();
}
