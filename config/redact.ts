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
