// The one still-image decoder, for every way a still arrives: an upload to POST /api/detect (bytes), a file given to
// `lookout detect` or listed in an eval dataset (a path), or grey pixels already in memory (MNIST digits in another
// input format). sharp decodes in-process on libuv's thread pool, then scales and pads with the same geometry ffmpeg
// is given for video (core/letterbox.ts). Spawning ffprobe and ffmpeg per image cost ~70 ms an image; this costs well
// about one on a 28×28 PNG, and a plain PNG already at the model's size skips sharp (sources/png-fast-path.ts), so a
// dataset is inference-bound. A file in a format sharp does not read (BMP, PGM …) is
// the one case left to ffmpeg, as the first frame of a one-frame video.
import { readFile } from 'node:fs/promises';
import { EmptyError, firstValueFrom } from 'rxjs';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { computeTransform } from '../core/letterbox.js';
import { describeError, LookoutError } from '../core/errors.js';
import type { FrameFormat, ImageTransform } from '../core/types.js';
import { frameBytes } from './ffmpeg-args.js';
import { decodePlainPng } from './png-fast-path.js';
import { VideoSource } from './video-source.js';

// One libvips thread per image: stills are decoded several at once (a pool on libuv's threads, pipeline/eval), so a
// second thread inside each image only takes a core from inference (photos: 0.90 → 0.95 of bare inference here).
// VIPS_CONCURRENCY, when set, still wins. Process-wide, so snapshot encodes take one thread too, which is as wanted.
if (process.env.VIPS_CONCURRENCY === undefined) sharp.concurrency(1);

export interface DecodedImage {
  /** planar pixels in `format`, in a SharedArrayBuffer like a pooled frame */
  data: Uint8Array;
  transform: ImageTransform;
  /** the image as a person sees it (after EXIF orientation) */
  width: number;
  height: number;
}

/** A decoded still whose buffer may come from a pool: `release` gives it back. */
export interface DecodedFrame {
  data: Uint8Array;
  transform: ImageTransform;
  release(): void;
}

/** Grey pixels already in memory, row-major, one byte each. */
export interface GreyPixels {
  pixels: Uint8Array;
  width: number;
  height: number;
}

/**
 * Decodes JPEG, PNG, WebP, GIF, TIFF, AVIF (whatever sharp reads) into exactly `format`: EXIF orientation applied,
 * CMYK and 16-bit converted to 8-bit sRGB (or grey), alpha dropped (the colour under it is kept, as PIL's
 * `convert('RGB')` does). An embedded RGB ICC profile is not applied: the pixels as stored are what OpenCV's imread
 * (the reference models' training input) and ffmpeg (every video frame) give, and applying it cost ~60 % of a photo's
 * decode. Throws LOOKOUT_ERR_MEDIA naming `what` when it cannot be decoded.
 */
export async function decodeImage(bytes: Uint8Array, format: FrameFormat, what = 'image'): Promise<DecodedImage> {
  return fastPng(bytes, format) ?? decode(() => sharp(bytes, { ignoreIcc: true }), format, what);
}

/**
 * A plain PNG already at the model's size, when no colour conversion is needed (grey into grey, or grey or RGB into
 * G,B,R): the pixels sharp would give, without its per-image pipeline. Anything else: undefined.
 */
function fastPng(bytes: Uint8Array, format: FrameFormat): DecodedImage | undefined {
  const png = decodePlainPng(bytes, format.width * format.height);
  if (!png || png.width !== format.width || png.height !== format.height) return undefined;
  const { pixels, channels } = png;
  const plane = png.width * png.height;
  const grey = channels <= 2 || isGreyRgb(pixels, channels, plane);
  // RGB with colour → grey is libvips' conversion: leave it to sharp (grey stored as RGB converts to itself, exactly)
  if (format.layout === 'gray' && !grey) return undefined;
  const data = new Uint8Array(new SharedArrayBuffer(frameBytes(format)));
  if (format.layout === 'gray') for (let i = 0; i < plane; i++) data[i] = pixels[i * channels]!;
  else if (grey) {
    for (let i = 0; i < plane; i++) data[i] = data[plane + i] = data[2 * plane + i] = pixels[i * channels]!;
  } else {
    for (let i = 0, j = 0; i < plane; i++, j += channels) {
      data[i] = pixels[j + 1]!;
      data[plane + i] = pixels[j + 2]!;
      data[2 * plane + i] = pixels[j]!;
    }
  }
  const transform: ImageTransform = { srcWidth: png.width, srcHeight: png.height, scaleX: 1, scaleY: 1, padX: 0, padY: 0 };
  return { data, transform, width: png.width, height: png.height };
}

function isGreyRgb(pixels: Uint8Array, channels: number, plane: number): boolean {
  for (let i = 0, j = 0; i < plane; i++, j += channels) if (pixels[j] !== pixels[j + 1] || pixels[j] !== pixels[j + 2]) return false;
  return true;
}

/** Decodes an image file; LOOKOUT_ERR_MEDIA names the path when it cannot be read or decoded. */
export async function decodeImageFile(path: string, format: FrameFormat): Promise<DecodedFrame> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new LookoutError('LOOKOUT_ERR_MEDIA', `cannot read ${path}: ${describeError(err)}`, { cause: err });
  }
  let image: DecodedImage;
  try {
    image = await decodeImage(bytes, format, path);
  } catch (err) {
    if (!(err instanceof LookoutError && UNSUPPORTED.test(err.message))) throw err;
    return firstFrameByFfmpeg(path, format);
  }
  return { data: image.data, transform: image.transform, release: () => undefined };
}

/** sharp's words for bytes it has no loader for (as opposed to a known format that is broken) */
const UNSUPPORTED = /unsupported image format/i;

/** The first frame of `path` through ffmpeg; its buffer stays valid until released. */
async function firstFrameByFfmpeg(path: string, format: FrameFormat): Promise<DecodedFrame> {
  const source = new VideoSource({ camera: 'image', url: path, realtime: false, loop: false, policy: 'wait', poolSize: 1 });
  try {
    return await firstValueFrom(source.frames(format));
  } catch (err) {
    if (err instanceof EmptyError) throw new LookoutError('LOOKOUT_ERR_MEDIA', `${path}: ffmpeg decoded no image from it`);
    throw err;
  }
}

/** Grey pixels into `format` (e.g. a 28×28 digit for a model that takes 32×32 RGB). */
export async function decodeGreyPixels(grey: GreyPixels, format: FrameFormat, what = 'pixels'): Promise<DecodedFrame> {
  const image = await decode(() => sharp(grey.pixels, { raw: { width: grey.width, height: grey.height, channels: 1 } }), format, what);
  return { data: image.data, transform: image.transform, release: () => undefined };
}

async function decode(input: () => Sharp, format: FrameFormat, what: string): Promise<DecodedImage> {
  const cannot = (err: unknown) => new LookoutError('LOOKOUT_ERR_MEDIA', `cannot decode ${what}: ${describeError(err)}`, { cause: err });
  let meta: Metadata;
  try {
    // the header only: the size decides the geometry before any pixel is decoded
    meta = await input().metadata();
  } catch (err) {
    throw cannot(err);
  }
  if (!meta.width || !meta.height) throw cannot(new Error('no image size'));
  // EXIF orientation 5..8 turn the image a quarter: what a person sees has width and height swapped
  const swap = (meta.orientation ?? 1) >= 5;
  const width = swap ? meta.height : meta.width;
  const height = swap ? meta.width : meta.height;
  const t = computeTransform(format, width, height);
  const grey = format.layout === 'gray';
  let raw: Buffer;
  try {
    let pipeline = input().rotate();
    if (meta.hasAlpha) pipeline = pipeline.removeAlpha();
    // 16-bit and CMYK sources become 8-bit sRGB (or grey) here, before any resampling
    pipeline = pipeline.toColourspace(grey ? 'b-w' : 'srgb');
    if (t.scaledWidth !== width || t.scaledHeight !== height) pipeline = pipeline.resize(t.scaledWidth, t.scaledHeight, { fit: 'fill', kernel: 'linear' });
    // center-crop: after the resize, the middle of the overflowing picture (a letterbox's padding is ours, below)
    if (t.padX < 0 || t.padY < 0) pipeline = pipeline.extract({ left: -t.padX, top: -t.padY, width: format.width, height: format.height });
    raw = await pipeline.raw({ depth: 'uchar' }).toBuffer();
  } catch (err) {
    throw cannot(err);
  }
  const channels = grey ? 1 : 3;
  const inner = t.padX < 0 || t.padY < 0 ? { w: format.width, h: format.height, x: 0, y: 0 } : { w: t.scaledWidth, h: t.scaledHeight, x: t.padX, y: t.padY };
  if (raw.length !== inner.w * inner.h * channels) throw cannot(new Error(`decoded ${raw.length} bytes, expected ${inner.w * inner.h * channels}`));
  const data = new Uint8Array(new SharedArrayBuffer(frameBytes(format)));
  placeInto(raw, inner, format, data);
  const { srcWidth, srcHeight, scaleX, scaleY, padX, padY } = t;
  return { data, transform: { srcWidth, srcHeight, scaleX, scaleY, padX, padY }, width, height };
}

/**
 * Packed pixels (`inner.w × inner.h`, grey or RGB) into the planar frame at (`inner.x`, `inner.y`), the rest the
 * format's padding: the letterbox is drawn here, in the pass that de-interleaves anyway, not by one more libvips stage.
 */
function placeInto(raw: Uint8Array, inner: { w: number; h: number; x: number; y: number }, format: FrameFormat, data: Uint8Array): void {
  const { width: W, height: H } = format;
  const plane = W * H;
  if (inner.w !== W || inner.h !== H) data.fill(format.padValue);
  if (format.layout === 'gray') {
    for (let y = 0; y < inner.h; y++) data.set(raw.subarray(y * inner.w, (y + 1) * inner.w), (inner.y + y) * W + inner.x);
    return;
  }
  // packed RGB → planar G, B, R (ffmpeg's gbrp)
  for (let y = 0, j = 0; y < inner.h; y++) {
    let i = (inner.y + y) * W + inner.x;
    for (let x = 0; x < inner.w; x++, i++, j += 3) {
      data[i] = raw[j + 1]!;
      data[plane + i] = raw[j + 2]!;
      data[2 * plane + i] = raw[j]!;
    }
  }
}
