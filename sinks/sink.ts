// The contract of an output: it subscribes to what it needs and is closed by the runtime's owner, in reverse order.
import type { Observable } from 'rxjs';
import type { FrameResult, Status } from '../pipeline/types.js';

export interface SinkInputs {
  results$: Observable<FrameResult>;
  status$: Observable<Status>;
}

export interface Sink {
  readonly name: string;
  close(): Promise<void>;
}
