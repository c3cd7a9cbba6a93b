// The MQTT sink: object events, counts, availability, stats and Home Assistant discovery out; `detect/set` commands
// in. It owns its connection and, without `mqtt.url`, the embedded broker (closed last).
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { interval, type Observable, type Subscription } from 'rxjs';
import type { CameraConfig, MqttConfig } from '../../config/types.js';
import { LookoutError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { StatsSnapshot } from '../../core/stats.js';
import type { MotionChange, StateChange, Status } from '../../core/types.js';
import type { Sink, SinkInputs } from '../../core/sink.js';
import type { Snapshot } from '../snapshot/snapshots.js';
import { MqttConnection, type MqttConnectionStats, type MqttLinkStatus } from './connection.js';
import { cameraOfDetectSet, detectSetFilter, detectStateTopic, motionTopic, OFFLINE, ONLINE, type Dialect, type TopicMessage } from './dialect.js';
import { discoveryMessages, type DiscoveryCamera } from './discovery.js';
import { countedDirections, countedLabels } from '../../config/lines.js';
import { EmbeddedBroker } from './embedded-broker.js';
import { FrigateDialect } from './frigate-dialect.js';
import { LookoutDialect } from './lookout-dialect.js';
import type { OutboxMessage } from './outbox.js';
import { topicLevel } from './topics.js';
import { recordTopic, type DiscoveryRecord } from './discovery-record.js';
import { ownerNow, preflight, type Preflight, type PreflightOptions } from './preflight.js';
import { instanceTopic, newInstanceId, type PrefixState } from './prefix-owner.js';
import { statsPayload } from '../stats-payload.js';
import { FrigateStatsView } from '../frigate-stats.js';

/** What the MQTT sink reads from and commands (the Runtime provides all of it). */
export interface MqttSinkInputs extends SinkInputs {
  snapshot(): StatsSnapshot;
  detectEnabled(camera: string): boolean;
  setDetectEnabled(camera: string, on: boolean): boolean;
  emitStatus(status: Omit<Status, 'at'>): void;
  /** motion ON/OFF per camera, published retained on `<prefix>/<camera>/motion` */
  motion$?: Observable<MotionChange>;
  /** state crops' changes, published retained on the dialect's state topic (with a discovery sensor each) */
  states$?: Observable<StateChange>;
}

export interface MqttSinkOptions {
  mqtt: MqttConfig;
  cameras: readonly CameraConfig[];
  logger: Logger;
  /** JPEG snapshots, published retained on `<prefix>/<camera>/<label>/snapshot` (Frigate's topic too) */
  snapshots?: Observable<Snapshot>;
  /** an HTTP server serves every event's snapshot (`/api/events/<id>/snapshot.jpg`): the Frigate dialect's has_snapshot */
  snapshotsServed?: boolean;
  /** tests: how soon to retry a lost broker (default 1000 ms) */
  reconnectPeriodMs?: number;
  /** how long `close()` waits for the outbox to drain (default 2000 ms) */
  closeTimeoutMs?: number;
}

export function createDialect(mqtt: MqttConfig, cameras: readonly CameraConfig[], snapshotsServed = false, hasClip?: (id: string) => boolean): Dialect {
  if (mqtt.dialect === 'frigate') {
    const stationaryFrames = new Map(cameras.map((c) => [c.name, c.tracker.stationaryFrames]));
    return new FrigateDialect(mqtt.topicPrefix, { stationaryFramesOf: (camera) => stationaryFrames.get(camera) ?? 0, snapshotsServed, hasClip });
  }
  return new LookoutDialect(mqtt.topicPrefix, hasClip);
}

export function payloadText(payload: unknown): string {
  return typeof payload === 'string' ? payload : typeof payload === 'number' ? String(payload) : JSON.stringify(payload);
}

export class MqttSink implements Sink {
  readonly name = 'mqtt';
  readonly dialect: Dialect;
  /** the Frigate dialect's stats view (rates measured between publishes) */
  private readonly frigateStats: FrigateStatsView | undefined;
  private readonly connection: MqttConnection;
  private readonly subscriptions: Subscription[] = [];
  private readonly log: Logger;
  private closing: Promise<void> | undefined;
  /** command topics whose retained message was ignored (warned about once each) */
  private readonly retainedWarned = new Set<string>();
  /** each camera's motion state, re-sent on every connect (a broker may have restarted empty) */
  private readonly motion = new Map<string, boolean>();
  /** each state crop's current state, re-sent on every connect */
  private readonly states = new Map<string, OutboxMessage>();
  /** this run's marker on `<prefix>/available/instance` */
  private readonly instance: string;
  /** another run's marker seen on our prefix after we started: it owns the prefix now, our clean stop says nothing */
  private supersededBy: string | undefined;
  /** stale retained topics of earlier runs, cleared once on the first connect */
  private toClear: string[];
  /** the live producer's retained state we took over (our last will and our clean stop give it back) */
  private tookOverFrom: PrefixState | undefined;
  /** why this run stopped publishing for good (the prefix is someone else's), for health and the log */
  private stoppedWhy: string | undefined;
  /** whether the prefix's owner was checked (at start, or on the first connection when the broker was unreachable) */
  private checked: boolean;
  /** the next connect follows a check made just before it: nothing to re-read */
  private trustNext: boolean;
  private failWith!: (err: LookoutError) => void;
  /**
   * Settles when this sink cannot go on and the run must stop with the error (the prefix, checked once a broker
   * unreachable at start came up, is someone else's): as the same refusal at start would have.
   */
  readonly fatal: Promise<LookoutError> = new Promise((resolve) => (this.failWith = resolve));

  private constructor(
    private readonly inputs: MqttSinkInputs,
    private readonly opts: MqttSinkOptions,
    readonly url: string,
    private readonly broker: EmbeddedBroker | undefined,
    ca: Buffer | undefined,
    private readonly start: { instance: string; preflight: Preflight; check?: PreflightOptions },
  ) {
    const { mqtt } = opts;
    this.instance = start.instance;
    this.toClear = start.preflight.clear;
    this.tookOverFrom = start.preflight.tookOverFrom;
    // a broker unreachable at start: the check is made on the first connection, before anything is sent
    this.checked = start.preflight.unreachable === undefined;
    this.trustNext = this.checked;
    this.log = opts.logger.child({ component: 'mqtt' });
    const clips = inputs.clips;
    this.dialect = createDialect(mqtt, opts.cameras, opts.snapshotsServed ?? false, clips && ((id) => clips.has(id)));
    const prefix = this.dialect.prefix;
    this.frigateStats = this.dialect.name === 'frigate' ? new FrigateStatsView((c) => inputs.detectEnabled(c)) : undefined;
    this.connection = MqttConnection.create({
      url,
      clientId: mqtt.clientId ?? `${prefix.replace(/\//g, '-')}-${randomBytes(4).toString('hex')}`,
      username: mqtt.username,
      password: mqtt.password,
      ca,
      rejectUnauthorized: mqtt.tls?.rejectUnauthorized,
      will: this.will(),
      gate: start.check ? () => this.stillOurs() : undefined,
      outboxSize: mqtt.outboxSize,
      reconnectPeriodMs: opts.reconnectPeriodMs,
      subscriptions: [detectSetFilter(prefix), instanceTopic(this.dialect.availableTopic)],
      onConnect: (send) => this.onConnect(send),
      onMessage: (topic, payload, retained) => this.onCommand(topic, payload, retained),
      onStatus: (connected, message) =>
        inputs.emitStatus(connected ? { severity: 'info', code: 'MQTT_CONNECTED', message } : { severity: 'warning', code: 'MQTT_OFFLINE', message }),
      logger: this.log,
    });
    this.subscriptions.push(inputs.updates$.subscribe((u) => this.send(this.dialect.messages(u))));
    if (inputs.motion$) {
      this.subscriptions.push(
        inputs.motion$.subscribe((m) => {
          this.motion.set(m.camera, m.motion);
          this.connection.publish(this.motionState(m.camera, m.motion), 'state');
        }),
      );
    }
    if (inputs.states$) {
      this.subscriptions.push(
        inputs.states$.subscribe((st) => {
          const m: OutboxMessage = { topic: this.dialect.stateTopic(st.camera, st.name), payload: st.state, qos: 1, retain: true };
          this.states.set(m.topic, m);
          this.connection.publish(m, 'state');
        }),
      );
    }
    if (this.dialect.name === 'frigate') this.subscriptions.push(inputs.results$.subscribe((r) => this.dialect.observeFrame(r.frame)));
    if (opts.snapshots) {
      this.subscriptions.push(
        opts.snapshots.subscribe((s) =>
          this.connection.publish({ topic: `${prefix}/${topicLevel(s.camera)}/${topicLevel(s.label)}/snapshot`, payload: s.jpeg, qos: mqtt.qos, retain: true }, 'state'),
        ),
      );
    }
    if (mqtt.statsIntervalSeconds > 0) this.subscriptions.push(interval(mqtt.statsIntervalSeconds * 1000).subscribe(() => this.publishStats()));
    if (!this.checked) {
      this.log.warn(`could not check who owns ${this.dialect.availableTopic} (${start.preflight.unreachable}); the check is made on the first connection, before anything is published (messages wait in the outbox)`);
    }
  }

  /**
   * The last will. Ours says `offline`; after a take-over it is the state we found (a real Frigate's `online`), so a
   * crash never marks the producer we stood in for offline. (Our marker stays beside it: a later Lookout sees a
   * Lookout's claim and still needs `takeOver`, as it would for the Frigate.)
   */
  private will(): OutboxMessage {
    const found = this.tookOverFrom?.available;
    return { topic: this.dialect.availableTopic, payload: found !== undefined && found !== '' ? found : OFFLINE, qos: 1, retain: true };
  }

  /**
   * The gate of every connect. First (a broker unreachable at start): the whole start check, so someone else's prefix
   * stops the run with the error, as it would have at start, and a take-over reconnects with the will it decided.
   * Then, on each reconnect: is the prefix still ours? Someone else's now: stop publishing, never fight over it.
   */
  private async stillOurs(): Promise<boolean | OutboxMessage> {
    if (this.stoppedWhy !== undefined || this.closing) return false;
    if (this.trustNext) {
      this.trustNext = false;
      return true;
    }
    if (!this.checked) return this.checkNow();
    const owner = await ownerNow(this.start.check!);
    if (owner === undefined) return true;
    this.stop(`mqtt: ${owner} since this run was last connected; stopped publishing under its prefix (this run goes on without MQTT)`, 'LOOKOUT_ERR_MQTT_PREFIX_OWNED');
    return false;
  }

  private async checkNow(): Promise<boolean | OutboxMessage> {
    let checked: Preflight;
    try {
      checked = await preflight(this.start.check!);
    } catch (err) {
      const e = err instanceof LookoutError ? err : new LookoutError('LOOKOUT_ERR_MQTT', `mqtt: ${(err as Error).message}`, { cause: err });
      this.stop(e.message, e.code);
      this.failWith(e);
      return false;
    }
    // connected, yet the probe found no broker: the gate goes on with a warning, and the next connect checks again
    if (checked.unreachable !== undefined) throw new Error(checked.unreachable);
    this.checked = true;
    this.toClear = checked.clear;
    this.tookOverFrom = checked.tookOverFrom;
    if (this.tookOverFrom === undefined) return true;
    this.trustNext = true;
    return this.will();
  }

  /** Stops publishing for good and says why: the error log with its code, the status stream, health's mqtt state. */
  private stop(message: string, code: LookoutError['code']): void {
    if (this.stoppedWhy !== undefined) return;
    this.stoppedWhy = message;
    this.log.error(message, { code });
    this.inputs.emitStatus({ severity: 'error', code, message });
    this.connection.halt(message);
  }

  /** Starts the embedded broker when there is no `mqtt.url`, then connects in the background. */
  static async create(inputs: MqttSinkInputs, opts: MqttSinkOptions): Promise<MqttSink> {
    let ca: Buffer | undefined;
    if (opts.mqtt.tls?.ca !== undefined) {
      try {
        ca = await readFile(opts.mqtt.tls.ca);
      } catch (err) {
        const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
        throw new LookoutError('LOOKOUT_ERR_MQTT', `mqtt.tls.ca: cannot read ${opts.mqtt.tls.ca}: ${why}`, { cause: err });
      }
    }
    const instance = newInstanceId();
    let checked: Preflight = { clear: [] };
    let check: PreflightOptions | undefined;
    if (opts.mqtt.url !== undefined) {
      // an embedded broker is fresh and ours: nothing to check or clean
      const dialect = createDialect(opts.mqtt, opts.cameras);
      const record = opts.mqtt.discovery.enabled ? discoveryRecord(dialect, opts.mqtt.discovery.prefix, discoveryCameras(opts, inputs.motion$ !== undefined, inputs.states$ !== undefined)) : undefined;
      check = {
        url: opts.mqtt.url,
        client: { username: opts.mqtt.username, password: opts.mqtt.password, protocolVersion: 4, ...(ca ? { ca } : {}), ...(opts.mqtt.tls ? { rejectUnauthorized: opts.mqtt.tls.rejectUnauthorized } : {}) },
        availableTopic: dialect.availableTopic,
        instance,
        takeOver: opts.mqtt.takeOver,
        discovery: record && { prefix: opts.mqtt.discovery.prefix, node: discoveryNode(dialect), record },
        logger: opts.logger.child({ component: 'mqtt' }),
      };
      checked = await preflight(check);
    }
    const broker = opts.mqtt.url === undefined ? await EmbeddedBroker.create(opts.mqtt.embedded) : undefined;
    if (broker) opts.logger.child({ component: 'mqtt' }).info(`embedded broker listening on ${broker.url}`);
    try {
      return new MqttSink(inputs, opts, opts.mqtt.url ?? (broker as EmbeddedBroker).url, broker, ca, { instance, preflight: checked, check });
    } catch (err) {
      await broker?.close();
      throw new LookoutError('LOOKOUT_ERR_MQTT', `mqtt: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Another run's marker that took our prefix over after we started (our clean stop then leaves `available` alone). */
  takenOverBy(): string | undefined {
    return this.supersededBy;
  }

  stats(): MqttConnectionStats {
    return this.connection.stats();
  }

  /** The broker link's state (connected / connecting / refused and why), for health and metrics. */
  link(): MqttLinkStatus {
    return this.connection.link();
  }

  /** Resolves true once every message has been acknowledged by the broker, false after `timeoutMs`. */
  drained(timeoutMs = 5000): Promise<boolean> {
    return this.connection.drained(timeoutMs);
  }

  private message(m: TopicMessage): OutboxMessage {
    return { topic: m.topic, payload: payloadText(m.payload), qos: this.opts.mqtt.qos, retain: m.retain };
  }

  private send(messages: readonly TopicMessage[]): void {
    for (const m of messages) this.connection.publish(this.message(m), m.kind);
  }

  /** What a broker (perhaps a fresh one) hears first on every connect: online, the detect states, discovery. */
  private onConnect(send: (m: OutboxMessage) => void): void {
    const { mqtt } = this.opts;
    for (const topic of this.toClear.splice(0)) send({ topic, payload: '', qos: 1, retain: true });
    // the marker first: whoever reads `online` next to it knows it is this run's
    send({ topic: instanceTopic(this.dialect.availableTopic), payload: this.instance, qos: 1, retain: true });
    send({ topic: this.dialect.availableTopic, payload: ONLINE, qos: 1, retain: true });
    for (const c of this.opts.cameras) send(this.detectState(c.name));
    for (const c of this.opts.cameras) if (this.inputs.motion$ && c.motion.enabled) send(this.motionState(c.name, this.motion.get(c.name) ?? false));
    for (const m of this.states.values()) send(m);
    if (mqtt.discovery.enabled) {
      const cameras = discoveryCameras(this.opts, this.inputs.motion$ !== undefined, this.inputs.states$ !== undefined);
      for (const d of discoveryMessages(this.dialect, mqtt.discovery.prefix, cameras)) send({ topic: d.topic, payload: JSON.stringify(d.config), qos: 1, retain: true });
      const record = discoveryRecord(this.dialect, mqtt.discovery.prefix, cameras);
      send({ topic: recordTopic(mqtt.discovery.prefix, discoveryNode(this.dialect)), payload: JSON.stringify(record), qos: 1, retain: true });
    }
  }

  private motionState(camera: string, on: boolean): OutboxMessage {
    return { topic: motionTopic(this.dialect.prefix, camera), payload: on ? 'ON' : 'OFF', qos: 1, retain: true };
  }

  private detectState(camera: string): OutboxMessage {
    return { topic: detectStateTopic(this.dialect.prefix, camera), payload: this.inputs.detectEnabled(camera) ? 'ON' : 'OFF', qos: 1, retain: true };
  }

  /** `<prefix>/<camera>/detect/set` ON|OFF. Anything else is ignored with a warning: a command never stops Lookout. */
  private onCommand(topic: string, payload: Buffer, retained: boolean): void {
    if (topic === instanceTopic(this.dialect.availableTopic)) {
      // a retained marker is the broker's replay at subscribe (an earlier run's, ours now); only one sent now is news
      const marker = payload.toString('utf8');
      if (!retained && marker !== this.instance && marker !== '' && this.supersededBy !== marker) {
        this.supersededBy = marker;
        // never fight over the prefix: the other run publishes there now, and our clean stop leaves its state alone
        this.stop(`mqtt: ${this.dialect.availableTopic} was taken over by ${marker}; stopped publishing under its prefix (this run goes on without MQTT)`, 'LOOKOUT_ERR_MQTT_PREFIX_OWNED');
      }
      return;
    }
    const camera = cameraOfDetectSet(this.dialect.prefix, topic);
    if (camera === undefined) return;
    // A retained command is an old order replayed by the broker on every connect: on a broker anyone may write to,
    // it would switch detection off at each start. Only a command sent now counts, unless the user opts in.
    if (retained && !this.opts.mqtt.commands.acceptRetained) {
      if (!this.retainedWarned.has(topic)) {
        this.retainedWarned.add(topic);
        const message = `ignored the retained command on ${topic} (set mqtt.commands.acceptRetained: true to obey retained commands)`;
        this.log.warn(message);
        this.inputs.emitStatus({ severity: 'warning', code: 'MQTT_COMMAND_IGNORED', message });
      }
      return;
    }
    const text = payload.toString('utf8').trim();
    const value = text.toUpperCase();
    let problem: string | undefined;
    if (value !== 'ON' && value !== 'OFF') problem = `expected ON or OFF, got ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}`;
    else if (!this.inputs.setDetectEnabled(camera, value === 'ON')) problem = `no running camera named ${JSON.stringify(camera)}`;
    if (problem) {
      const message = `ignored ${topic}: ${problem}`;
      this.log.warn(message);
      this.inputs.emitStatus({ severity: 'warning', code: 'MQTT_COMMAND_IGNORED', message });
      return;
    }
    this.log.info(`detection ${value} on ${camera}`, { camera });
    this.connection.publish(this.detectState(camera), 'state');
  }

  /**
   * Lookout's stats in snake_case with the link's counters; in the Frigate dialect, Frigate's stats shape (what a
   * Frigate publishes on `frigate/stats`, the same as its `/api/stats`).
   */
  private publishStats(): void {
    const snap = this.inputs.snapshot();
    const payload = JSON.stringify(this.frigateStats ? this.frigateStats.stats(snap) : { ...statsPayload(snap), mqtt: mqttStatsPayload(this.connection.stats()) });
    this.connection.publishIfConnected({ topic: this.dialect.statsTopic, payload, qos: this.opts.mqtt.qos, retain: false });
  }

  /**
   * What `available` says after a clean stop: `stopped` (Frigate: `offline`), unless the prefix is someone else's. A
   * producer that took the prefix over after us keeps its state; one we took it over from gets its own back (a real
   * Frigate stays `online` in Home Assistant).
   */
  private finalAvailability(): OutboxMessage | undefined {
    const available = this.dialect.availableTopic;
    // stopped, by an error or because another run took the prefix over (that stops this one too): leave it alone
    if (this.stoppedWhy !== undefined) return undefined;
    const previous = this.tookOverFrom;
    if (previous) {
      this.connection.publish({ topic: instanceTopic(available), payload: previous.instance ?? '', qos: 1, retain: true }, 'state');
      return { topic: available, payload: previous.available ?? '', qos: 1, retain: true };
    }
    return { topic: available, payload: this.dialect.stoppedPayload, qos: 1, retain: true };
  }

  /** Idempotent: stops listening, drains the outbox (bounded), says `stopped` (Frigate: `offline`), closes the broker. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const s of this.subscriptions) s.unsubscribe();
      await this.connection.close(this.finalAvailability(), this.opts.closeTimeoutMs);
      await this.broker?.close();
    })();
    return this.closing;
  }
}

/** Home Assistant wants object ids of [a-zA-Z0-9_-]. */
export function discoveryNode(dialect: Dialect): string {
  return dialect.prefix.replace(/[^a-zA-Z0-9_-]+/g, '_');
}

function discoveryCameras(opts: MqttSinkOptions, motion: boolean, states: boolean): DiscoveryCamera[] {
  return opts.cameras.map((c) => ({
    name: c.name,
    motion: motion && c.motion.enabled,
    states: states ? Object.entries(c.states).flatMap(([name, s]) => (s.model === undefined ? [] : [name])) : [],
    labels: c.objects.track,
    lines: Object.entries(c.lines).map(([name, l]) => ({ name, labels: countedLabels(l, c.objects.track), directions: countedDirections(l.direction) })),
    zones: Object.entries(c.zones).map(([name, z]) => ({ name, labels: (z.objects ?? c.objects.track).filter((l) => c.objects.track.includes(l)) })),
    snapshots: opts.snapshots !== undefined,
  }));
}

/** The configs this run publishes and the retained states they read: what a later run clears when they go. */
function discoveryRecord(dialect: Dialect, prefix: string, cameras: readonly DiscoveryCamera[]): DiscoveryRecord {
  const messages = discoveryMessages(dialect, prefix, cameras);
  const states = new Set<string>();
  for (const m of messages) {
    for (const key of ['state_topic', 'image_topic']) {
      const t = m.config[key];
      // only retained states linger (Frigate's counts are not retained; its motion, detect state and snapshots are)
      if (typeof t === 'string' && (dialect.countsRetained || key === 'image_topic' || /\/(motion|detect\/state|state\/[^/]+|classification\/[^/]+)$/.test(t))) states.add(t);
    }
  }
  return { available: dialect.availableTopic, configs: messages.map((m) => m.topic), states: [...states] };
}

/** The link's counters in the stats payload (`mqtt`), snake_case. */
export interface MqttStatsPayload {
  connected: boolean;
  outbox: number;
  outbox_size: number;
  inflight: number;
  published: number;
  dropped: number;
  discarded: number;
  connects: number;
}

function mqttStatsPayload(s: MqttConnectionStats): MqttStatsPayload {
  return { connected: s.connected, outbox: s.outbox, outbox_size: s.outboxSize, inflight: s.inflight, published: s.published, dropped: s.dropped, discarded: s.discarded, connects: s.connects };
}
