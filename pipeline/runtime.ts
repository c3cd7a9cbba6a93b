// The runtime builds and owns every resource of a run (detector, sources, subscriptions) and stops them in reverse order.
import { catchError, EMPTY, merge, Observable, Subject, type Subscription } from 'rxjs';
import type { Config } from '../config/types.js';
import { redactUrl } from '../config/redact.js';
import type { Detector } from '../core/detector.js';
import { resolveModel } from '../models/model-spec.js';
import { DetectorSupervisor, type DetectorSupervisorOptions } from '../models/detector-supervisor.js';
import { OnnxDetector } from '../models/onnx-detector.js';
import type { ResolveOptions } from '../models/registry.js';
import { createSource } from '../sources/create-source.js';
import type { CameraStateChange, FrameSource } from '../core/frame-source.js';
import { describeError, isLookoutError, LookoutError } from '../core/errors.js';
import { lineModelLabelProblems } from '../config/lines.js';
import { CameraObjects, hasNews } from './events.js';
import type { CameraUpdate } from '../core/types.js';
import { FrameStore } from './frame-store.js';
import { inferFrames } from './infer.js';
import type { Logger } from '../core/logger.js';
import { StatsCollector, type StatsSnapshot } from './stats.js';
import type { Frame, FrameResult, Status } from '../core/types.js';

export interface RuntimeOptions {
  logger: Logger;
  registry?: ResolveOptions;
  /** replaces the ONNX detector (tests, remote backends) */
  detector?: Detector;
  /** how the ONNX detector is restarted after a failure (backoff, hang timeout) */
  detectorRestart?: DetectorSupervisorOptions;
}

export class Runtime {
  /** hot: sinks subscribe before `start()`; completes on stop or when every camera has ended */
  readonly results$: Observable<FrameResult>;
  private readonly resultsSubject = new Subject<FrameResult>();
  private readonly pipeline: Observable<FrameResult>;
  /** hot: object events and counts per camera (only updates that carry news) */
  readonly updates$: Observable<CameraUpdate>;
  private readonly updatesSubject = new Subject<CameraUpdate>();
  private readonly objects = new Map<string, CameraObjects>();
  /** cameras whose detection is paused (`setDetectEnabled`): frames are released unseen, results in flight dropped */
  private readonly detectOff = new Set<string>();
  private readonly statusSubject = new Subject<Status>();
  readonly status$: Observable<Status> = this.statusSubject.asObservable();
  readonly stats: StatsCollector;
  /** each camera's newest frame pixels, for snapshots and the live view */
  readonly frames = new FrameStore();
  /** resolves when every camera has ended (files without loop) or the runtime is stopped */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private subscription: Subscription | undefined;
  private state: 'created' | 'running' | 'stopping' | 'stopped' = 'created';
  /** why the pipeline stopped by itself, if it failed */
  failure: unknown;
  private readonly detectorStates: Subscription | undefined;

  private constructor(
    readonly config: Config,
    readonly detector: Detector,
    readonly sources: readonly FrameSource[],
    private readonly logger: Logger,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    const bySource = new Map(sources.map((s) => [s.camera, s]));
    this.stats = new StatsCollector(detector.info, (camera) => bySource.get(camera)?.counters ?? { framesIn: 0, dropped: 0 });
    for (const c of config.cameras) if (!c.enabled) this.stats.setStatus(c.name, 'disabled');
    const cameras = sources.map((s) => this.cameraFrames(s));
    this.results$ = this.resultsSubject.asObservable();
    this.detectorStates = detector.states$?.subscribe((s) => {
      this.stats.setDetectorState(s.status, s.restarts, s.error);
      this.emitStatus({ severity: s.severity, code: s.code, message: s.message });
      const log = this.logger.child({ component: 'detector' });
      if (s.severity === 'error') log.error(s.message);
      else log.info(s.message);
    });
    this.updates$ = this.updatesSubject.asObservable();
    for (const c of config.cameras) {
      this.objects.set(c.name, new CameraObjects(c.name, { objects: c.objects, zones: c.zones, masks: c.masks, tracker: c.tracker, lines: c.lines }));
    }
    this.pipeline = merge(...cameras).pipe(
      inferFrames(detector, {
        maxSize: config.model.batch.maxSize,
        maxWaitMs: config.model.batch.maxWaitMs,
        cameras: sources.length,
        policyOf: (camera) => bySource.get(camera)?.policy ?? 'wait',
        onBatch: (b) => this.stats.batch(b.size, b.inferenceMs, b.queueDepth),
        onDrop: (camera) => this.stats.frameDropped(camera),
        onFrame: (f) => this.frames.keep(f),
      }),
    );
  }

  static async create(config: Config, opts: RuntimeOptions): Promise<Runtime> {
    const log = opts.logger.child({ component: 'runtime' });
    let detector = opts.detector;
    if (!detector) {
      const model = await resolveModel(config.model, opts.registry);
      const onnx = () => OnnxDetector.create({
        modelPath: model.modelPath,
        adapter: model.adapter,
        labels: model.labels,
        threshold: config.model.threshold,
        iou: config.model.iou,
        topK: config.model.topK,
        providers: config.model.providers,
        maxBatch: config.model.batch.maxSize,
        inputWidth: config.model.inputWidth,
        inputHeight: config.model.inputHeight,
        intraOpThreads: config.model.threads,
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
    const sources = config.cameras.filter((c) => c.enabled).map((c) => createSource(c, { onWarning }));
    runtime = new Runtime(config, detector, sources, opts.logger);
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
            log.error(message);
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
            if (this.detectOff.has(source.camera)) f.release();
            else subscriber.next(f);
          },
          complete: () => {
            if (this.stats.snapshot().cameras[source.camera]?.status !== 'offline') this.stats.setStatus(source.camera, 'ended');
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
    if (s.severity === 'error') log.error(s.message);
    else if (s.severity === 'warning') log.warn(s.message);
    else log.info(s.message);
  }

  emitStatus(s: Omit<Status, 'at'>): void {
    this.statusSubject.next({ at: Date.now(), ...s });
  }

  /** Starts the cameras; results flow to whoever subscribed to `results$` (subscribe first). */
  start(): void {
    if (this.state !== 'created') throw new Error(`runtime cannot start from state ${this.state}`);
    this.state = 'running';
    this.subscription = this.pipeline.subscribe({
      next: (r) => {
        if (this.detectOff.has(r.frame.camera)) return; // in flight when detection was paused
        this.stats.frameDetected(r.frame.camera, r.frame.capturedAt);
        this.resultsSubject.next(r);
        const update = this.objects.get(r.frame.camera)?.push(r);
        if (update && hasNews(update)) this.updatesSubject.next(update);
      },
      error: (err: unknown) => {
        this.logger.error(`pipeline failed: ${describeError(err)}`, { component: 'runtime' });
        this.emitStatus({ severity: 'error', code: isLookoutError(err) ? err.code : 'LOOKOUT_ERR_INFERENCE', message: describeError(err) });
        this.failure = err;
        this.endStreams();
        this.resolveDone();
      },
      complete: () => {
        this.endStreams();
        this.resolveDone();
      },
    });
  }

  /** Every open object ends (the stream is over), then the hot streams complete. Idempotent. */
  private endStreams(): void {
    if (this.resultsSubject.closed || this.resultsSubject.isStopped) return;
    for (const objects of this.objects.values()) {
      const update = objects.flush();
      if (hasNews(update)) this.updatesSubject.next(update);
    }
    this.resultsSubject.complete();
    this.updatesSubject.complete();
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
      const update = this.objects.get(camera)?.flush();
      if (update && hasNews(update) && !this.updatesSubject.isStopped) this.updatesSubject.next(update);
    }
    this.emitStatus({ severity: 'info', code: on ? 'DETECT_ON' : 'DETECT_OFF', camera, message: `detection ${on ? 'resumed' : 'paused'} on ${camera}` });
    return true;
  }

  snapshot(): StatsSnapshot {
    return this.stats.snapshot();
  }

  /** Idempotent: unsubscribes (which stops every ffmpeg), then closes the detector. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return this.done;
    this.state = 'stopping';
    this.subscription?.unsubscribe();
    this.endStreams();
    await this.detector.close();
    this.detectorStates?.unsubscribe();
    this.statusSubject.complete();
    this.state = 'stopped';
    this.resolveDone();
  }
}
