// One mqtt.js client and our outbox in front of it.
//
// mqtt.js queues QoS >= 1 publishes made while offline in its outgoing store without a bound and without telling
// anyone what it dropped, and it re-sends that store on reconnect. So we hand a message to mqtt.js only while
// connected, and at most `maxInflight` at a time; everything else waits in our bounded Outbox (drop-oldest, counted).
// A message handed over and not yet acknowledged when the connection drops stays in mqtt.js's store, which re-sends it
// (once) before it emits `connect`; only then do we drain the outbox, so the order holds and nothing is sent twice by
// us. (QoS 1 is at-least-once: a message whose PUBACK was lost in the drop may reach the broker twice; QoS 2 avoids
// that.)
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { redactUrl } from '../../config/redact.js';
import type { Logger } from '../../core/logger.js';
import { Outbox, type OutboxMessage } from './outbox.js';

export interface MqttConnectionOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** CA certificate(s) for TLS; without, the system's */
  ca?: Buffer;
  rejectUnauthorized?: boolean;
  /** the last will (retained `offline` on the availability topic; after a take-over, the state found) */
  will: OutboxMessage;
  /**
   * On every connect, before anything is sent: may we publish? (the prefix may have been taken over while we were
   * away). True: go on. False: the link stops for good (`halt`), without the last will. A message: first reconnect
   * cleanly with it as the last will (a take-over decided on this connection), then go on. A check that throws lets
   * the link go on, with a warning.
   */
  gate?: (connects: number) => Promise<boolean | OutboxMessage>;
  outboxSize: number;
  /** most messages handed to mqtt.js and not yet acknowledged (default 64) */
  maxInflight?: number;
  /** default 1000 ms */
  reconnectPeriodMs?: number;
  /** default 30 s */
  keepaliveSeconds?: number;
  /** subscribed once; mqtt.js subscribes again after each reconnect */
  subscriptions?: readonly string[];
  /** on every (re)connect, before the outbox drains: what a fresh broker must hear first (online, discovery, state) */
  onConnect?: (send: (m: OutboxMessage) => void) => void;
  /** `retained`: the broker replayed a stored message (not one sent now) */
  onMessage?: (topic: string, payload: Buffer, retained: boolean) => void;
  /** connected / lost, for the status stream */
  onStatus?: (connected: boolean, message: string) => void;
  logger: Logger;
}

export interface MqttConnectionStats {
  connected: boolean;
  /** messages waiting for the broker */
  outbox: number;
  outboxSize: number;
  /** handed to mqtt.js, not yet acknowledged */
  inflight: number;
  /** acknowledged (QoS >= 1) or written (QoS 0) */
  published: number;
  /** dropped from a full outbox (the oldest first) */
  dropped: number;
  /** QoS 0 messages that found no connection (at-most-once: never queued) */
  discarded: number;
  connects: number;
}

/** The link to the broker as health and metrics show it. */
export type MqttLinkState = 'connected' | 'connecting' | 'refused' | 'stopped';

export interface MqttLinkStatus extends MqttConnectionStats {
  state: MqttLinkState;
  /** why it is not connected (`not authorized`, `connect ECONNREFUSED …`) */
  reason?: string;
  /** ISO time of the latest state change */
  since: string;
}

/** Refusals back off up to this (a broker that refuses our credentials is not hammered; it is never given up on). */
const MAX_REFUSED_RETRY_MS = 30_000;

export class MqttConnection {
  private readonly outbox: Outbox;
  private readonly maxInflight: number;
  private ready = false;
  private inflight = 0;
  private published = 0;
  private discarded = 0;
  private connects = 0;
  private closing: Promise<void> | undefined;
  /** stopped for good by `halt` */
  private halted = false;
  /** between the clean disconnect and the connect of `rewill`: not news */
  private rewilling = false;
  private drainWaiters: (() => void)[] = [];
  /** why the latest attempt failed (refused, not authorized, TLS), for the status message */
  private lastError: string | undefined;
  private state: MqttLinkState = 'connecting';
  private stateReason: string | undefined;
  private since = new Date();
  private readonly baseRetryMs: number;
  private retryMs: number;

  private constructor(
    private readonly client: MqttClient,
    private readonly opts: MqttConnectionOptions,
  ) {
    this.outbox = new Outbox(opts.outboxSize);
    this.maxInflight = opts.maxInflight ?? 64;
    const log = opts.logger;
    this.baseRetryMs = opts.reconnectPeriodMs ?? 1000;
    this.retryMs = this.baseRetryMs;
    client.on('connect', () => {
      const connects = ++this.connects;
      this.lastError = undefined;
      this.retryMs = this.baseRetryMs;
      client.options.reconnectPeriod = this.baseRetryMs;
      this.setState('connected', undefined);
      const go = () => {
        // a connection lost (or a stop begun) during the check: the next connect checks again
        if (connects !== this.connects || this.closing || this.halted || !client.connected) return;
        this.ready = true;
        opts.onConnect?.((m) => this.send(m));
        this.pump();
      };
      if (!opts.gate) return go();
      opts.gate(connects).then(
        (verdict) => (verdict === true ? go() : verdict === false ? undefined : this.rewill(verdict)),
        (err: Error) => {
          log.warn(`mqtt: could not check who owns the prefix on reconnect (${err.message}); publishing on`);
          go();
        },
      );
    });
    client.on('close', () => {
      this.ready = false;
      // a refusal stays the state until a connection succeeds: the retries in between are not news
      if (!this.closing && !this.halted && !this.rewilling && this.state !== 'refused') this.setState('connecting', this.lastError);
    });
    client.on('error', (err: Error & { code?: unknown }) => {
      this.lastError = err.message;
      log.debug(`mqtt: ${err.message}`);
      // a CONNACK refusal carries a numeric reason code; mqtt.js 5 would stop reconnecting after one unless
      // `reconnectOnConnackError` is set (it is): credentials fixed on the broker must be picked up without a restart
      if (typeof err.code === 'number' && /^Connection refused/i.test(err.message)) {
        const reason = err.message.replace(/^Connection refused:\s*/i, '').toLowerCase();
        this.retryMs = Math.min(MAX_REFUSED_RETRY_MS, Math.max(this.retryMs * 2, this.baseRetryMs));
        client.options.reconnectPeriod = this.retryMs;
        this.setState('refused', reason);
      } else if (this.state === 'refused') {
        this.setState('connecting', err.message);
      }
    });
    client.on('message', (topic, payload, packet) => opts.onMessage?.(topic, payload, packet.retain));
    if (opts.subscriptions && opts.subscriptions.length > 0) client.subscribe([...opts.subscriptions], { qos: 1 });
  }

  /** Starts connecting in the background: an unreachable broker is not an error, messages wait in the outbox. */
  static create(opts: MqttConnectionOptions): MqttConnection {
    const clientOpts: IClientOptions = {
      clientId: opts.clientId,
      username: opts.username,
      password: opts.password,
      clean: true,
      protocolVersion: 4,
      keepalive: opts.keepaliveSeconds ?? 30,
      reconnectPeriod: opts.reconnectPeriodMs ?? 1000,
      reconnectOnConnackError: true,
      connectTimeout: 10_000,
      // QoS 0 is at-most-once: never queue it behind our back
      queueQoSZero: false,
      will: { topic: opts.will.topic, payload: Buffer.from(opts.will.payload), qos: opts.will.qos, retain: opts.will.retain },
      ...(opts.ca ? { ca: opts.ca } : {}),
      ...(opts.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: opts.rejectUnauthorized }),
    };
    return new MqttConnection(connect(opts.url, clientOpts), opts);
  }

  /**
   * A last will decided on a live connection (a broker unreachable at start, then found owned and taken over): a
   * clean DISCONNECT (the old will is dropped, never sent), then a connect that carries the new one.
   */
  private rewill(will: OutboxMessage): void {
    if (this.closing || this.halted) return;
    this.rewilling = true;
    this.client.options.will = { topic: will.topic, payload: Buffer.from(will.payload), qos: will.qos, retain: will.retain };
    this.client.once('connect', () => (this.rewilling = false));
    this.client.end(false);
    this.client.reconnect();
  }

  /**
   * Stops the link for good, sending nothing more: a clean DISCONNECT, so the broker drops the last will (the prefix
   * is someone else's now). Messages still queued are dropped; `close()` afterwards only finishes.
   */
  halt(reason: string): void {
    if (this.halted || this.closing) return;
    this.halted = true;
    this.ready = false;
    this.outbox.clear();
    this.state = 'stopped';
    this.stateReason = reason;
    this.since = new Date();
    this.client.end(false);
  }

  get connected(): boolean {
    return this.ready;
  }

  /** Queues a message; it goes out in order once connected. `state` messages replace a queued one of their topic. */
  publish(message: OutboxMessage, kind: 'event' | 'state'): void {
    if (this.closing || this.halted) return;
    if (message.qos === 0 && !this.ready) {
      this.discarded++;
      return;
    }
    this.outbox.push(message, kind);
    this.pump();
  }

  /** Sends now when connected (periodic messages such as stats: stale by the time a broker comes back). */
  publishIfConnected(message: OutboxMessage): boolean {
    if (!this.ready || this.closing || this.halted) return false;
    this.send(message);
    return true;
  }

  stats(): MqttConnectionStats {
    return {
      connected: this.ready,
      outbox: this.outbox.size,
      outboxSize: this.outbox.capacity,
      inflight: this.inflight,
      published: this.published,
      dropped: this.outbox.dropped,
      discarded: this.discarded,
      connects: this.connects,
    };
  }

  /** The link's state for health and metrics. */
  link(): MqttLinkStatus {
    return { ...this.stats(), state: this.state, ...(this.stateReason ? { reason: this.stateReason } : {}), since: this.since.toISOString() };
  }

  /** Logs and reports a change of state once (not once per retry). */
  private setState(state: MqttLinkState, reason: string | undefined): void {
    // while connecting, the network error of each retry may differ (ECONNRESET, then ECONNREFUSED): kept, not news
    if (state === 'connecting' && this.state === 'connecting' && (this.stateReason !== undefined || reason === undefined || this.connects > 0)) {
      this.stateReason = reason ?? this.stateReason;
      return;
    }
    if (state === 'refused' && this.state === 'refused' && reason === this.stateReason) return;
    const changed = state !== this.state;
    this.state = state;
    this.stateReason = reason;
    if (changed) this.since = new Date();
    const url = redactUrl(this.opts.url);
    const log = this.opts.logger;
    if (state === 'connected') {
      log.info(`connected to ${url}`);
      this.opts.onStatus?.(true, `connected to ${url}`);
    } else if (state === 'refused') {
      log.warn(`mqtt: refused (${reason}) by ${url}, retrying (up to every ${MAX_REFUSED_RETRY_MS / 1000} s); messages wait in the outbox (${this.outbox.size}/${this.outbox.capacity})`);
      this.opts.onStatus?.(false, `MQTT broker ${url} refused the connection (${reason}), retrying`);
    } else {
      const why = reason ? `: ${reason}` : '';
      log.warn(`no connection to ${url}${why}; messages wait in the outbox (${this.outbox.size}/${this.outbox.capacity})`);
      this.opts.onStatus?.(false, `MQTT broker ${url} unreachable${why}`);
    }
  }

  private pump(): void {
    while (this.ready && this.inflight < this.maxInflight) {
      const m = this.outbox.shift();
      if (m === undefined) break;
      this.send(m);
    }
    this.checkDrained();
  }

  private send(m: OutboxMessage, done?: () => void): void {
    this.inflight++;
    this.client.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain }, (err) => {
      this.inflight--;
      if (!err) this.published++;
      done?.();
      this.pump();
    });
  }

  private checkDrained(): void {
    if (this.outbox.size > 0 || this.inflight > 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves true once nothing waits and nothing is in flight (every message acknowledged), false after `timeoutMs`. */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.outbox.size === 0 && this.inflight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.drainWaiters = this.drainWaiters.filter((w) => w !== onDrained);
        resolve(false);
      }, timeoutMs);
      const onDrained = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.drainWaiters.push(onDrained);
    });
  }

  /**
   * Idempotent. When connected: lets the outbox drain (bounded by `timeoutMs`), sends `final` (the clean-stop
   * availability), then disconnects cleanly, so the broker does not send the last will. Otherwise it just stops.
   */
  close(final?: OutboxMessage, timeoutMs = 2000): Promise<void> {
    this.closing ??= (async () => {
      if (this.ready) {
        await this.drained(timeoutMs);
        if (final && this.ready) {
          this.send(final);
          await this.drained(timeoutMs);
        }
      }
      const left = this.outbox.size;
      if (left > 0) this.opts.logger.warn(`closing with ${left} message(s) still in the outbox`);
      this.outbox.clear();
      const force = !this.ready && !this.halted;
      this.ready = false;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
      const ended = await Promise.race([this.client.endAsync(force).then(() => 'ended' as const), timedOut]);
      clearTimeout(timer);
      if (ended === 'timeout') await this.client.endAsync(true);
    })();
    return this.closing;
  }
}
