// The one HTTP server: dashboard at `/`, the API under `/api`, `/metrics`, and the WebSocket at `/ws` (attached by the
// WebSocket sink). It owns the listening socket and closes it, and every open connection, on close.
import { listen } from '../listen.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { DEFAULTS } from '../../config/defaults.js';
import { isLookoutError, LookoutError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Sink } from '../../core/sink.js';
import { Api, HttpError, type ApiInputs, type ApiOptions } from './api.js';
import { sendJson } from './reply.js';
import { bindProblem, refuseUpgrade, RequestGate, TOKEN_COOKIE, type AuthConfig } from './auth.js';
import { AuthFailureLimiter } from './auth-limiter.js';
import { loadDashboard, type StaticFile } from './static-files.js';
import { TeachApi } from './teach-api.js';
import type { TeachTrain } from '../../core/teach.js';

export interface HttpServerOptions extends ApiOptions {
  host: string;
  port: number;
  auth: AuthConfig | undefined;
  /** failed authentications per client address and window before 429 */
  authFailures?: { max: number; windowSeconds: number };
  logger: Logger;
  /** the Teach page's Train button (pipeline/teach-train.ts); absent: it answers 503 */
  teachTrain?: TeachTrain;
}

export class HttpServer implements Sink {
  readonly name = 'http';
  private readonly sockets = new Set<Socket | Duplex>();
  private closing: Promise<void> | undefined;

  private constructor(
    readonly server: Server,
    private readonly api: Api,
    private readonly gate: RequestGate,
    private readonly files: Map<string, StaticFile>,
    private readonly logger: Logger,
    private readonly teach: TeachApi,
  ) {
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    // a request Node cannot parse: answer 400 and close, at debug (it is the client's mistake, and cheap to send)
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      this.logger.debug(`bad request from a client: ${err.code ?? err.message}`);
      refuseUpgrade(socket, err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400);
    });
    // runs before the WebSocket sink's own upgrade listener: an unauthorised upgrade is answered and closed here, and so
    // is one nobody else listens for
    server.prependListener('upgrade', (req: IncomingMessage, socket: Duplex) => {
      try {
        const decision = this.gate.check(req, true);
        if (!decision.ok) refuseUpgrade(socket, decision.status, decision.headers);
        else if (server.listenerCount('upgrade') <= 1) refuseUpgrade(socket, 404);
      } catch (err) {
        // a bug, not the client's doing: this connection ends, the server goes on
        this.logger.error(`upgrade ${String(req.url).slice(0, 200)}: ${(err as Error).stack ?? String(err)}`, { code: 'LOOKOUT_ERR_INTERNAL' });
        refuseUpgrade(socket, 500);
      }
    });
  }

  static async create(inputs: ApiInputs, opts: HttpServerOptions): Promise<HttpServer> {
    const problem = bindProblem(opts.host, opts.auth);
    if (problem) throw new LookoutError('LOOKOUT_ERR_CONFIG', problem);
    const files = await loadDashboard();
    const api = new Api(inputs, opts);
    const log = opts.logger.child({ component: 'http' });
    let self: HttpServer | undefined;
    const server = createServer((req, res) => void self!.serve(req, res));
    const failures = opts.authFailures ?? DEFAULTS.http.authFailures;
    const gate = new RequestGate(opts.auth ?? 'none', new AuthFailureLimiter({ max: failures.max, windowMs: failures.windowSeconds * 1000 }));
    const teach = new TeachApi({ cameras: opts.cameras, train: opts.teachTrain, logger: opts.logger });
    self = new HttpServer(server, api, gate, files, log, teach);
    try {
      await listen(server, opts.host, opts.port, 'http', 'set http.port');
    } catch (err) {
      api.close();
      teach.close();
      throw err;
    }
    return self;
  }

  /** `http://host:port` as bound (port 0 in config means any free port). */
  get url(): string {
    const a = this.server.address();
    if (!a || typeof a === 'string') return String(a);
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${host}:${a.port}`;
  }

  /** The last resort for one request: whatever a handler throws becomes a logged 500 for it, never a dead process. */
  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.route(req, res);
    } catch (err) {
      this.logger.error(`${req.method} ${String(req.url).slice(0, 200)}: ${(err as Error).stack ?? String(err)}`, { code: 'LOOKOUT_ERR_INTERNAL' });
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    }
  }

  /** The one path served without auth: status only (Api.liveness). */
  static readonly LIVENESS_PATH = '/api/health/live';

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if ((req.method === 'GET' || req.method === 'HEAD') && String(req.url).split('?')[0] === HttpServer.LIVENESS_PATH) return this.api.liveness(res);
    const decision = this.gate.check(req, false);
    if (!decision.ok) {
      for (const [k, v] of Object.entries(decision.headers)) res.setHeader(k, v);
      return sendJson(res, decision.status, { error: decision.message });
    }
    const { url } = decision;
    const auth = decision;
    if (auth.tokenFromQuery) res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(auth.tokenFromQuery)}; HttpOnly; SameSite=Strict; Path=/`);
    try {
      const file = this.files.get(url.pathname);
      if (file && (req.method === 'GET' || req.method === 'HEAD')) {
        res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache', 'content-length': file.body.length });
        return void res.end(req.method === 'HEAD' ? undefined : file.body);
      }
      if (!(await this.api.handle(req, res, url)) && !(await this.teach.handle(req, res, url))) sendJson(res, 404, { error: `no such endpoint: ${req.method} ${url.pathname}` });
    } catch (err) {
      // a client that went away mid-request (an aborted upload) is its business: debug, and nobody to answer
      if (req.destroyed && (res.destroyed || !res.writable || isAborted(err))) {
        this.logger.debug(`${req.method} ${url.pathname}: the client went away (${(err as Error).message})`);
        return void res.destroy();
      }
      const status = err instanceof HttpError ? err.status : 500;
      // 503 is a refusal by design (busy, restarting, stopping): the detector's own statuses say why; not an ERROR per request
      if (status === 503) this.logger.debug(`${req.method} ${url.pathname}: ${(err as Error).message}`);
      else if (status >= 500) this.logger.error(`${req.method} ${url.pathname}: ${(err as Error).message}`, { code: isLookoutError(err) ? err.code : 'LOOKOUT_ERR_INTERNAL' });
      if (err instanceof HttpError && err.retryAfter !== undefined) res.setHeader('Retry-After', String(err.retryAfter));
      if (!res.headersSent) sendJson(res, status, { error: (err as Error).message });
      else res.destroy();
    }
  }

  /** Idempotent: stops listening, ends open connections (WebSocket ones included), stops the API's subscriptions. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.api.close();
      this.teach.close();
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      for (const s of this.sockets) s.destroy();
    });
    return this.closing;
  }
}

function isAborted(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as Error | undefined)?.message === 'aborted';
}
