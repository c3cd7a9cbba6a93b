// The contract of an output: it subscribes to what it needs and is closed by the runtime's owner, in reverse order.
import type { Observable } from 'rxjs';
import type { CameraUpdate } from './types.js';
import type { FrameResult, Status } from './types.js';
import type { ClipsView } from './clips.js';

export interface SinkInputs {
  results$: Observable<FrameResult>;
  status$: Observable<Status>;
  /** object events and counts per camera (only updates that carry news) */
  updates$: Observable<CameraUpdate>;
  /** event clips, when a camera records: `has_clip` */
  readonly clips?: ClipsView;
}

export interface Sink {
  readonly name: string;
  /** settles with the error when the sink cannot go on and the run must stop (MQTT: a prefix found owned late) */
  readonly fatal?: Promise<Error>;
  close(): Promise<void>;
}
