// Camera config → FrameSource: files and lavfi graphs read directly, live inputs (RTSP, HTTP MJPEG, HLS, V4L2)
// wrapped in a LiveSource that reconnects and watches for stalls.
import type { SchedulerLike } from 'rxjs';
import type { CameraConfig } from '../config/types.js';
import { redactUrl, spellings, urlSecrets } from '../config/redact.js';
import type { ErrorCode } from '../core/errors.js';
import { cameraUrlKind, isLive, withCredentials, type CameraUrlKind } from '../config/camera-url.js';
import type { FrameSource } from '../core/frame-source.js';
import { LiveSource } from './live-source.js';
import { checkPort, endpointOf } from './port-check.js';
import { VideoSource } from './video-source.js';
import type { RunRecorder } from './segment-recorder.js';

export interface CreateSourceOptions {
  /** warnings of sources that do not report states themselves (a file's hardware decoder fell back to software) */
  onWarning?: (camera: string, code: ErrorCode, message: string) => void;
  scheduler?: SchedulerLike;
  /** records the camera's stream in the same ffmpeg (event clips) */
  recorder?: RunRecorder;
}

/** The ffmpeg input options for a live camera, before its own `inputArgs` (which come last, so they win). */
export function liveReadOptions(kind: CameraUrlKind, camera: Pick<CameraConfig, 'transport' | 'inputArgs'>): string[] {
  const opts: string[] = [];
  if (kind === 'rtsp') opts.push('-rtsp_transport', camera.transport);
  if (kind === 'v4l2') opts.push('-f', 'v4l2');
  // a live stream shows its size within a second; ffmpeg's default 5 s of analysis only delays every (re)connect
  else opts.push('-analyzeduration', '1000000');
  return [...opts, ...camera.inputArgs];
}

/**
 * The read options that skip stream analysis, for inputs whose header describes the stream: an RTSP camera's SDP
 * carries codec, size (sprop-parameter-sets) and usually the rate, so ffprobe answers in one round of RTSP requests
 * and ffmpeg starts decoding at once, instead of each reading a second of frames. Undefined for other kinds (HTTP and
 * HLS must sniff the format from the bytes; a device has no analysis to skip). VideoSource falls back to
 * `liveReadOptions` when the header is not enough.
 */
export function quickReadOptions(kind: CameraUrlKind, camera: Pick<CameraConfig, 'transport' | 'inputArgs'>): string[] | undefined {
  if (kind !== 'rtsp') return undefined;
  return ['-rtsp_transport', camera.transport, '-analyzeduration', '0', '-probesize', '32', ...camera.inputArgs];
}

/** Whether a camera is read as a live stream ('latest' policy, reconnect, watchdog). */
export function isLiveCamera(camera: Pick<CameraConfig, 'url'>): boolean {
  const kind = cameraUrlKind(camera.url);
  return typeof kind === 'string' && isLive(kind);
}

export function createSource(camera: CameraConfig, opts: CreateSourceOptions = {}): FrameSource {
  const kind = cameraUrlKind(camera.url);
  if (typeof kind !== 'string') throw new RangeError(`cameras.${camera.name}.url: ${kind.problem}`);
  if (!isLive(kind)) {
    // a realtime lavfi graph is a synthetic camera: it runs on the clock like a real one, so it drops like one
    const policy = kind === 'lavfi' && camera.realtime ? 'latest' : 'wait';
    return new VideoSource({
      camera: camera.name,
      url: camera.url,
      fps: camera.fps,
      loop: camera.loop,
      realtime: camera.realtime,
      policy,
      hwaccel: camera.hwaccel,
      readOptions: camera.inputArgs,
      detect: camera.detect,
      inputsFromPicture: camera.detectMode === 'regions',
      onWarning: (code, message) => opts.onWarning?.(camera.name, code, message),
      recorder: opts.recorder,
    });
  }
  const url = withCredentials(camera.url, camera.username, camera.password);
  const secrets = spellings([...urlSecrets(url), ...(camera.password === undefined ? [] : [camera.password])]);
  const label = redactUrl(url);
  let live: LiveSource | undefined;
  const inner = new VideoSource({
    camera: camera.name,
    url,
    stream: true,
    fps: camera.fps,
    policy: 'latest',
    readOptions: liveReadOptions(kind, camera),
    quickReadOptions: quickReadOptions(kind, camera),
    hwaccel: camera.hwaccel,
    label,
    secrets,
    detect: camera.detect,
    inputsFromPicture: camera.detectMode === 'regions',
    onWarning: (code, message) => live?.warn(code, message),
    recorder: opts.recorder,
  });
  const endpoint = kind === 'v4l2' ? undefined : endpointOf(url);
  live = new LiveSource({
    inner,
    reconnect: camera.reconnect,
    stallTimeoutMs: camera.stallTimeoutMs,
    label,
    secrets,
    scheduler: opts.scheduler,
    portCheck: endpoint ? () => checkPort(endpoint) : undefined,
  });
  return live;
}
