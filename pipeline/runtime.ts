// The runtime builds and owns every resource of a run (detector, sources, subscriptions) and stops them in reverse order.
// The run is one composition of operators: camera frames (and uploads) → inferFrames → trackObjects, published as two
// hot streams (results$, updates$) that sinks subscribe to before start(). Stopping completes the sources, so what
// inference holds still comes out, the tracker ends every open object, and only then the streams complete.
import { catchError, connectable, EMPTY, filter, finalize, merge, Observable, ReplaySubject, Subject, takeUntil, type Connectable, type Subscription } from 'rxjs';
import type { Config } from '../config/types.js';
import { redactUrl } from '../config/redact.js';
import type { Detector } from '../core/detector.js';
import { resolveModel } from '../models/model-spec.js';
import { DetectorSupervisor, type DetectorSupervisorOptions } from '../models/detector-supervisor.js';
import { OnnxDetector } from '../models/onnx-detector.js';
import { chooseInferenceThreads } from '../models/inference-threads.js';
import type { ResolveOptions } from '../models/registry.js';
import { createSource } from '../sources/create-source.js';
import type { CameraStateChange, FrameSource } from '../core/frame-source.js';
import { describeError, isLookoutError, LookoutError } from '../core/errors.js';
import { lineModelLabelProblems } from '../config/lines.js';
import type { CameraUpdate, TrackedObject } from '../core/types.js';
import type { DetectImage, ImageDetections } from '../core/image-detection.js';
import { decodeImage } from '../sources/image-decoder.js';
import { trackObjects } from './track-operator.js';
import { Recording } from './recording.js';
import type { ClipsView } from '../core/clips.js';
import { FrameStore } from './frame-store.js';
import { CameraMotion } from './camera-motion.js';
import { RegionPlanner } from './region-planner.js';
import { inferFrames } from './infer.js';
import { ClassifierPool, Classification, wantsClassification } from './classify.js';
import type { ClassifyImage } from '../core/image-classification.js';
import type { Logger } from '../core/logger.js';
import { StatsCollector, type StatsSnapshot } from './stats.js';
import type { Frame, FrameResult, MotionChange, StateChange, Status } from '../core/types.js';

export interface RuntimeOptions {
  logger: Logger;
  registry?: ResolveOptions;
  /** replaces the ONNX detector (tests, remote backends) */
  detector?: Detector;
  /** longest stop() waits for inference to hand back what it holds before it cuts the pipeline (default 5000 ms) */
  drainTimeoutMs?: number;
  /** how the ONNX detector is restarted after a failure (backoff, hang timeout) */
  detectorRestart?: DetectorSupervisorOptions;
  /** where classifiers named by a bare name are found (default: `lookout train`'s default folder) */
  modelsDir?: string;
}

/** Uploads ride the camera pipeline under a name no camera can have (camera names are [a-z0-9_-]+). */
const UPLOAD_PREFIX = 'upload:';
const isUpload = (camera: string) => camera.startsWith(UPLOAD_PREFIX);

export class Runtime {
  /** hot: sinks subscribe before `start()`; completes on stop or when every camera has ended */
  readonly results$: Observable<FrameResult>;
  /** hot: object events and counts per camera (only updates that carry news); ends every open object before completing */
  readonly updates$: Observable<CameraUpdate>;
  private readonly results: Connectable<FrameResult>;
  private readonly updates: Connectable<CameraUpdate>;
  /** cameras whose detection is paused (`setDetectEnabled`): frames are released unseen, results in flight dropped */
  private readonly detectOff = new Set<string>();
  private readonly flush$ = new Subject<string>();
  /** each camera's tracked objects after its newest frame (the live view labels its boxes with their sub-labels) */
  private readonly objectsNow = new Map<string, CameraUpdate>();
  /** the sources stop (and so does the pipeline, once inference hands back what it holds) */
  private readonly stop$ = new ReplaySubject<void>(1);
  private readonly uploads = new Subject<Frame>();
  private readonly pendingUploads = new Map<string, { resolve: (r: FrameResult) => void; reject: (err: unknown) => void }>();
  private uploadSeq = 0;
  /** frames handed to inference and not yet out (result or drop), per camera: a camera ends only after its last one */
  private readonly outstanding = new Map<string, number>();
  private readonly sourceEnded = new Set<string>();
  private readonly statusSubject = new Subject<Status>();
  readonly status$: Observable<Status> = this.statusSubject.asObservable();
  readonly stats: StatsCollector;
  /** each camera's newest frame pixels, for snapshots and the live view */
  readonly frames = new FrameStore();
  /** motion per camera on each frame's picture */
  readonly motion: CameraMotion;
  /** a camera's motion turned ON or OFF (the MQTT motion topic) */
  readonly motion$: Observable<MotionChange>;
  /** a state crop changed (pipeline/classify.ts); absent without state models */
  readonly states$?: Observable<StateChange>;
  /** where the model looks in each frame (`detectMode: regions`) */
  readonly regions: RegionPlanner;
  /** resolves when every camera has ended (files without loop) or the runtime is stopped */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly connections: Subscription[] = [];
  private state: 'created' | 'running' | 'stopping' | 'stopped' = 'created';
  /** why the pipeline stopped by itself, if it failed */
  failure: unknown;
  private readonly detectorStates: Subscription | undefined;

  private constructor(
    readonly config: Config,
    readonly detector: Detector,
    readonly sources: readonly FrameSource[],
    private readonly logger: Logger,
    private readonly drainTimeoutMs: number,
    /** event clips: segment recorders and clip stores of the cameras that record (pipeline/recording.ts) */
    readonly recording: Recording,
    /** sub-labels and states (pipeline/classify.ts); absent when no camera names a classifier */
    readonly classification?: Classification,
    private readonly modelsDir?: string,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    const bySource = new Map(sources.map((s) => [s.camera, s]));
    // asked per frame: a map, not a scan of the cameras (names are unique; an upload's camera has no config)
    const cameraByName = new Map(config.cameras.map((c) => [c.name, c]));
    this.motion = new CameraMotion((camera) => cameraByName.get(camera)?.motion);
    this.motion$ = this.motion.changes$;
    if (classification && classification.hasStates) this.states$ = classification.states$;
    const { format } = detector.info;
    this.regions = new RegionPlanner((camera) => cameraByName.get(camera), format.width === format.height ? format.width : 0);
    this.stats = new StatsCollector(detector.info, (camera) => bySource.get(camera)?.counters ?? { framesIn: 0, dropped: 0 });
    for (const c of config.cameras) if (!c.enabled) this.stats.setStatus(c.name, 'disabled');
    this.detectorStates = detector.states$?.subscribe((s) => {
      this.stats.setDetectorState(s.status, s.restarts, s.error);
      this.emitStatus({ severity: s.severity, code: s.code, message: s.message });
      const log = this.logger.child({ component: 'detector' });
      if (s.severity === 'error') log.error(s.message, { code: s.code });
      else log.info(s.message);
    });
    const cameras = merge(...sources.map((s) => this.cameraFrames(s).pipe(takeUntil(this.stop$)))).pipe(
      // no camera left: uploads already queued are still answered, later ones are refused
      finalize(() => this.uploads.complete()),
    );
    const results = merge(cameras, this.uploads).pipe(
      inferFrames(detector, {
        maxSize: config.model.batch.maxSize,
        maxWaitMs: config.model.batch.maxWaitMs,
        cameras: sources.length,
        policyOf: (camera) => bySource.get(camera)?.policy ?? 'wait',
        onBatch: (b) => this.stats.batch(b.size, b.inferenceMs, b.queueDepth, b.regions),
        onDrop: (camera, err?: unknown) => this.frameDropped(camera, err),
        onFrame: (f) => {
          if (isUpload(f.camera)) return;
          this.frames.keep(f);
        },
      }),
      filter((r) => this.resultFor(r)),
      catchError((err: unknown) => {
        this.logger.error(`pipeline failed: ${describeError(err)}`, { component: 'runtime', code: isLookoutError(err) ? err.code : 'LOOKOUT_ERR_INFERENCE' });
        this.emitStatus({ severity: 'error', code: isLookoutError(err) ? err.code : 'LOOKOUT_ERR_INFERENCE', message: describeError(err) });
        this.failure = err;
        // the tracker still ends every open object: the stream completes, it does not fail
        return EMPTY;
      }),
      finalize(() => this.rejectUploads(new LookoutError('LOOKOUT_ERR_DETECTOR_CLOSED', 'the detector is closed'))),
    );
    this.results = connectable(results, { connector: () => new Subject<FrameResult>(), resetOnDisconnect: false });
    this.results$ = this.results;
    const tracked = this.results.pipe(
      trackObjects({
        cameras: Object.fromEntries(config.cameras.map((c) => [c.name, { objects: c.objects, zones: c.zones, masks: c.masks, tracker: c.tracker, lines: c.lines }])),
        flush$: this.flush$,
        subLabels$: classification?.subLabels$,
        onUpdate: (u) => {
          this.objectsNow.set(u.camera, u);
          // attempts follow each frame's objects; the frame store has that frame's picture while this runs
          classification?.observe(u);
        },
      }),
    );
    this.updates = connectable(tracked, { connector: () => new Subject<CameraUpdate>(), resetOnDisconnect: false });
    this.updates$ = this.updates;
    // first subscriber: an event's clip is known to be coming before any sink publishes the event
    recording.attach(this.results, this.updates);
    classification?.attach(this.frames);
  }

  /** The tracked objects of a camera as of its newest frame (`pts`): what the live view draws sub-labels from. */
  readonly trackedNow = (camera: string): { pts: number; objects: readonly TrackedObject[] } | undefined => this.objectsNow.get(camera);

  /** What sinks see of the event clips. */
  get clips(): ClipsView {
    return this.recording;
  }

  static async create(config: Config, opts: RuntimeOptions): Promise<Runtime> {
    const log = opts.logger.child({ component: 'runtime' });
    let detector = opts.detector;
    if (!detector) {
      const model = await resolveModel(config.model, opts.registry);
      // inference threads for this box and this many cameras (model.threads wins); said once, not per restart
      const threads = chooseInferenceThreads({ configured: config.model.threads, streams: config.cameras.filter((c) => c.enabled).length });
      log.info(`inference threads: ${threads.threads ?? 'auto'} (${threads.reason})`);
      const onnx = () => OnnxDetector.create({
        modelPath: model.modelPath,
        adapter: model.adapter,
        labels: model.labels,
        preprocess: model.preprocess,
        threshold: config.model.threshold,
        iou: config.model.iou,
        topK: config.model.topK,
        providers: config.model.providers,
        maxBatch: config.model.batch.maxSize,
        inputWidth: config.model.inputWidth,
        inputHeight: config.model.inputHeight,
        intraOpThreads: threads.threads,
      });
      // a worker that dies or a run that fails costs a restart with backoff, not the run
      detector = await DetectorSupervisor.create(onnx, opts.detectorRestart);
    }
    const lineProblems = lineModelLabelProblems(config.cameras, detector.info.labels);
    if (lineProblems.length > 0) {
      if (!opts.detector) await detector.close();
      throw new LookoutError('LOOKOUT_ERR_CONFIG', `invalid config: ${lineProblems.join('; ')}`);
    }
    for (const w of detector.info.warnings) log.warn(w);
    const { format, provider, dynamicBatch } = detector.info;
    log.info(`model ${detector.info.modelPath} (${detector.info.adapter}) on ${provider}, input ${format.width}x${format.height}, ${dynamicBatch ? `batches of up to ${detector.info.maxBatch}` : 'fixed batch 1'}`);
    // files and live cameras alike; a file's warnings (hardware decoding fell back) reach the runtime made below
    let runtime: Runtime | undefined;
    const onWarning = (camera: string, code: string, message: string) => runtime?.cameraState(camera, { status: runtime.stats.statusOf(camera), severity: 'warning', code, message });
    const recording = await Recording.create(config.cameras, { logger: opts.logger, emitStatus: (s) => runtime?.recordStatus(s) });
    let sources: FrameSource[];
    let classification: Classification | undefined;
    try {
      if (wantsClassification(config)) classification = await Classification.create(config, { logger: opts.logger, modelsDir: opts.modelsDir });
      sources = config.cameras.filter((c) => c.enabled).map((c) => createSource(c, { onWarning, recorder: recording.recorderOf(c.name) }));
    } catch (err) {
      await classification?.close();
      await recording.close();
      if (!opts.detector) await detector.close();
      throw err;
    }
    runtime = new Runtime(config, detector, sources, opts.logger, opts.drainTimeoutMs ?? 5000, recording, classification, opts.modelsDir);
    return runtime;
  }

  /** One camera's frames; its failure is reported and ends that camera alone. */
  private cameraFrames(source: FrameSource): Observable<Frame> {
    const log = this.logger.child({ component: 'source', camera: source.camera });
    const url = this.config.cameras.find((c) => c.name === source.camera)?.url ?? '';
    return new Observable<Frame>((subscriber) => {
      this.stats.setStatus(source.camera, 'starting');
      log.info(`starting ${redactUrl(url)}`);
      // live cameras report their own states (only changes) and never error: they reconnect
      subscriber.add(source.states$?.subscribe((s) => this.cameraState(source.camera, s)));
      let first = !source.states$;
      return source
        .frames(this.detector.info.format)
        .pipe(
          catchError((err: unknown) => {
            const message = describeError(err);
            this.stats.setStatus(source.camera, 'offline', message, isLookoutError(err) ? err.code : 'LOOKOUT_ERR_MEDIA');
            this.emitStatus({ severity: 'error', code: isLookoutError(err) ? err.code : 'LOOKOUT_ERR_MEDIA', camera: source.camera, message });
            log.error(message, { code: isLookoutError(err) ? err.code : 'LOOKOUT_ERR_MEDIA' });
            return EMPTY;
          }),
        )
        .subscribe({
          next: (f) => {
            if (first) {
              first = false;
              this.stats.setStatus(source.camera, 'online');
              this.emitStatus({ severity: 'info', code: 'CAMERA_ONLINE', camera: source.camera, message: `${source.camera} is online` });
            }
            // motion runs also while detection is paused, as Frigate's does (and so do state crops)
            const motion = this.motion.observe(f);
            this.classification?.observeFrame(f, motion);
            if (this.detectOff.has(source.camera)) return f.release();
            this.outstanding.set(source.camera, (this.outstanding.get(source.camera) ?? 0) + 1);
            subscriber.next(this.regions.plan(f, motion));
          },
          complete: () => {
            this.sourceEnded.add(source.camera);
            this.endIfDone(source.camera);
            subscriber.complete();
          },
        });
    });
  }

  /** A camera changed state (or warns): stats, the status stream and one log line. */
  private cameraState(camera: string, s: Omit<CameraStateChange, 'status'> & { status: string }): void {
    const problem = s.severity !== 'info';
    this.stats.setStatus(camera, s.status, problem ? s.message : null, problem ? s.code : null);
    this.emitStatus({ severity: s.severity, code: s.code, camera, message: s.message });
    const log = this.logger.child({ component: 'source', camera });
    if (s.severity === 'error') log.error(s.message, { code: s.code });
    else if (s.severity === 'warning') log.warn(s.message, { code: s.code });
    else log.info(s.message);
  }

  /** Recording's state changes reach the status stream (and stats keep the camera's own state). */
  private recordStatus(s: Omit<Status, 'at'>): void {
    if (this.state !== 'stopped') this.emitStatus(s);
  }

  emitStatus(s: Omit<Status, 'at'>): void {
    this.statusSubject.next({ at: Date.now(), ...s });
  }

  /** A frame of a camera left the pipeline (a result or a drop). */
  private frameOut(camera: string): void {
    if (isUpload(camera)) return;
    this.outstanding.set(camera, Math.max(0, (this.outstanding.get(camera) ?? 0) - 1));
    this.endIfDone(camera);
  }

  /** A camera whose source ended is `ended` once its last frame's result is out (stats and health read it). */
  private endIfDone(camera: string): void {
    if (!this.sourceEnded.has(camera) || (this.outstanding.get(camera) ?? 0) > 0) return;
    if (this.stats.snapshot().cameras[camera]?.status !== 'offline') this.stats.setStatus(camera, 'ended');
  }

  private frameDropped(camera: string, err?: unknown): void {
    if (isUpload(camera)) {
      const pending = this.pendingUploads.get(camera);
      this.pendingUploads.delete(camera);
      pending?.reject(err ?? new LookoutError('LOOKOUT_ERR_BATCH_LOST', 'the upload was lost'));
      return;
    }
    this.stats.frameDropped(camera);
    this.frameOut(camera);
  }

  /** Whether a result goes on to the sinks and the tracker; an upload's goes back to whoever posted it. */
  private resultFor(r: FrameResult): boolean {
    const camera = r.frame.camera;
    if (isUpload(camera)) {
      this.pendingUploads.get(camera)?.resolve(r);
      this.pendingUploads.delete(camera);
      return false;
    }
    if (this.detectOff.has(camera)) {
      this.frameOut(camera); // in flight when detection was paused
      return false;
    }
    this.stats.frameDetected(camera, r.frame.capturedAt);
    this.regions.observe(r);
    return true;
  }

  private rejectUploads(err: unknown): void {
    for (const p of this.pendingUploads.values()) p.reject(err);
    this.pendingUploads.clear();
  }

  /** One still image through the same batcher as the cameras (the HTTP API's upload). */
  readonly detectImage: DetectImage = async (bytes, what) => {
    const image = await decodeImage(bytes, this.detector.info.format, what);
    if (this.state !== 'running' || this.uploads.closed || this.uploads.isStopped) throw new LookoutError('LOOKOUT_ERR_DETECTOR_CLOSED', 'the detector is not running');
    const camera = `${UPLOAD_PREFIX}${++this.uploadSeq}`;
    const result = new Promise<FrameResult>((resolve, reject) => this.pendingUploads.set(camera, { resolve, reject }));
    const { format } = this.detector.info;
    this.uploads.next({ camera, seq: 0, pts: 0, capturedAt: Date.now(), format, transform: image.transform, data: image.data, release: () => undefined });
    const r = await result;
    const out: ImageDetections = { width: image.width, height: image.height, detections: r.detections, inferenceMs: r.timings.inferenceMs };
    return out;
  };

  /** trained classifiers opened for POST /api/classify (the cameras' own are shared, not opened twice) */
  private classifierPool: ClassifierPool | undefined;
  private get classifiers(): ClassifierPool {
    return (this.classifierPool ??= new ClassifierPool(this.modelsDir, (name) => this.classification?.session(name)));
  }

  /** One still image through a trained classifier by name (the HTTP API's classify). */
  readonly classifyImage: ClassifyImage = async (bytes, model, what) => {
    if (this.state === 'stopping' || this.state === 'stopped') throw new LookoutError('LOOKOUT_ERR_DETECTOR_CLOSED', 'the classifiers are closed');
    const session = await this.classifiers.get(model);
    const image = await decodeImage(bytes, session.detector.info.format, what);
    const c = await session.classify(image.data);
    return { model, probabilities: c.probabilities, inferenceMs: c.inferenceMs };
  };

  /** Starts the cameras; results flow to whoever subscribed to `results$` and `updates$` (subscribe first). */
  start(): void {
    if (this.state !== 'created') throw new Error(`runtime cannot start from state ${this.state}`);
    this.state = 'running';
    // the tracker subscribes after the sinks, so a frame's result reaches them before its update
    this.connections.push(this.updates.connect());
    // after the sinks and the tracker: a frame counts as out (and its camera may be `ended`) once they all have it
    this.connections.push(this.results.subscribe((r) => this.frameOut(r.frame.camera)));
    this.connections.push(this.updates.subscribe({ complete: () => this.resolveDone(), error: () => this.resolveDone() }));
    this.connections.push(this.results.connect());
  }

  /** Whether detection runs on a camera: false for a camera that has no running source or is paused. */
  detectEnabled(camera: string): boolean {
    return this.sources.some((s) => s.camera === camera) && !this.detectOff.has(camera);
  }

  /**
   * Pauses (`false`) or resumes (`true`) detection on one camera (the MQTT `detect/set` command). While paused, its
   * frames are released before the inference queue and results already in flight are dropped; its open objects end
   * now, since nothing will see them leave. Returns false for a camera without a running source.
   */
  setDetectEnabled(camera: string, on: boolean): boolean {
    if (!this.sources.some((s) => s.camera === camera)) return false;
    if (on === !this.detectOff.has(camera)) return true;
    if (on) {
      this.detectOff.delete(camera);
    } else {
      this.detectOff.add(camera);
      this.flush$.next(camera);
    }
    this.emitStatus({ severity: 'info', code: on ? 'DETECT_ON' : 'DETECT_OFF', camera, message: `detection ${on ? 'resumed' : 'paused'} on ${camera}` });
    return true;
  }

  snapshot(): StatsSnapshot {
    const motion = this.motion.stats();
    const regions = this.regions.stats();
    return { ...this.stats.snapshot(), ...(Object.keys(motion).length > 0 ? { motion } : {}), ...(Object.keys(regions).length > 0 ? { regions } : {}), ...(this.classification ? { classify: this.classification.stats() } : {}) };
  }

  /**
   * Idempotent. The sources stop, inference hands back what it holds (bounded by drainTimeoutMs), the tracker ends
   * every open object and the hot streams complete, so sinks see all of it. The detector stays open: it was made before
   * the sinks, so it closes after them (`stop()`).
   */
  drain(): Promise<void> {
    this.draining ??= this.drainOnce();
    return this.draining;
  }

  private draining: Promise<void> | undefined;

  private async drainOnce(): Promise<void> {
    const wasRunning = this.state === 'running';
    this.stop$.next();
    this.stop$.complete();
    if (wasRunning) {
      let timer: NodeJS.Timeout | undefined;
      const drained = await Promise.race([this.done.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), this.drainTimeoutMs)))]);
      clearTimeout(timer);
      if (!drained) this.logger.warn(`inference did not finish within ${this.drainTimeoutMs} ms; stopping without it`, { component: 'runtime' });
    }
    for (const c of this.connections) c.unsubscribe();
    this.uploads.complete();
    this.rejectUploads(new LookoutError('LOOKOUT_ERR_DETECTOR_CLOSED', 'the detector is closed'));
  }

  /** Idempotent: drain() if that has not happened, then the detector closes and the status stream completes. */
  stop(): Promise<void> {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  private stopping: Promise<void> | undefined;

  private async stopOnce(): Promise<void> {
    await this.drain();
    this.state = 'stopping';
    await this.detector.close();
    await this.classifierPool?.close();
    await this.classification?.close();
    // clips of events that just ended are made from what was recorded; then the segment cache goes
    await this.recording.close();
    this.detectorStates?.unsubscribe();
    this.flush$.complete();
    this.frames.dispose();
    this.motion.complete();
    this.statusSubject.complete();
    this.state = 'stopped';
    this.resolveDone();
  }
}
