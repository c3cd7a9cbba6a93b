// Progress on a terminal, in one place: what the lines say (eval's bar, a download's bytes) and how they are drawn (one
// line redrawn after "\r" on a TTY, at most so often; nothing, or the final line only, elsewhere).
import { unitFor } from '../models/registry.js';
import { formatDuration, formatRate, perSecond } from '../pipeline/eval/report.js';

/**
 * One progress line for a TTY (the caller writes it after "\r" and clears the rest of the line), under 80 columns:
 * ` 42% [██████████░░░░░░░░░░░░░░] 4200/10000  812/s  0:05 elapsed  eta 0:07`. With an unknown total (≤ 0) it shows the
 * count and rate only; done > total is shown as full.
 */
export function renderProgress(done: number, total: number, startedAtMs: number, nowMs: number): string {
  const elapsed = Math.max(0, nowMs - startedAtMs);
  const rate = perSecond(done, elapsed);
  const rateText = rate === null ? '--/s' : `${formatRate(rate)}/s`;
  if (!(total > 0)) return `${done} done  ${rateText}  ${formatDuration(elapsed)} elapsed`;
  const fraction = Math.min(1, Math.max(0, done / total));
  const width = 24;
  const filled = Math.floor(fraction * width);
  const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const tail = fraction >= 1 ? 'done' : rate === null ? 'eta --:--' : `eta ${formatDuration(((total - done) / rate) * 1000)}`;
  return `${percent} [${bar}] ${Math.min(done, total)}/${total}  ${rateText}  ${formatDuration(elapsed)} elapsed  ${tail}`;
}

/** One terminal line, e.g. `yolox-nano  1.2/3.5 MB  34%`; without a total, just the bytes so far. */
export function renderDownloadProgress(name: string, received: number, total?: number): string {
  const known = total !== undefined && Number.isFinite(total) && total > 0;
  const unit = unitFor(Math.max(received, known ? total : 0));
  if (!known) return `${name}  ${unit.format(received)} ${unit.label}`;
  const percent = Math.min(100, Math.floor((received / total) * 100));
  return `${name}  ${unit.format(received)}/${unit.format(total)} ${unit.label}  ${percent}%`;
}

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** One line redrawn in place on a TTY; on anything else `draw` writes nothing (use `final` for a log-friendly line). */
export class ProgressLine {
  private drawnAt = -Infinity;
  private drawn = false;
  readonly tty: boolean;

  constructor(
    private readonly stream: ProgressStream,
    /** redraw at most this often; `draw(text, true)` always draws */
    private readonly minIntervalMs = 0,
    private readonly now: () => number = Date.now,
  ) {
    this.tty = stream.isTTY === true;
  }

  draw(text: string, force = false): void {
    if (!this.tty) return;
    if (!force && this.now() - this.drawnAt < this.minIntervalMs) return;
    this.drawnAt = this.now();
    this.drawn = true;
    this.stream.write(`\r${text}\x1b[K`);
  }

  /** Leaves the last drawn line on screen (`keep`) or wipes it (`clear`). */
  end(how: 'keep' | 'clear'): void {
    if (!this.tty || !this.drawn) return;
    this.stream.write(how === 'keep' ? '\n' : '\r\x1b[K');
    this.drawn = false;
  }
}
