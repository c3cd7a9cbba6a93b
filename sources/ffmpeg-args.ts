// Builds the ffmpeg command line that turns any input into exactly the frames a detector wants: rate, scale, crop and
// planar pixel format are all ffmpeg's work, so the JS side only copies bytes; the letterbox padding is ffmpeg's too
// unless the reader places the picture into pre-padded buffers (`padInReader`, sources/padded-layout.ts).
import type { FrameFormat } from '../core/types.js';
import type { FittedTransform } from '../core/letterbox.js';

export interface FfmpegInput {
  /** a file path, or an ffmpeg lavfi graph when `lavfi` is true */
  input: string;
  lavfi: boolean;
  /** read at the input's native speed (`-re`) instead of as fast as possible */
  realtime: boolean;
  loop: boolean;
  /** detection rate; undefined keeps every frame */
  fps: number | undefined;
  /** how to read the input, before `-i` (protocol and demuxer options, the camera's `inputArgs`); ffprobe gets them too */
  readOptions?: readonly string[];
  /** decode with `-hwaccel` (ffmpeg only: probing does not decode) */
  hwaccel?: string;
  /** decoder threads; default DECODE_THREADS, 0 lets ffmpeg choose */
  decodeThreads?: number;
  /** the reader pads (sources/padded-layout.ts): ffmpeg sends the scaled picture alone, without the letterbox */
  padInReader?: boolean;
  /** a second output of the same process (sources/segment-args.ts: the camera's stream copied into segments) */
  extraOutput?: readonly string[];
}

/**
 * Two decoder threads and one filter thread, as Frigate does: ffmpeg's automatic choice (cores + 1 frame threads)
 * costs ~35 % more CPU per frame here, CPU the detector needs; two still decode a 4K stream in real time.
 */
export const DECODE_THREADS = 2;

/**
 * Input pixels a second that one decoder thread keeps up with, with room to spare: one thread decodes 720p H.264 at
 * ~260 Mpx/s here, and a second costs ~12 % more CPU per frame in frame threading's hand-offs (measured on 720p at 5 fps).
 */
export const ONE_THREAD_PIXEL_RATE = 100e6;

/** Decoder threads for an input: one up to 1080p at ~48 fps, DECODE_THREADS above or when its rate is unknown. */
export function decodeThreadsFor(input: { width: number; height: number; fps?: number }): number {
  return input.fps !== undefined && input.width * input.height * input.fps <= ONE_THREAD_PIXEL_RATE ? 1 : DECODE_THREADS;
}

export function planesOf(format: Pick<FrameFormat, 'layout'>): number {
  return format.layout === 'gray' ? 1 : 3;
}

export function frameBytes(format: Pick<FrameFormat, 'width' | 'height' | 'layout'>): number {
  return format.width * format.height * planesOf(format);
}

/** The options that say how to read the input (for ffmpeg and ffprobe alike). */
export function inputArgs(src: Pick<FfmpegInput, 'lavfi' | 'readOptions'>): string[] {
  return [...(src.lavfi ? ['-f', 'lavfi'] : []), ...(src.readOptions ?? [])];
}

/** ffmpeg's own input options that ffprobe rejects ("Unrecognized option"), with whether each takes a value. */
const FFMPEG_ONLY: Record<string, boolean> = {
  '-hwaccel': true,
  '-hwaccel_device': true,
  '-hwaccel_output_format': true,
  '-c:v': true,
  '-codec:v': true,
  '-vcodec': true,
  '-thread_queue_size': true,
  '-stream_loop': true,
  '-itsoffset': true,
  '-re': false,
};

/** The read options for ffprobe: a camera's `inputArgs` may hold decoding options only ffmpeg takes. */
export function probeArgs(src: Pick<FfmpegInput, 'lavfi' | 'readOptions'>): string[] {
  const all = inputArgs(src);
  const out: string[] = [];
  for (let i = 0; i < all.length; i++) {
    const takesValue = FFMPEG_ONLY[all[i]];
    if (takesValue === undefined) out.push(all[i]);
    else if (takesValue) i++;
  }
  return out;
}

export function videoFilter(fps: number | undefined, format: FrameFormat, t: FittedTransform, pad = true): string {
  const filters: string[] = [];
  if (fps !== undefined) filters.push(`fps=${fps}`);
  // The pixel format comes before the padding: in a chroma-subsampled format pad would round an odd offset down to
  // an even one, and the picture would sit a pixel away from where the transform says.
  filters.push(`scale=${t.scaledWidth}:${t.scaledHeight}:flags=bilinear`, `format=${format.layout}`);
  if (t.padX < 0 || t.padY < 0) {
    // center-crop: the scaled picture overflows the input; keep its middle
    filters.push(`crop=${format.width}:${format.height}:${-t.padX}:${-t.padY}`);
  } else if (pad && (t.scaledWidth !== format.width || t.scaledHeight !== format.height)) {
    const grey = format.padValue.toString(16).padStart(2, '0');
    filters.push(`pad=${format.width}:${format.height}:${t.padX}:${t.padY}:color=0x${grey}${grey}${grey}`);
  }
  return filters.join(',');
}

/** The fd the detect-resolution pictures come out on (stdout carries the model's frames). */
export const PICTURE_FD = 3;

/**
 * With `picture`, one decode feeds two outputs: `split` after the rate filter, so both see the same frames in the
 * same order, the model's frames on stdout and yuv420p pictures of `picture`'s size on fd 3.
 */
export function buildFfmpegArgs(src: FfmpegInput, format: FrameFormat, t: FittedTransform, picture?: { width: number; height: number }): string[] {
  const head = headArgs(src, picture !== undefined);
  if (picture) {
    const rate = src.fps !== undefined ? `fps=${src.fps},` : '';
    const graph = `[0:v]${rate}split=2[m][p];[m]${videoFilter(undefined, format, t, !src.padInReader)}[mo];[p]${pictureFilter(picture)}[po]`;
    return [
      ...head,
      '-filter_complex', graph,
      '-map', '[mo]', '-f', 'rawvideo', '-pix_fmt', format.layout, 'pipe:1',
      '-map', '[po]', '-f', 'rawvideo', '-pix_fmt', PICTURE_PIXEL_FORMAT, `pipe:${PICTURE_FD}`,
      ...(src.extraOutput ?? []),
    ];
  }
  return oneOutput(src, singleOutputFilter(src, format, t), format.layout);
}

/** One raw video output on stdout (and the recording's, when asked). */
function oneOutput(src: FfmpegInput, filter: string, pixelFormat: string): string[] {
  return [...headArgs(src, false), '-an', '-sn', '-dn', '-vf', filter, '-f', 'rawvideo', '-pix_fmt', pixelFormat, 'pipe:1', ...(src.extraOutput ?? [])];
}

/**
 * The pictures' layout: the decoder's own planes, limited range (a full-range camera is converted once here), so ffmpeg
 * neither converts nor packs a frame of the usual camera (yuv420p at the detect size), and the pipe carries half the
 * bytes of RGB. Those who read pixels convert what they read (core/picture.ts `pictureRgb`, crops, the motion picture).
 */
const PICTURE_PIXEL_FORMAT = 'yuv420p';

/** The detect-resolution picture from the decoded frame: scaled to its size, yuv420p. */
function pictureFilter(picture: { width: number; height: number }): string {
  return `scale=${picture.width}:${picture.height}:flags=bilinear:out_range=tv,format=${PICTURE_PIXEL_FORMAT}`;
}

/**
 * The picture alone, on stdout (`detectMode: regions` with a square model): the detector cuts every model input from it,
 * the whole frame too, so ffmpeg spares the second scale and planar conversion (about half its work per frame on a
 * 720p camera) and one pipe.
 */
export function buildPictureArgs(src: FfmpegInput, picture: { width: number; height: number }): string[] {
  const rate = src.fps !== undefined ? `fps=${src.fps},` : '';
  return oneOutput(src, `${rate}${pictureFilter(picture)}`, PICTURE_PIXEL_FORMAT);
}

/** The fd an ffmpeg started ahead reads its filter graph from. */
export const GRAPH_FD = 3;

/**
 * An ffmpeg started before the model says what it needs (`lookout detect` starts it while the model loads): the same
 * run as `buildFfmpegArgs` without a picture or a second output, but the video filter is read from fd 3
 * (`singleOutputFilter`) once the format is known. ffmpeg reads it only after opening the input, so its own start (~0.2 s
 * here, most of a first result's latency after the model) is paid during the model load. The graph ends in the
 * frame's pixel format, so the output is what `-pix_fmt` would give.
 */
export function buildAheadFfmpegArgs(src: Omit<FfmpegInput, 'hwaccel' | 'extraOutput'>): string[] {
  return [...headArgs(src, false), '-an', '-sn', '-dn', '-filter_script:v', `pipe:${GRAPH_FD}`, '-f', 'rawvideo', 'pipe:1'];
}

/** The video filter of a run with one output: `-vf` of `buildFfmpegArgs`, the graph an ffmpeg started ahead reads. */
export function singleOutputFilter(src: Pick<FfmpegInput, 'fps' | 'padInReader'>, format: FrameFormat, t: FittedTransform): string {
  return videoFilter(src.fps, format, t, !src.padInReader);
}

function headArgs(src: FfmpegInput, twoOutputs: boolean): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel', 'error',
    ...(src.realtime ? ['-re'] : []),
    ...(src.loop && !src.lavfi ? ['-stream_loop', '-1'] : []),
    '-filter_threads', '1',
    ...(twoOutputs ? ['-filter_complex_threads', '1'] : []),
    ...(src.hwaccel ? ['-hwaccel', src.hwaccel] : []),
    '-threads', String(src.decodeThreads ?? DECODE_THREADS),
    ...inputArgs(src),
    '-i', src.input,
  ];
}
