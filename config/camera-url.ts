// What a camera URL names, and how credentials given as separate fields join it. One place, so that the config
// validator and the source factory agree on which inputs are live.

export type CameraUrlKind =
  /** a video file (path or file://) */
  | 'file'
  /** an ffmpeg filter graph, `lavfi:<graph>` (synthetic cameras) */
  | 'lavfi'
  /** rtsp:// or rtsps:// */
  | 'rtsp'
  /** http(s):// MJPEG or any other stream ffmpeg reads over HTTP */
  | 'http'
  /** http(s):// ending in .m3u8 */
  | 'hls'
  /** /dev/videoN, read with -f v4l2 */
  | 'v4l2';

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** The kind of input, or a reason the URL is not one Lookout reads. */
export function cameraUrlKind(url: string): CameraUrlKind | { problem: string } {
  if (url.startsWith('lavfi:')) return url.length > 'lavfi:'.length ? 'lavfi' : { problem: 'lavfi: needs a filter graph after the colon' };
  const scheme = SCHEME.exec(url)?.[1].toLowerCase();
  if (scheme === undefined) return /^\/dev\/video\d+$/.test(url) ? 'v4l2' : 'file';
  if (scheme === 'file') return 'file';
  if (scheme === 'rtsp' || scheme === 'rtsps') return hostOf(url) ? 'rtsp' : { problem: `${scheme}:// needs a host` };
  if (scheme === 'http' || scheme === 'https') {
    if (!hostOf(url)) return { problem: `${scheme}:// needs a host` };
    return /\.m3u8$/i.test(url.split(/[?#]/)[0]) ? 'hls' : 'http';
  }
  return { problem: `${scheme}:// is not a camera input: expected rtsp://, rtsps://, http(s):// (MJPEG, HLS), /dev/videoN, a file path or lavfi:<graph>` };
}

/** Live inputs run on the camera's clock: they reconnect, are watched for stalls and drop frames when inference is busy. */
export function isLive(kind: CameraUrlKind): boolean {
  return kind === 'rtsp' || kind === 'http' || kind === 'hls' || kind === 'v4l2';
}

export function hasUserInfo(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*@/i.test(url);
}

function hostOf(url: string): string {
  const rest = url.replace(SCHEME, '');
  return rest.split(/[/?#]/)[0].replace(/^[^@]*@/, '');
}

/** The URL with `username`/`password` (percent-encoded) as its user info, the way ffmpeg takes them for RTSP and HTTP. */
export function withCredentials(url: string, username: string | undefined, password: string | undefined): string {
  if (username === undefined) return url;
  const userInfo = encodeURIComponent(username) + (password === undefined ? '' : `:${encodeURIComponent(password)}`);
  return url.replace(SCHEME, (scheme) => `${scheme}${userInfo}@`);
}
