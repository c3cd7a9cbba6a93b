// The WebSocket sink at `/ws`: the Lookout dialect's MQTT topics as `{topic, payload}` messages. A client picks
// topics with `{subscribe: [filters]}` (MQTT `+`/`#` wildcards; default `#`, everything) and first gets the retained
// state that matches (availability, counts, detect states), as an MQTT subscriber would.
//
// A slow client must never slow the pipeline or the others: each message is serialised once and handed to every
// matching client's socket without waiting. A client with more than `maxBufferedBytes` unsent is skipped (what it
// misses is counted) and, once it has been over the limit for `stallSeconds`, terminated. Heartbeat pings terminate
// clients that stop answering.
import { statsPayload } from './stats-payload.js';
import { listen } from './listen.js';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { interval, type Subscription } from 'rxjs';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { CameraConfig, WebSocketConfig } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import type { StatsSnapshot } from '../core/stats.js';
import type { Status } from '../core/types.js';
import { detectStateTopic, ONLINE } from './mqtt/dialect.js';
import { LookoutDialect } from './mqtt/lookout-dialect.js';
import { topicFilterProblem, topicMatches } from './mqtt/topics.js';
import type { Sink, SinkInputs } from '../core/sink.js';
import { LookoutError } from '../core/errors.js';
import { bindProblem, refuseUpgrade, requestUrl, RequestGate } from './http/auth.js';
import { AuthFailureLimiter } from './http/auth-limiter.js';

export interface WebSocketSinkInputs extends SinkInputs {
  snapshot(): StatsSnapshot;
  detectEnabled(camera: string): boolean;
  emitStatus(status: Omit<Status, 'at'>): void;
}

export interface WebSocketSinkOptions {
  websocket: WebSocketConfig;
  cameras: readonly CameraConfig[];
  /** prefix of the mirrored topics (the MQTT `topicPrefix` when the MQTT dialect is `lookout`) */
  topicPrefix: string;
  logger: Logger;
  /** attach to this HTTP server (at `websocket.path`) instead of starting one; `host`/`port` are then not used */
  server?: Server;
  now?: () => number;
}

export interface WebSocketMessage {
  topic: string;
  payload: unknown;
}

export interface WebSocketSinkStats {
  clients: number;
  /** messages handed to client sockets */
  sent: number;
  /** messages a client missed because its buffer was over the limit */
  skipped: number;
  /** clients terminated for stalling or not answering pings */
  dropped: number;
}

interface Client {
  readonly ws: WebSocket;
  filters: string[];
  alive: boolean;
  /** when its buffer went over the limit; null while under */
  overSince: number | null;
  skipped: number;
}

const MAX_CLIENT_MESSAGE = 64 * 1024;
const MAX_FILTERS = 100;
/** problems listed in an error reply; the rest are counted */
const MAX_PROBLEMS = 5;

export class WebSocketSink implements Sink {
  readonly name = 'websocket';
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE, clientTracking: false });
  private readonly clients = new Set<Client>();
  /** the latest payload of each retained topic, for clients that subscribe later */
  private readonly retained = new Map<string, unknown>();
  private readonly dialect: LookoutDialect;
  private readonly subscriptions: Subscription[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly detachServer: () => void;
  private readonly log: Logger;
  private readonly now: () => number;
  private sent = 0;
  private skipped = 0;
  private dropped = 0;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly inputs: WebSocketSinkInputs,
    private readonly opts: WebSocketSinkOptions,
    private readonly server: Server,
    private readonly ownsServer: boolean,
    /** the standalone server's lock; on a shared server the HTTP server's lock runs first */
    gate: RequestGate | undefined,
  ) {
    const cfg = opts.websocket;
    this.log = opts.logger.child({ component: 'websocket' });
    this.now = opts.now ?? Date.now;
    const clips = inputs.clips;
    this.dialect = new LookoutDialect(opts.topicPrefix, clips && ((id) => clips.has(id)));
    this.retained.set(this.dialect.availableTopic, ONLINE);
    for (const c of opts.cameras) this.retained.set(detectStateTopic(opts.topicPrefix, c.name), inputs.detectEnabled(c.name) ? 'ON' : 'OFF');

    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      // the last resort for one upgrade: a bug ends this connection with a 500, never the process
      try {
        if (socket.destroyed) return; // refused by the shared server's lock
        let url: URL | undefined;
        if (gate) {
          const decision = gate.check(req, true);
          if (!decision.ok) return refuseUpgrade(socket, decision.status, decision.headers);
          url = decision.url;
        } else url = requestUrl(req);
        if (!url) return refuseUpgrade(socket, 400);
        // nobody else serves upgrades: an unknown path is answered, not left open
        if (url.pathname !== cfg.path) return refuseUpgrade(socket, 404);
        this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
      } catch (err) {
        this.log.error(`upgrade ${String(req.url).slice(0, 200)}: ${(err as Error).stack ?? String(err)}`, { code: 'LOOKOUT_ERR_INTERNAL' });
        refuseUpgrade(socket, 500);
      }
    };
    server.on('upgrade', onUpgrade);
    this.detachServer = () => server.off('upgrade', onUpgrade);

    this.subscriptions.push(
      inputs.updates$.subscribe((u) => {
        for (const m of this.dialect.messages(u)) this.publish(m.topic, m.payload, m.retain);
      }),
      inputs.status$.subscribe((s) => {
        if ((s.code === 'DETECT_ON' || s.code === 'DETECT_OFF') && s.camera !== undefined) {
          this.publish(detectStateTopic(opts.topicPrefix, s.camera), s.code === 'DETECT_ON' ? 'ON' : 'OFF', true);
        }
      }),
    );
    this.timers.push(setInterval(() => this.heartbeat(), cfg.heartbeatSeconds * 1000));
    if (cfg.statsIntervalSeconds > 0) this.subscriptions.push(interval(cfg.statsIntervalSeconds * 1000).subscribe(() => this.publish(this.dialect.statsTopic, statsPayload(inputs.snapshot()), false)));
    for (const t of this.timers) t.unref();
  }

  /** Attaches to `opts.server`, or starts an HTTP server of its own on `websocket.host:port` (port 0: any free one). */
  static async create(inputs: WebSocketSinkInputs, opts: WebSocketSinkOptions): Promise<WebSocketSink> {
    if (opts.server) return new WebSocketSink(inputs, opts, opts.server, false, undefined);
    const { host, port, auth, authFailures } = opts.websocket;
    // the same lock and the same refusal to face the network unlocked as the HTTP server
    const problem = bindProblem(host, auth, 'websocket');
    if (problem) throw new LookoutError('LOOKOUT_ERR_CONFIG', problem);
    const gate = new RequestGate(auth ?? 'none', new AuthFailureLimiter({ max: authFailures.max, windowMs: authFailures.windowSeconds * 1000 }));
    const server = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`WebSocket only: connect to ${opts.websocket.path}\n`);
    });
    server.on('clientError', (_err, socket: Duplex) => refuseUpgrade(socket, 400));
    await listen(server, host, port, 'websocket', 'set websocket.port');
    const sink = new WebSocketSink(inputs, opts, server, true, gate);
    sink.log.info(`listening on ws://${host}:${sink.port}${opts.websocket.path}`);
    return sink;
  }

  /** The port clients connect to. */
  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : this.opts.websocket.port;
  }

  stats(): WebSocketSinkStats {
    return { clients: this.clients.size, sent: this.sent, skipped: this.skipped, dropped: this.dropped };
  }

  private accept(ws: WebSocket): void {
    if (this.closing) {
      ws.terminate();
      return;
    }
    const client: Client = { ws, filters: ['#'], alive: true, overSince: null, skipped: 0 };
    this.clients.add(client);
    ws.on('pong', () => (client.alive = true));
    ws.on('message', (data, isBinary) => {
      // the last resort for one message: a bug closes this client (1011), the others and the process go on
      try {
        this.onClientMessage(client, data, isBinary);
      } catch (err) {
        this.log.error(`client message: ${(err as Error).stack ?? String(err)}`, { code: 'LOOKOUT_ERR_INTERNAL' });
        ws.close(1011, 'internal error');
      }
    });
    ws.on('error', (err) => this.log.debug(`client error: ${err.message}`));
    ws.on('close', () => this.clients.delete(client));
    this.sendRetained(client);
  }

  /** `{subscribe: [filters]}` replaces the client's filters; anything else gets `{error}` and changes nothing. */
  private onClientMessage(client: Client, data: RawData, isBinary: boolean): void {
    let request: unknown;
    try {
      request = isBinary ? undefined : JSON.parse(data.toString());
    } catch {
      request = undefined;
    }
    const filters = (request as { subscribe?: unknown } | undefined)?.subscribe;
    if (!Array.isArray(filters)) {
      this.reply(client, { error: 'expected {"subscribe": ["<topic filter>", ...]}' });
      return;
    }
    // the cap first, so that a 30,000-entry list costs one comparison, not 30,000 messages
    if (filters.length > MAX_FILTERS) {
      this.reply(client, { error: `at most ${MAX_FILTERS} filters, not ${filters.length}` });
      return;
    }
    const problems: string[] = [];
    let count = 0;
    filters.forEach((f: unknown, i) => {
      const problem = typeof f === 'string' ? topicFilterProblem(f) : 'must be a string';
      if (!problem) return;
      // the reply stays small whatever was sent: the first few problems and how many there were
      if (++count <= MAX_PROBLEMS) problems.push(`subscribe[${i}]: ${problem}`);
    });
    if (count > 0) {
      this.reply(client, { error: problems.join('; ') + (count > MAX_PROBLEMS ? `; and ${count - MAX_PROBLEMS} more` : '') });
      return;
    }
    client.filters = filters as string[];
    this.reply(client, { subscribed: client.filters });
    this.sendRetained(client);
  }

  /** Replies pass the same buffered-bytes check as published messages: a client that asks and never reads is skipped, then dropped. */
  private reply(client: Client, body: Record<string, unknown>): void {
    this.sendTo(client, JSON.stringify(body));
  }

  private sendRetained(client: Client): void {
    for (const [topic, payload] of this.retained) {
      if (client.filters.some((f) => topicMatches(f, topic))) this.sendTo(client, JSON.stringify({ topic, payload } satisfies WebSocketMessage));
    }
  }

  private publish(topic: string, payload: unknown, retain: boolean): void {
    if (retain) this.retained.set(topic, payload);
    let data: string | undefined;
    for (const client of this.clients) {
      if (!client.filters.some((f) => topicMatches(f, topic))) continue;
      data ??= JSON.stringify({ topic, payload } satisfies WebSocketMessage);
      this.sendTo(client, data);
    }
  }

  private sendTo(client: Client, data: string): void {
    const { ws } = client;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > this.opts.websocket.maxBufferedBytes) {
      client.skipped++;
      this.skipped++;
      client.overSince ??= this.now();
      if (this.stalled(client)) this.drop(client, `stalled: over ${this.opts.websocket.maxBufferedBytes} bytes unsent for ${this.opts.websocket.stallSeconds} s, ${client.skipped} messages skipped`);
      return;
    }
    client.overSince = null;
    ws.send(data);
    this.sent++;
  }

  private stalled(client: Client): boolean {
    return client.overSince !== null && this.now() - client.overSince >= this.opts.websocket.stallSeconds * 1000;
  }

  private heartbeat(): void {
    for (const client of this.clients) {
      if (this.stalled(client)) this.drop(client, `stalled: ${client.skipped} messages skipped`);
      else if (!client.alive) this.drop(client, 'no answer to ping');
      else {
        client.alive = false;
        client.ws.ping();
      }
    }
  }

  private drop(client: Client, why: string): void {
    if (!this.clients.delete(client)) return;
    this.dropped++;
    client.ws.terminate();
    const message = `dropped a client: ${why}`;
    this.log.warn(message);
    this.inputs.emitStatus({ severity: 'warning', code: 'WS_CLIENT_DROPPED', message });
  }

  /** Idempotent: says `stopped`, closes every client (terminating those that do not answer within 1 s), stops the server if it is ours. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const s of this.subscriptions) s.unsubscribe();
      for (const t of this.timers) clearInterval(t);
      this.publish(this.dialect.availableTopic, this.dialect.stoppedPayload, true);
      this.detachServer();
      const closed = [...this.clients].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.ws.readyState === WebSocket.CLOSED) return resolve();
            const timer = setTimeout(() => c.ws.terminate(), 1000);
            c.ws.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            c.ws.close(1001, 'Lookout is stopping');
          }),
      );
      await Promise.all(closed);
      this.clients.clear();
      this.wss.close();
      if (this.ownsServer) {
        const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
        this.server.closeAllConnections();
        await stopped;
      }
    })();
    return this.closing;
  }
}
