// The recording output beside the raw frames: the camera's encoded video copied (never re-encoded) into short MPEG-TS
// segments, so a camera is opened once for detection and recording alike.
import { join } from 'node:path';

/** Codecs MPEG-TS carries and browsers' MP4 plays after a stream copy; anything else is not recorded. */
export const COPYABLE_CODECS: ReadonlySet<string> = new Set(['h264', 'hevc']);

export interface SegmentOutput {
  dir: string;
  /** distinguishes the files of one ffmpeg run: segment numbers start again at 0 in every run */
  runId: string;
  segmentSeconds: number;
}

export const segmentListFile = (o: Pick<SegmentOutput, 'dir' | 'runId'>): string => join(o.dir, `list-${o.runId}.csv`);

export function segmentOutputArgs(o: SegmentOutput): string[] {
  return [
    '-map', '0:v:0',
    '-c', 'copy',
    '-f', 'segment',
    '-segment_time', String(o.segmentSeconds),
    '-segment_format', 'mpegts',
    // each segment starts at 0 (no muxer delay), so a clip's in/out points are offsets into the segment
    '-reset_timestamps', '1',
    '-muxdelay', '0',
    '-muxpreload', '0',
    // one CSV line (file,start,end in stream seconds) per finished segment; the last 5 are enough for a poller
    '-segment_list', segmentListFile(o),
    '-segment_list_type', 'csv',
    '-segment_list_size', '5',
    join(o.dir, `seg-${o.runId}-%06d.ts`),
  ];
}

export interface SegmentListEntry {
  file: string;
  start: number;
  end: number;
}

/** The complete lines of a segment list (ffmpeg rewrites it: a half-written last line is skipped). */
export function parseSegmentList(text: string): SegmentListEntry[] {
  const out: SegmentListEntry[] = [];
  const lines = text.split('\n');
  // without a final newline the last line may still be being written
  if (!text.endsWith('\n')) lines.pop();
  for (const line of lines) {
    const m = /^([A-Za-z0-9_.-]+\.ts),(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)$/.exec(line.trim());
    if (!m) continue;
    const start = Number(m[2]);
    const end = Number(m[3]);
    if (end > start) out.push({ file: m[1], start, end });
  }
  return out;
}
