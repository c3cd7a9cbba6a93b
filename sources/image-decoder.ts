// Still images that arrive as bytes (an upload to POST /api/detect) become frames in the detector's format: sharp
// decodes, scales and pads with the same geometry ffmpeg is given for video (models/letterbox.ts).
import sharp, { type Metadata } from 'sharp';
import { computeTransform } from '../core/letterbox.js';
import { LookoutError } from '../core/errors.js';
import type { FrameFormat, ImageTransform } from '../core/types.js';
import { frameBytes } from './ffmpeg-args.js';

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
