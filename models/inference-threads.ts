// How many intra-op threads onnxruntime gets, chosen from the box and the load rather than one fixed rule.
import { availableParallelism } from 'node:os';

export interface ThreadsLoad {
  /** `model.threads` from the config: when set it wins */
  configured?: number;
  /** cores the process may use */
  cores?: number;
  /** streams ffmpeg decodes at the same time as inference runs (enabled cameras; 1 for `lookout detect`) */
  streams?: number;
}

export interface ThreadsChoice {
  threads: number;
  /** why, for the one log line that names the choice */
  reason: string;
}

/**
 * One stream (a file, one camera, `lookout detect`) decodes in a fraction of a core, so inference gets every core:
 * bare onnxruntime on yolox-nano ran 98 fps with 2 threads against 66 with one on a 2-core box. Several cameras keep
 * ffmpeg busy on their own, and inference threads fighting them for every core cost frames, so one core is left to
 * decoding and the main thread.
 */
export function chooseInferenceThreads(load: ThreadsLoad = {}): ThreadsChoice {
  const cores = Math.max(1, load.cores ?? availableParallelism());
  if (load.configured !== undefined) return { threads: load.configured, reason: 'model.threads in the config' };
  const streams = load.streams ?? 1;
  if (streams <= 1) return { threads: cores, reason: `${streams === 1 ? 'one stream' : 'no streams'} to decode: all ${cores} core${cores === 1 ? '' : 's'}` };
  const threads = Math.max(1, cores - 1);
  return { threads, reason: `${streams} cameras to decode: ${cores} core${cores === 1 ? '' : 's'} less one left to ffmpeg` };
}

/** The thread count alone, for callers with no load to tell (one stream). */
export function defaultInferenceThreads(cores = availableParallelism()): number {
  return chooseInferenceThreads({ cores }).threads;
}
