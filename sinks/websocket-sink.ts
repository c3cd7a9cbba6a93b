// The WebSocket sink at `/ws`: the Lookout dialect's MQTT topics as `{topic, payload}` messages. A client picks
// topics with `{subscribe: [filters]}` (MQTT `+`/`#` wildcards; default `#`, everything) and first gets the retained
// state that matches (availability, counts, detect states), as an MQTT subscriber would.
//
// A slow client must never slow the pipeline or the others: each message is serialised once and handed to every
// matching client's socket without waiting. A client with more than `maxBufferedBytes` unsent is skipped (what it
// misses is counted) and, once it has been over the limit for `stallSeconds`, terminated. Heartbeat pings terminate
// clients that stop answering.
import { listen } from './listen.js';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Subscription } from 'rxjs';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { CameraConfig, WebSocketConfig } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import type { StatsSnapshot } from '../core/stats.js';
import type { Status } from '../core/types.js';
import { detectStateTopic, ONLINE } from './mqtt/dialect.js';
import { LookoutDialect } from './mqtt/lookout-dialect.js';
import { topicFilterProblem, topicMatches } from './mqtt/topics.js';
import type { Sink, SinkInputs } from '../core/sink.js';

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
  ) {
    const cfg = opts.websocket;
    this.log = opts.logger.child({ component: 'websocket' });
    this.now = opts.now ?? Date.now;
    this.dialect = new LookoutDialect(opts.topicPrefix);
    this.retained.set(this.dialect.availableTopic, ONLINE);
    for (const c of opts.cameras) this.retained.set(detectStateTopic(opts.topicPrefix, c.name), inputs.detectEnabled(c.name) ? 'ON' : 'OFF');

    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (new URL(req.url ?? '/', 'http://localhost').pathname !== cfg.path) {
        // on a shared server another handler may own this path; on ours nobody does
        if (ownsServer) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
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
    if (cfg.statsIntervalSeconds > 0) this.timers.push(setInterval(() => this.publish(this.dialect.statsTopic, inputs.snapshot(), false), cfg.statsIntervalSeconds * 1000));
    for (const t of this.timers) t.unref();
  }

  /** Attaches to `opts.server`, or starts an HTTP server of its own on `websocket.host:port` (port 0: any free one). */
  static async create(inputs: WebSocketSinkInputs, opts: WebSocketSinkOptions): Promise<WebSocketSink> {
    if (opts.server) return new WebSocketSink(inputs, opts, opts.server, false);
    const server = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`WebSocket only: connect to ${opts.websocket.path}\n`);
    });
    const { host, port } = opts.websocket;
    await listen(server, host, port, 'websocket', 'set websocket.port');
    const sink = new WebSocketSink(inputs, opts, server, true);
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
    ws.on('message', (data, isBinary) => this.onClientMessage(client, data, isBinary));
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
    const problems: string[] = [];
    filters.forEach((f: unknown, i) => {
      const problem = typeof f === 'string' ? topicFilterProblem(f) : 'must be a string';
      if (problem) problems.push(`subscribe[${i}]: ${problem}`);
    });
    if (problems.length > 0 || filters.length > 100) {
      this.reply(client, { error: problems.length > 0 ? problems.join('; ') : 'at most 100 filters' });
      return;
    }
    client.filters = filters as string[];
    this.reply(client, { subscribed: client.filters });
    this.sendRetained(client);
  }

  private reply(client: Client, body: Record<string, unknown>): void {
    if (client.ws.readyState === WebSocket.OPEN) client.ws.send(JSON.stringify(body));
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
