// The one HTTP server: dashboard at `/`, the API under `/api`, `/metrics`, and the WebSocket at `/ws` (attached by the
// WebSocket sink). It owns the listening socket and closes it, and every open connection, on close.
import { listen } from '../listen.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { LookoutError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Sink } from '../../core/sink.js';
import { Api, HttpError, sendJson, type ApiInputs, type ApiOptions } from './api.js';
import { authorize, bindProblem, challenge, TOKEN_COOKIE, type AuthConfig } from './auth.js';
import { loadDashboard, type StaticFile } from './static-files.js';

export interface HttpServerOptions extends ApiOptions {
  host: string;
  port: number;
  auth: AuthConfig | undefined;
  logger: Logger;
}

export class HttpServer implements Sink {
  readonly name = 'http';
  private readonly sockets = new Set<Socket | Duplex>();
  private closing: Promise<void> | undefined;

  private constructor(
    readonly server: Server,
    private readonly api: Api,
    private readonly auth: AuthConfig,
    private readonly files: Map<string, StaticFile>,
    private readonly logger: Logger,
  ) {
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    // runs before the WebSocket sink's own upgrade listener: an unauthorised upgrade is answered and closed here
    server.prependListener('upgrade', (req: IncomingMessage, socket: Duplex) => {
      if (!this.allowed(req)) {
        socket.end(`HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: ${challenge(this.auth)}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        socket.destroy();
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
    const server = createServer((req, res) => void self!.route(req, res));
    self = new HttpServer(server, api, opts.auth ?? 'none', files, log);
    try {
      await listen(server, opts.host, opts.port, 'http', 'set http.port');
    } catch (err) {
      api.close();
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

  private allowed(req: IncomingMessage): boolean {
    return authorize(this.auth, req, new URL(req.url ?? '/', 'http://localhost')).ok;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return sendJson(res, 400, { error: 'bad request URL' });
    }
    const auth = authorize(this.auth, req, url);
    if (!auth.ok) {
      res.setHeader('WWW-Authenticate', challenge(this.auth));
      return sendJson(res, 401, { error: 'authentication required' });
    }
    if (auth.tokenFromQuery) res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(auth.tokenFromQuery)}; HttpOnly; SameSite=Strict; Path=/`);
    try {
      const file = this.files.get(url.pathname);
      if (file && (req.method === 'GET' || req.method === 'HEAD')) {
        res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache', 'content-length': file.body.length });
        return void res.end(req.method === 'HEAD' ? undefined : file.body);
      }
      if (!(await this.api.handle(req, res, url))) sendJson(res, 404, { error: `no such endpoint: ${req.method} ${url.pathname}` });
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      if (status >= 500) this.logger.error(`${req.method} ${url.pathname}: ${(err as Error).message}`);
      if (!res.headersSent) sendJson(res, status, { error: (err as Error).message });
      else res.destroy();
    }
  }

  /** Idempotent: stops listening, ends open connections (WebSocket ones included), stops the API's subscriptions. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.api.close();
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      for (const s of this.sockets) s.destroy();
    });
    return this.closing;
  }
}
