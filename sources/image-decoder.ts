// The still-image decoder, for both ways a still arrives. Bytes (an upload to POST /api/detect): sharp decodes, scales
// and pads with the same geometry ffmpeg is given for video (core/letterbox.ts). A file (eval datasets: JPEG, PNG, PGM
// and whatever else ffmpeg reads): the first frame through VideoSource, so the pixels match what a camera would give.
import sharp, { type Metadata } from 'sharp';
import { computeTransform } from '../core/letterbox.js';
import { LookoutError } from '../core/errors.js';
import type { FrameFormat, ImageTransform } from '../core/types.js';
import { EmptyError, firstValueFrom } from 'rxjs';
import { frameBytes } from './ffmpeg-args.js';
import { VideoSource } from './video-source.js';

export interface DecodedImage {
  /** planar pixels in `format`, in a SharedArrayBuffer like a pooled frame */
  data: Uint8Array;
  transform: ImageTransform;
  width: number;
  height: number;
}

export async function decodeImage(bytes: Uint8Array, format: FrameFormat, what = 'image'): Promise<DecodedImage> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch (err) {
    throw new LookoutError('LOOKOUT_ERR_MEDIA', `cannot decode ${what}: ${(err as Error).message}`);
  }
  if (!meta.width || !meta.height) throw new LookoutError('LOOKOUT_ERR_MEDIA', `cannot decode ${what}: no image size`);
  // EXIF orientation: what a person sees is the rotated image
  const swap = (meta.orientation ?? 1) >= 5;
  const width = swap ? meta.height : meta.width;
  const height = swap ? meta.width : meta.height;
  const t = computeTransform(format, width, height);
  const grey = format.layout === 'gray';
  const pad = format.padValue;
  let raw: Buffer;
  try {
    raw = await sharp(bytes)
      .rotate()
      .removeAlpha()
      .resize(t.scaledWidth, t.scaledHeight, { fit: 'fill', kernel: 'linear' })
      .extend({
        top: t.padY,
        left: t.padX,
        bottom: format.height - t.scaledHeight - t.padY,
        right: format.width - t.scaledWidth - t.padX,
        background: { r: pad, g: pad, b: pad },
      })
      .toColourspace(grey ? 'b-w' : 'srgb')
      .raw()
      .toBuffer();
  } catch (err) {
    throw new LookoutError('LOOKOUT_ERR_MEDIA', `cannot decode ${what}: ${(err as Error).message}`);
  }
  const data = new Uint8Array(new SharedArrayBuffer(frameBytes(format)));
  const plane = format.width * format.height;
  if (grey) data.set(raw.subarray(0, plane));
  else {
    // packed RGB → planar G, B, R (ffmpeg's gbrp)
    for (let i = 0, j = 0; i < plane; i++, j += 3) {
      data[i] = raw[j + 1];
      data[plane + i] = raw[j + 2];
      data[2 * plane + i] = raw[j];
    }
  }
  const { srcWidth, srcHeight, scaleX, scaleY, padX, padY } = t;
  return { data, transform: { srcWidth, srcHeight, scaleX, scaleY, padX, padY }, width, height };
}

/** A decoded still whose buffer may come from a pool: `release` gives it back. */
export interface DecodedFrame {
  data: Uint8Array;
  transform: ImageTransform;
  release(): void;
}

/**
 * Decodes the first frame of an image (or video) file into `format`, with the transform back to its pixels.
 * Taking one frame stops ffmpeg; the frame's buffer stays valid until it is released.
 */
export async function decodeImageFile(path: string, format: FrameFormat): Promise<DecodedFrame> {
  const source = new VideoSource({ camera: 'eval', url: path, realtime: false, loop: false, policy: 'wait', poolSize: 1 });
  try {
    return await firstValueFrom(source.frames(format));
  } catch (err) {
    if (err instanceof EmptyError) throw new LookoutError('LOOKOUT_ERR_MEDIA', `${path}: ffmpeg decoded no image from it`);
    throw err;
  }
}
