// Turns what ffmpeg and ffprobe say when a live camera fails into a stable code and the state it puts the camera in.
import type { ErrorCode } from '../core/errors.js';
import type { CameraStatus } from '../core/frame-source.js';

export interface CameraFailure {
  code: ErrorCode;
  /** `offline` when a person must fix something (retries continue), `reconnecting` when it may pass by itself */
  status: Extract<CameraStatus, 'reconnecting' | 'offline'>;
  /** what it means, in words, before ffmpeg's own text */
  meaning: string;
}

const RULES: readonly { test: RegExp; failure: CameraFailure }[] = [
  { test: /\b40[13]\b|unauthori[sz]ed|forbidden|authori[sz]ation failed/i, failure: { code: 'LOOKOUT_ERR_CAMERA_AUTH', status: 'offline', meaning: 'the camera refused the credentials' } },
  { test: /\b404\b|stream not found|no such file or directory|no such device/i, failure: { code: 'LOOKOUT_ERR_CAMERA_NOT_FOUND', status: 'offline', meaning: 'the camera has no such stream' } },
  {
    test: /connection refused|timed out|timeout|no route to host|network is unreachable|name or service not known|temporary failure in name resolution|could not resolve|host is down/i,
    failure: { code: 'LOOKOUT_ERR_CAMERA_UNREACHABLE', status: 'reconnecting', meaning: 'the camera cannot be reached' },
  },
];

/** Classifies a (redacted) failure message; anything not recognised is a lost stream. */
export function classifyFailure(message: string): CameraFailure {
  for (const r of RULES) if (r.test.test(message)) return r.failure;
  return { code: 'LOOKOUT_ERR_CAMERA_LOST', status: 'reconnecting', meaning: 'the stream broke off' };
}
