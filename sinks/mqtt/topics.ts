// MQTT topic filters (`+` one level, `#` the rest), shared by the MQTT sink's commands and the WebSocket sink's
// subscriptions, so both read patterns the same way.

/** Why `filter` is not a valid MQTT topic filter, or undefined when it is. */
export function topicFilterProblem(filter: string): string | undefined {
  if (typeof filter !== 'string' || filter.length === 0) return 'must be a non-empty string';
  if (filter.length > 1024) return 'must be at most 1024 characters';
  const levels = filter.split('/');
  for (const [i, level] of levels.entries()) {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return "'#' must be a whole level and the last one";
    if (level.includes('+') && level !== '+') return "'+' must be a whole level";
  }
  return undefined;
}

/** Whether `topic` (no wildcards) matches `filter`. Topics starting with `$` match only filters that name the `$` level. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (t[0].startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** A topic level made of anything a user named (camera, label, zone): no wildcards or separators inside it. */
export function topicLevel(name: string): string {
  return name.replace(/[+#/]/g, '_');
}
