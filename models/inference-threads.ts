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
  /** undefined: onnxruntime's own default (one thread per physical core, each pinned to its core) */
  threads: number | undefined;
  /** why, for the one log line that names the choice */
  reason: string;
}

/**
 * One stream (a file, one camera, `lookout detect`) decodes in a fraction of a core, so inference gets every core, the
 * way onnxruntime's own default gives them: bare yolox-nano ran 98 fps with that default against 66 with one thread on
 * a 2-core box, and an explicit `intraOpNumThreads: 2` ran slower than the default in every bench round (the default
 * pins one thread per physical core; an explicit count does not). Several cameras keep ffmpeg busy on their own, and
 * inference threads fighting them for every core cost frames, so one core is left to decoding and the main thread.
 */
export function chooseInferenceThreads(load: ThreadsLoad = {}): ThreadsChoice {
  const cores = Math.max(1, load.cores ?? availableParallelism());
  if (load.configured !== undefined) return { threads: load.configured, reason: 'model.threads in the config' };
  const streams = load.streams ?? 1;
  if (streams <= 1) return { threads: undefined, reason: `${streams === 1 ? 'one stream' : 'no streams'} to decode: all cores, onnxruntime's default of one per physical core (${cores} core${cores === 1 ? '' : 's'} here)` };
  const threads = Math.max(1, cores - 1);
  return { threads, reason: `${streams} cameras to decode: ${cores} core${cores === 1 ? '' : 's'} less one left to ffmpeg` };
}

/** The thread count alone, for callers with no load to tell (one stream); undefined is onnxruntime's default. */
export function defaultInferenceThreads(cores = availableParallelism()): number | undefined {
  return chooseInferenceThreads({ cores }).threads;
}
