// Structured logging to stderr (stdout belongs to command output such as `lookout detect`'s JSON lines).

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogFields {
  component?: string;
  camera?: string;
  /** the error code (`LOOKOUT_ERR_…`, or a status code); required on error lines, printed right after the level */
  code?: string;
  [key: string]: unknown;
}

export type LogWrite = (line: string) => void;

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A text log line is one line whatever it carries: a camera name, an error from ffmpeg or a client's input cannot
 * start a forged line or move the cursor. Newlines, tabs and other control characters are written as escapes.
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export class Logger {
  constructor(
    private readonly opts: { level: LogLevel; json: boolean; write?: LogWrite },
    private readonly fields: LogFields = {},
  ) {}

  /** A logger that adds `fields` (component, camera) to every line. */
  child(fields: LogFields): Logger {
    return new Logger(this.opts, { ...this.fields, ...fields });
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.opts.level];
  }

  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }
  /** An error line always names its code (docs/errors.md), so a reader can look it up. */
  error(msg: string, fields: LogFields & { code: string }): void {
    this.log('error', msg, fields);
  }

  private log(level: LogLevel, msg: string, extra?: LogFields): void {
    if (!this.enabled(level)) return;
    const all = { ...this.fields, ...extra };
    const write = this.opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
    if (this.opts.json) {
      write(JSON.stringify({ ...all, time: new Date().toISOString(), level, msg }));
      return;
    }
    const { component, camera, code, ...rest } = all;
    const where = escapeControl([component, camera].filter(Boolean).join('/'));
    const coded = typeof code === 'string' && code !== '' ? `${escapeControl(code)} ` : '';
    const tail = Object.entries(rest)
      .map(([k, v]) => `${escapeControl(k)}=${escapeControl(typeof v === 'string' ? v : String(JSON.stringify(v)))}`)
      .join(' ');
    write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${coded}${where ? `[${where}] ` : ''}${escapeControl(msg)}${tail ? ` ${tail}` : ''}`);
  }
}
