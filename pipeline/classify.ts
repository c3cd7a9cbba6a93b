// The second stage: trained classifiers on crops of the detect-resolution picture. Objects of a label a camera lists
// in `classify` are cropped when pipeline/classify-attempts.ts says so (at `new`, on each better snapshot, and every
// `intervalSeconds` of stream time while undecided, up to `maxAttempts`), from the frame store's copy of that very
// frame's picture (no copy of our own); the votes go through Frigate's consensus (pipeline/classify-consensus.ts) and
// an agreed class becomes the object's sub-label (the tracker sends an `update`). Each `states.<name>` crop is
// classified every `intervalSeconds` of stream time and when motion touches it; K identical results in a row make a
// state change. One classifier session (its own worker) per model file, shared by every camera that names it; crops
// queued while a run is in flight go together in the next (a batch). Nothing here exists for a config without
// `classify` or `states` models: the runtime then holds no Classification.
import { Subject, type Observable } from 'rxjs';
import { DEFAULTS } from '../config/defaults.js';
import type { CameraConfig, Config } from '../config/types.js';
import type { Detector } from '../core/detector.js';
import { describeError, LookoutError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ClassifyStats } from '../core/stats.js';
import type { FrameStoreView } from '../core/frame-store.js';
import type { Box, CameraUpdate, Frame, ImageTransform, Picture, StateChange, SubLabelDecision } from '../core/types.js';
import { overlaps } from '../core/geometry.js';
import { sourceToPicture } from './region-merge.js';
import { cropResize } from '../models/crop-resize.js';
import { OnnxDetector } from '../models/onnx-detector.js';
import { isModelName, loadClassifierModel, trainedModelsDir } from '../models/trained-models.js';
import { StateConsensus } from './classify-consensus.js';
import { ObjectAttempts } from './classify-attempts.js';

/** a state result counts only at this score or above (the object rule's default threshold) */
const STATE_THRESHOLD = DEFAULTS.classify.threshold;
/** crops of one model that may go in one run */
export const CLASSIFY_MAX_BATCH = 16;
/** around an object's box, as a share of its longer side on each side: a little context helps a classifier */
const OBJECT_MARGIN = 0.1;

export interface Classified {
  label: string;
  score: number;
  /** every class, best first */
  probabilities: { label: string; score: number }[];
  /** the run this crop went through */
  inferenceMs: number;
}

/** One classifier model's session and its queue of crops. */
export class ClassifierSession {
  private readonly queue: { data: Uint8Array; resolve: (c: Classified) => void; reject: (err: unknown) => void }[] = [];
  private running = false;
  private scheduled = false;
  readonly stats = { crops: 0, batches: 0, inferenceMs: 0 };

  private constructor(
    readonly ref: string,
    readonly detector: Detector,
  ) {}

  /** `ref`: a path to an .onnx file or the name of a trained model (models/trained-models.ts). */
  static async create(ref: string, modelsDir: string = trainedModelsDir(), threads = 1): Promise<ClassifierSession> {
    const model = await loadClassifierModel(ref, modelsDir);
    const detector = await OnnxDetector.create({
      modelPath: model.modelPath,
      adapter: 'classifier',
      labels: model.labels,
      // every class comes back, best first: the consensus and the API want the whole distribution
      threshold: 0,
      iou: 0.5,
      topK: model.labels.length,
      maxBatch: CLASSIFY_MAX_BATCH,
      intraOpThreads: threads,
    });
    const { width, height } = detector.info.format;
    if (width !== height) {
      await detector.close();
      throw new LookoutError('LOOKOUT_ERR_MODEL_SHAPE', `classifier ${ref}: crops are square, the model's input is ${width}x${height}`);
    }
    return new ClassifierSession(ref, detector);
  }

  get size(): number {
    return this.detector.info.format.width;
  }

  get labels(): readonly string[] {
    return this.detector.info.labels;
  }

  /** A buffer of the size one crop takes in the model's planar layout. */
  cropBuffer(): Uint8Array {
    const { width, height, layout } = this.detector.info.format;
    return new Uint8Array(width * height * (layout === 'gray' ? 1 : 3));
  }

  /** Crops `region` (picture pixels) of `picture` and classifies it. */
  classifyRegion(picture: Picture, region: Readonly<Box>): Promise<Classified> {
    const out = this.cropBuffer();
    cropResize(picture, region, this.size, this.detector.info.format.layout, out);
    return this.classify(out);
  }

  /** One crop already in the model's layout; batched with whatever else is queued when the worker is free. */
  classify(data: Uint8Array): Promise<Classified> {
    return new Promise((resolve, reject) => {
      this.queue.push({ data, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    // the crops of one frame's update (and of other cameras in the same turn) join the same run
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const jobs = this.queue.splice(0, CLASSIFY_MAX_BATCH);
    const size = this.size;
    const transform: ImageTransform = { srcWidth: size, srcHeight: size, scaleX: 1, scaleY: 1, padX: 0, padY: 0 };
    try {
      const out = await this.detector.detect(jobs.map((j) => ({ data: j.data, transform })));
      this.stats.batches++;
      this.stats.crops += jobs.length;
      this.stats.inferenceMs += out.inferenceMs;
      jobs.forEach((j, i) => {
        const probabilities = out.results[i]!.detections.map((d) => ({ label: d.label, score: d.score }));
        const top = probabilities[0] ?? { label: '', score: 0 };
        j.resolve({ label: top.label, score: top.score, probabilities, inferenceMs: out.inferenceMs });
      });
    } catch (err) {
      for (const j of jobs) j.reject(err);
    } finally {
      this.running = false;
      if (this.queue.length > 0) this.schedule();
    }
  }

  close(): Promise<void> {
    for (const j of this.queue.splice(0)) j.reject(new LookoutError('LOOKOUT_ERR_DETECTOR_CLOSED', `classifier ${this.ref} is closed`));
    return this.detector.close();
  }
}

interface StateRun {
  camera: string;
  name: string;
  box: Box;
  session: ClassifierSession;
  intervalSeconds: number;
  onMotion: boolean;
  consensus: StateConsensus;
  lastRun: number | null;
  inFlight: boolean;
  recent: { label: string; score: number }[];
  consecutive: number;
  state: string | null;
  score: number | null;
}

export interface ClassificationOptions {
  logger: Logger;
  /** where bare model names are found (default: `lookout train`'s default folder) */
  modelsDir?: string;
}

/** Whether a config asks for any classification at all (no: the runtime makes nothing of this module). */
export function wantsClassification(config: Config): boolean {
  return config.cameras.some((c) => c.enabled && (Object.keys(c.classify).length > 0 || Object.values(c.states).some((s) => s.model !== undefined)));
}

export class Classification {
  private readonly subLabels = new Subject<SubLabelDecision>();
  private readonly stateChanges = new Subject<StateChange>();
  /** an object's agreed sub-label: the tracker publishes it as an `update` */
  readonly subLabels$: Observable<SubLabelDecision> = this.subLabels.asObservable();
  /** state changes (K identical results in a row), in order per state */
  readonly states$: Observable<StateChange> = this.stateChanges.asObservable();
  private readonly votes = new Map<string, ObjectAttempts>();
  /** each camera's newest frame (the runtime's frame store): an update's frame is there while the update is seen */
  private frames: FrameStoreView | undefined;
  private readonly stateRuns = new Map<string, StateRun[]>();
  private closed = false;

  private constructor(
    private readonly cameras: ReadonlyMap<string, CameraConfig>,
    private readonly sessions: ReadonlyMap<string, ClassifierSession>,
    private readonly logger: Logger,
  ) {
    for (const c of cameras.values()) {
      const runs: StateRun[] = [];
      for (const [name, s] of Object.entries(c.states)) {
        if (s.model === undefined) continue;
        runs.push({
          camera: c.name,
          name,
          box: [...s.box] as Box,
          session: sessions.get(s.model)!,
          intervalSeconds: s.intervalSeconds,
          onMotion: s.onMotion,
          consensus: new StateConsensus(s.consecutive),
          lastRun: null,
          inFlight: false,
          recent: [],
          consecutive: s.consecutive,
          state: null,
          score: null,
        });
      }
      if (runs.length > 0) this.stateRuns.set(c.name, runs);
    }
  }

  /** One session per model named by an enabled camera; a model that cannot be loaded fails the start, naming where. */
  static async create(config: Config, opts: ClassificationOptions): Promise<Classification> {
    const modelsDir = opts.modelsDir ?? trainedModelsDir();
    const sessions = new Map<string, ClassifierSession>();
    const cameras = new Map<string, CameraConfig>();
    try {
      for (const c of config.cameras) {
        if (!c.enabled) continue;
        const refs: [string, string][] = [
          ...Object.entries(c.classify).map(([label, e]): [string, string] => [`cameras.${c.name}.classify.${label}.model`, e.model]),
          ...Object.entries(c.states).flatMap(([name, s]): [string, string][] => (s.model === undefined ? [] : [[`cameras.${c.name}.states.${name}.model`, s.model]])),
        ];
        if (refs.length === 0) continue;
        const untracked = Object.keys(c.classify).find((label) => !c.objects.track.includes(label));
        if (untracked !== undefined) throw new LookoutError('LOOKOUT_ERR_CONFIG', `invalid config: cameras.${c.name}.classify.${untracked}: the camera does not track ${untracked} (objects.track: ${c.objects.track.join(', ')})`);
        cameras.set(c.name, c);
        for (const [where, ref] of refs) {
          if (sessions.has(ref)) continue;
          try {
            sessions.set(ref, await ClassifierSession.create(ref, modelsDir));
          } catch (err) {
            throw new LookoutError('LOOKOUT_ERR_CONFIG', `invalid config: ${where}: ${describeError(err)}`, { cause: err });
          }
        }
      }
    } catch (err) {
      for (const s of sessions.values()) await s.close();
      throw err;
    }
    for (const s of sessions.values()) opts.logger.info(`classifier ${s.ref}: ${s.labels.length} classes (${s.labels.join(', ')}), input ${s.size}x${s.size}`, { component: 'classify' });
    return new Classification(cameras, sessions, opts.logger.child({ component: 'classify' }));
  }

  /** whether any camera has a state crop with a model */
  get hasStates(): boolean {
    return this.stateRuns.size > 0;
  }

  /**
   * Where object crops come from: the store that holds each camera's newest frame. Its copy is made right before the
   * frame's result goes to the tracker, so during `observe(update)` it is that update's frame.
   */
  attach(frames: FrameStoreView): void {
    this.frames = frames;
  }

  /** State crops are cut from the live picture as the frame enters, when due (interval, or motion in the crop). */
  observeFrame(frame: Frame, motion?: { boxes: readonly Box[] }): void {
    const runs = this.stateRuns.get(frame.camera);
    const pic = frame.picture;
    if (!runs || !pic || this.closed) return;
    for (const run of runs) {
      if (run.inFlight) continue;
      const due = run.lastRun === null || frame.pts - run.lastRun >= run.intervalSeconds - 1e-9 || (run.onMotion && (motion?.boxes.some((b) => overlaps(b, run.box)) ?? false));
      if (!due) continue;
      run.lastRun = frame.pts;
      run.inFlight = true;
      const pts = frame.pts;
      run.session
        .classifyRegion(pic, sourceToPicture(run.box, pic, frame.transform))
        .then((c) => this.stateResult(run, c, pts))
        .catch((err: unknown) => this.failed(`state ${frame.camera}/${run.name}`, err))
        .finally(() => (run.inFlight = false));
    }
  }

  private stateResult(run: StateRun, c: Classified, pts: number): void {
    // an unsure answer (a crop between two classes) neither starts nor breaks a run
    if (!(c.score >= STATE_THRESHOLD)) return;
    run.recent.push({ label: c.label, score: c.score });
    if (run.recent.length > run.consecutive) run.recent.shift();
    const changed = run.consensus.add(c.label);
    if (changed === null || this.closed) return;
    const scores = run.recent.filter((r) => r.label === changed).map((r) => r.score);
    run.state = changed;
    run.score = scores.reduce((a, b) => a + b, 0) / Math.max(1, scores.length);
    this.logger.info(`${run.camera}: state ${run.name} is ${changed}`, { camera: run.camera });
    this.stateChanges.next({ camera: run.camera, name: run.name, state: changed, score: run.score, pts });
  }

  /**
   * Every update of the tracker, per-frame ones included (trackObjects' `onUpdate`), called synchronously: objects of
   * a classified label seen in this frame are cropped now if their attempts are due. Costs a map lookup per update for
   * a camera that classifies nothing.
   */
  observe(u: CameraUpdate): void {
    const camera = this.cameras.get(u.camera);
    if (!camera || this.closed) return;
    for (const e of u.events) if (e.type === 'end') this.votes.delete(`${u.camera}\u0000${e.after.id}`);
    let stored: ReturnType<FrameStoreView['latest']>;
    for (const o of u.objects) {
      const entry = camera.classify[o.label];
      if (!entry || o.lastSeen !== u.pts) continue;
      const key = `${u.camera}\u0000${o.id}`;
      let v = this.votes.get(key);
      if (!v) this.votes.set(key, (v = new ObjectAttempts(entry)));
      stored ??= this.frames?.latest(u.camera);
      // the frame store holds another frame (a flush, or a picture-less source): no crop of this one
      if (!stored?.picture || stored.meta.pts !== u.pts) return;
      if (!v.take(o, u.pts)) continue;
      const votes = v;
      const id = o.id;
      let classified: Promise<Classified>;
      try {
        classified = this.sessions.get(entry.model)!.classifyRegion(stored.picture, objectRegion(o.box, stored.meta.transform, stored.picture));
      } catch (err) {
        // this runs inside the tracker's step: a crop that cannot be cut is this object's problem, not the pipeline's
        votes.answer(null);
        this.failed(`${u.camera} ${o.label} ${id}`, err);
        continue;
      }
      classified.then(
        (c) => {
          if (this.votes.get(key) !== votes || this.closed) return; // the object ended meanwhile
          const agreed = votes.answer({ label: c.label, score: c.score });
          if (agreed) this.subLabels.next({ camera: u.camera, id, subLabel: agreed });
        },
        (err: unknown) => {
          votes.answer(null);
          this.failed(`${u.camera} ${o.label} ${id}`, err);
        },
      );
    }
  }

  private failedOnce = new Set<string>();
  private failed(what: string, err: unknown): void {
    if (this.closed) return;
    const message = describeError(err);
    // a broken classifier would otherwise say so on every crop
    if (this.failedOnce.has(message)) return;
    this.failedOnce.add(message);
    this.logger.error(`classification of ${what} failed: ${message}`, { code: 'LOOKOUT_ERR_INFERENCE' });
  }

  /** The classifier a model reference names, when a camera uses it (POST /api/classify serves the others itself). */
  session(ref: string): ClassifierSession | undefined {
    return this.sessions.get(ref);
  }

  stats(): ClassifyStats {
    const models: ClassifyStats['models'] = {};
    for (const s of this.sessions.values()) {
      models[s.ref] = { ...s.stats, msPerCrop: s.stats.crops > 0 ? s.stats.inferenceMs / s.stats.crops : 0 };
    }
    const states: ClassifyStats['states'] = {};
    for (const [camera, runs] of this.stateRuns) states[camera] = Object.fromEntries(runs.map((r) => [r.name, { state: r.state, score: r.score, classes: [...r.session.labels] }]));
    return { models, states };
  }

  /** Idempotent: stops classifying, completes the streams and closes every session. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.subLabels.complete();
    this.stateChanges.complete();
    for (const s of this.sessions.values()) await s.close();
  }
}

/** A square around the object's box with a margin (picture pixels): the classifier sees its shape undistorted. */
function objectRegion(box: Readonly<Box>, t: ImageTransform, pic: Picture): Box {
  const [x1, y1, x2, y2] = sourceToPicture(box, pic, t);
  const side = Math.max(x2 - x1, y2 - y1) * (1 + 2 * OBJECT_MARGIN);
  const cx = (x1 + x2) / 2;
  const cy = (y1 + y2) / 2;
  return [cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2];
}

/** How many models POST /api/classify keeps open at once (each is a worker and a session). */
const API_MODELS = 4;

/**
 * The classifiers `POST /api/classify?model=NAME` opens on first use (bare names of trained models only, never a path
 * from a request), kept open for the next request, the least recently used closed past API_MODELS.
 */
export class ClassifierPool {
  private readonly open = new Map<string, Promise<ClassifierSession>>();
  private closed = false;

  constructor(
    private readonly modelsDir: string = trainedModelsDir(),
    /** sessions the cameras already hold (not ours to close) */
    private readonly shared: (name: string) => ClassifierSession | undefined = () => undefined,
  ) {}

  async get(name: string): Promise<ClassifierSession> {
    if (!isModelName(name)) throw new LookoutError('LOOKOUT_ERR_MODEL_LOAD', `no trained model named ${JSON.stringify(name)}: a model name is letters, digits, _ . or - (no folders, no .onnx)`);
    const camera = this.shared(name);
    if (camera) return camera;
    if (this.closed) throw new LookoutError('LOOKOUT_ERR_DETECTOR_CLOSED', 'the classifiers are closed');
    let session = this.open.get(name);
    if (session) {
      // most recently used last
      this.open.delete(name);
      this.open.set(name, session);
      return session;
    }
    session = ClassifierSession.create(name, this.modelsDir);
    this.open.set(name, session);
    session.catch(() => this.open.get(name) === session && this.open.delete(name));
    while (this.open.size > API_MODELS) {
      const [oldest, s] = this.open.entries().next().value as [string, Promise<ClassifierSession>];
      this.open.delete(oldest);
      void s.then((x) => x.close(), () => undefined);
    }
    return session;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.open.values()];
    this.open.clear();
    for (const s of all) await s.then((x) => x.close(), () => undefined);
  }
}
