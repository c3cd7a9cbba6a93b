// Credentials never reach logs, stats, MQTT or the dashboard: every URL shown to anyone goes through here.

/** `rtsp://user:secret@host/x` → `rtsp://user:***@host/x`; also masks `password=`/`token=` query values. */
export function redactUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@\s]*)@/i, (_m, scheme: string, cred: string) => {
      const colon = cred.indexOf(':');
      return `${scheme}${colon >= 0 ? `${cred.slice(0, colon)}:***` : '***'}@`;
    })
    .replace(/([?&](?:password|pass|pwd|token|key|secret)=)[^&#]*/gi, '$1***');
}

/** Replaces every occurrence of any known secret in free text (error messages from ffmpeg, for example). */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('***');
  return out;
}

const SECRET_QUERY = /[?&](?:password|pass|pwd|token|key|secret)=([^&#]*)/gi;

/**
 * The secrets a URL carries (the password in its user info, secret query values), raw and percent-decoded, so that
 * `redactSecrets` can remove them from text that echoes the URL in another spelling (ffmpeg's messages do).
 */
export function urlSecrets(url: string): string[] {
  const found: string[] = [];
  const userInfo = /^[a-z][a-z0-9+.-]*:\/\/([^/@\s]*)@/i.exec(url)?.[1];
  if (userInfo !== undefined && userInfo.includes(':')) found.push(userInfo.slice(userInfo.indexOf(':') + 1));
  for (const m of url.matchAll(SECRET_QUERY)) found.push(m[1]);
  return spellings(found);
}

/** A secret as it may be written: as is, percent-encoded and percent-decoded. */
export function spellings(secrets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const s of secrets) {
    if (!s) continue;
    out.add(s);
    out.add(encodeURIComponent(s));
    try {
      out.add(decodeURIComponent(s));
    } catch {
      // not valid percent-encoding: the raw spelling is all there is
    }
  }
  // longest first, so that a secret containing another is replaced whole
  return [...out].sort((a, b) => b.length - a.length);
}

/** HTTP headers whose value is a credential (ffmpeg `-headers`, or a header written as one argument). */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie|x-[a-z0-9-]*(?:token|key|secret|auth)[a-z0-9-]*|[a-z0-9-]*api-?key)\s*:/i;
/** An option whose value is a credential (`-password x`, `-cookies "a=b"`, `-auth_token t`). */
const SECRET_OPTION = /^-[a-z0-9_]*(pass|pwd|secret|token|cookie|auth|credential|key)[a-z0-9_]*$/i;
/** `password=x` in an argument (`key=value` lists, URL queries, `-option password=x`). */
const SECRET_ASSIGNMENT = /\b((?:[a-z0-9_]*_)?(?:password|passwd|pass|pwd|token|secret|api_?key|apikey|key|auth))=([^&\s;:]+)/gi;
/** A URL anywhere inside an argument (`-i`, `-headers 'Referer: http://u:p@h/'`). */
const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi;

/** Masks one free-text argument: credentials in URLs, secret `key=value`s, secret header lines. */
function redactArgText(text: string): string {
  const lines = text.split(/(\r?\n)/).map((line) => {
    const header = SECRET_HEADER.exec(line.trimStart());
    if (header) return `${line.slice(0, line.indexOf(':') + 1)} ***`;
    return line;
  });
  return lines
    .join('')
    .replace(URL_IN_TEXT, (u) => redactUrl(u))
    .replace(SECRET_ASSIGNMENT, (_m, k: string) => `${k}=***`);
}

/**
 * ffmpeg arguments (a camera's `inputArgs`) for showing: the value after a secret-looking option, secret header
 * lines (`Authorization:`, `Cookie:`), `password=`/`token=` values and URL credentials are masked with `***`, as in
 * `redactUrl`. The arguments keep their count and order, so a printout still shows what was configured.
 */
export function redactArgs(args: readonly string[]): string[] {
  return args.map((arg, i) => (i > 0 && SECRET_OPTION.test(args[i - 1]) ? '***' : redactArgText(arg)));
}

/**
 * A copy of a config for showing (`lookout validate --print`): every `password` masked, every URL redacted, secrets
 * in ffmpeg argument lists (`inputArgs`) masked.
 */
export function redactConfig<T>(value: T): T {
  const walk = (v: unknown, key: string | undefined): unknown => {
    if (typeof v === 'string') return key !== undefined && /password|secret|token/i.test(key) ? '***' : /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? redactUrl(v) : v;
    if (Array.isArray(v) && key !== undefined && /args$/i.test(key) && v.every((x) => typeof x === 'string')) return redactArgs(v as string[]);
    if (Array.isArray(v)) return v.map((x) => walk(x, undefined));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return walk(value, undefined) as T;
}
