// Coded errors: every failure a user can meet has a stable code, documented in docs/errors.md (a test keeps the two in step).

export const ERROR_CODES = {
  LOOKOUT_ERR_CONFIG: 'the configuration is invalid',
  LOOKOUT_ERR_CONFIG_READ: 'the configuration file cannot be read or parsed',
  LOOKOUT_ERR_USAGE: 'the command line is invalid',
  LOOKOUT_ERR_MEDIA: 'a video or image cannot be opened or decoded',
  LOOKOUT_ERR_FFMPEG: 'ffmpeg is missing or failed unexpectedly',
  LOOKOUT_ERR_CAMERA_AUTH: 'a camera refused the credentials (wrong or missing username/password)',
  LOOKOUT_ERR_CAMERA_NOT_FOUND: 'a camera has no stream at that path, or the device does not exist',
  LOOKOUT_ERR_CAMERA_UNREACHABLE: 'a camera cannot be reached (connection refused or timed out, unknown host)',
  LOOKOUT_ERR_CAMERA_STALLED: 'a connected camera stopped sending frames for longer than its stall timeout',
  LOOKOUT_ERR_CAMERA_LOST: "a camera's stream ended or broke off",
  LOOKOUT_ERR_HWACCEL: 'hardware decoding failed to start; the camera is decoded in software',
  LOOKOUT_ERR_MODEL_LOAD: 'a model file is missing, unreadable or not ONNX',
  LOOKOUT_ERR_MODEL_SHAPE: "a model's inputs or outputs do not fit its adapter",
  LOOKOUT_ERR_LABELS: "a labels file is unreadable or does not match the model's classes",
  LOOKOUT_ERR_ADAPTER: 'an unknown model adapter was named',
  LOOKOUT_ERR_INFERENCE: 'the model failed while running',
  LOOKOUT_ERR_BATCH_LOST: 'a batch was lost to a detector failure the supervisor is recovering from (its frames count as dropped)',
  LOOKOUT_ERR_DETECTOR_CLOSED: 'the detector was used after it was closed',
  LOOKOUT_ERR_REGISTRY: 'a model cannot be found, downloaded or verified',
  LOOKOUT_ERR_DATASET: 'an evaluation dataset is missing, malformed or does not match the model',
  LOOKOUT_ERR_TRAIN: 'a model cannot be trained from the dataset (too few classes or examples), training failed, or the exported model does not match the trained one',
  LOOKOUT_ERR_CHECKSUM: 'a downloaded or local model file does not match its pinned SHA-256',
  LOOKOUT_ERR_MQTT: 'the MQTT client cannot be set up (an unreadable TLS CA file, a bad URL)',
  LOOKOUT_ERR_MQTT_PREFIX_OWNED: 'another live producer (a Frigate, another Lookout) holds the MQTT topic prefix: Lookout refuses to publish under it unless mqtt.takeOver is set',
  LOOKOUT_ERR_LISTEN: 'a server Lookout starts (embedded MQTT broker, WebSocket) cannot listen on its host and port',
  LOOKOUT_ERR_INTERNAL: 'an unexpected exception (a bug): in a request, a message, a sink or the process',
  LOOKOUT_ERR_RECORD: "a camera's recording or an event clip cannot be written (disk full, folder unwritable, a stream that cannot be copied); detection goes on",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Exit status a CLI gives for an error of this code: 2 for what the user must fix in the invocation, 1 for the rest. */
export function exitCodeFor(code: ErrorCode): 1 | 2 {
  return code === 'LOOKOUT_ERR_CONFIG' || code === 'LOOKOUT_ERR_CONFIG_READ' || code === 'LOOKOUT_ERR_USAGE' ? 2 : 1;
}

export class LookoutError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LookoutError';
    this.code = code;
  }
}

export function isLookoutError(err: unknown): err is LookoutError {
  return err instanceof LookoutError;
}

/** A one-line description of any thrown value, for logs and status messages. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
