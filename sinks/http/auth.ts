// Who may use the HTTP API, the dashboard and /ws. A token is accepted as `Authorization: Bearer`, as `?token=` (for
// the first visit, which then sets a cookie so that images and the WebSocket carry it) or as that cookie; a username
// and password as HTTP Basic auth.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AuthFailureLimiter } from './auth-limiter.js';

export type AuthConfig = 'none' | { token: string } | { username: string; password: string };

export const TOKEN_COOKIE = 'lookout_token';

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `decodeURIComponent` that answers undefined for malformed escapes (`%E0%A4%A`) instead of throwing. */
export function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** The request's URL, or undefined when it cannot be one (`//[`): the caller answers 400. */
export function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    // a cookie we cannot decode is no credential, never an exception
    if (k === name) return safeDecode(v.join('='));
  }
  return undefined;
}

export interface AuthResult {
  ok: boolean;
  /** a token that came in the query string: the caller sets it as a cookie */
  tokenFromQuery?: string;
  /** the credential came as a cookie, which a browser sends on a cross-site WebSocket too: check Origin */
  byCookie?: boolean;
}

export function authorize(auth: AuthConfig, req: IncomingMessage, url: URL): AuthResult {
  if (auth === 'none') return { ok: true };
  if ('token' in auth) {
    const header = req.headers.authorization ?? '';
    if (header.startsWith('Bearer ') && same(header.slice(7).trim(), auth.token)) return { ok: true };
    const fromCookie = cookie(req, TOKEN_COOKIE);
    if (fromCookie !== undefined && same(fromCookie, auth.token)) return { ok: true, byCookie: true };
    const fromQuery = url.searchParams.get('token');
    if (fromQuery !== null && same(fromQuery, auth.token)) return { ok: true, tokenFromQuery: fromQuery };
    return { ok: false };
  }
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return { ok: false };
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { ok: false };
  return { ok: same(decoded.slice(0, colon), auth.username) && same(decoded.slice(colon + 1), auth.password) };
}

/** The WWW-Authenticate challenge for a 401, so browsers prompt for Basic credentials. */
export function challenge(auth: AuthConfig): string {
  return auth !== 'none' && 'username' in auth ? 'Basic realm="lookout", charset="UTF-8"' : 'Bearer realm="lookout"';
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/** Binding beyond loopback without auth must be asked for in so many words; `section` is `http` or `websocket`. */
export function bindProblem(host: string, auth: AuthConfig | undefined, section = 'http'): string | undefined {
  if (isLoopback(host) || auth !== undefined) return undefined;
  return `${section}.host is ${host}, which is reachable from other machines, and no ${section}.auth is set: set ${section}.auth.token (or username and password), or write "auth: none" to serve without authentication`;
}

/** True when a browser's `Origin` names another host than the one it connected to (`Host`): a cross-site page. */
export function foreignOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false; // not a browser: it cannot have been tricked into sending our cookie
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return true; // `null` (sandboxed frames, file://) or garbage: not our page
  }
  return host === '' || host.toLowerCase() !== (req.headers.host ?? '').toLowerCase();
}

export type GateDecision =
  | { ok: true; url: URL; tokenFromQuery?: string }
  | { ok: false; status: 400 | 401 | 403 | 429; message: string; headers: Record<string, string> };

/**
 * The one lock on every door (HTTP requests, upgrades on the shared server, the standalone WebSocket server): a URL that
 * parses, a peer not locked out for guessing, valid credentials, and for a WebSocket authorised by cookie an Origin that
 * is ours. Never throws on what a client sends.
 */
export class RequestGate {
  constructor(
    readonly auth: AuthConfig,
    private readonly limiter: AuthFailureLimiter,
  ) {}

  check(req: IncomingMessage, upgrade: boolean): GateDecision {
    const url = requestUrl(req);
    if (!url) return { ok: false, status: 400, message: 'bad request URL', headers: {} };
    if (this.auth === 'none') return { ok: true, url };
    const peer = req.socket.remoteAddress ?? 'unknown';
    const wait = this.limiter.retryAfter(peer);
    if (wait > 0) return { ok: false, status: 429, message: 'too many failed authentications: try again later', headers: { 'Retry-After': String(wait) } };
    const result = authorize(this.auth, req, url);
    if (!result.ok) {
      this.limiter.failed(peer);
      return { ok: false, status: 401, message: 'authentication required', headers: { 'WWW-Authenticate': challenge(this.auth) } };
    }
    if (upgrade && result.byCookie && foreignOrigin(req)) return { ok: false, status: 403, message: 'Origin does not match Host', headers: {} };
    return { ok: true, url, tokenFromQuery: result.tokenFromQuery };
  }
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 500: 'Internal Server Error' };

/** Answers an upgrade request on the raw socket and closes it (an upgrade has no ServerResponse). */
export function refuseUpgrade(socket: import('node:stream').Duplex, status: number, headers: Record<string, string> = {}): void {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  if (socket.writable) socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n${lines}Connection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}
