// Joins recorded segments into one MP4 clip without re-encoding (ffmpeg's concat demuxer, stream copy), cut on
// keyframes, written under a temporary name and renamed: a reader never sees half a clip.
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { LookoutError } from '../core/errors.js';
import { FfmpegProcess } from './ffmpeg.js';
import type { Segment } from './segment-recorder.js';

export interface ClipSpan {
  fromMs: number;
  toMs: number;
}

/** The concat demuxer's script: whole segments, the first entered and the last left at the span's edges. */
export function concatScript(segments: readonly Segment[], span: ClipSpan): string {
  const lines = ['ffconcat version 1.0'];
  for (const [i, s] of segments.entries()) {
    // paths are ours (seg-<run>-<n>.ts under the camera's folder); quotes are escaped all the same
    lines.push(`file '${s.path.replace(/'/g, "'\\''")}'`);
    if (i === 0 && span.fromMs > s.startMs) lines.push(`inpoint ${((span.fromMs - s.startMs) / 1000).toFixed(3)}`);
    if (i === segments.length - 1 && span.toMs < s.endMs) lines.push(`outpoint ${((span.toMs - s.startMs) / 1000).toFixed(3)}`);
  }
  return lines.join('\n') + '\n';
}

/** Writes `out` from the segments covering `span`; throws LOOKOUT_ERR_RECORD naming ffmpeg's reason. */
export async function assembleClip(segments: readonly Segment[], span: ClipSpan, out: string, beforeRename?: (bytes: number) => Promise<void>): Promise<void> {
  if (segments.length === 0) throw new LookoutError('LOOKOUT_ERR_RECORD', `no recorded video covers ${out}`);
  const script = `${out}.ffconcat`;
  const part = `${out}.part`;
  try {
    await writeFile(script, concatScript(segments, span));
    const p = FfmpegProcess.spawn(['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'concat', '-safe', '0', '-i', script, '-map', '0:v:0', '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', '-y', part]);
    const exit = await p.exited;
    if (exit.code !== 0) throw new LookoutError('LOOKOUT_ERR_RECORD', `cannot write the clip ${out}: ${p.stderrTail.at(-1) ?? `ffmpeg exit code ${exit.code}`}`);
    // the clip's size is known only now: room is made for it before it is in place (a budget is never overrun)
    await beforeRename?.((await stat(part)).size);
    await rename(part, out);
  } catch (err) {
    await rm(part, { force: true });
    if (err instanceof LookoutError) throw err;
    throw new LookoutError('LOOKOUT_ERR_RECORD', `cannot write the clip ${out}: ${(err as Error).message}`);
  } finally {
    await rm(script, { force: true });
  }
}
