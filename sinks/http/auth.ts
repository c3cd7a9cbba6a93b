// Who may use the HTTP API, the dashboard and /ws. A token is accepted as `Authorization: Bearer`, as `?token=` (for
// the first visit, which then sets a cookie so that images and the WebSocket carry it) or as that cookie; a username
// and password as HTTP Basic auth.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type AuthConfig = 'none' | { token: string } | { username: string; password: string };

export const TOKEN_COOKIE = 'lookout_token';

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

export interface AuthResult {
  ok: boolean;
  /** a token that came in the query string: the caller sets it as a cookie */
  tokenFromQuery?: string;
}

export function authorize(auth: AuthConfig, req: IncomingMessage, url: URL): AuthResult {
  if (auth === 'none') return { ok: true };
  if ('token' in auth) {
    const header = req.headers.authorization ?? '';
    if (header.startsWith('Bearer ') && same(header.slice(7).trim(), auth.token)) return { ok: true };
    const fromCookie = cookie(req, TOKEN_COOKIE);
    if (fromCookie !== undefined && same(fromCookie, auth.token)) return { ok: true };
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

/** Binding beyond loopback without auth must be asked for in so many words. */
export function bindProblem(host: string, auth: AuthConfig | undefined): string | undefined {
  if (isLoopback(host) || auth !== undefined) return undefined;
  return `http.host is ${host}, which is reachable from other machines, and no http.auth is set: set http.auth.token (or username and password), or write "auth: none" to serve without authentication`;
}
