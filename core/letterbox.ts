// One place for the geometry of fitting a source image into a model input. ffmpeg is told the integer sizes computed
// here, so the transform used to map boxes back is exactly the one that produced the pixels.
import type { Box, FrameFormat, ImageTransform } from './types.js';

export interface FittedTransform extends ImageTransform {
  /** size of the scaled image inside the model input (before padding) */
  scaledWidth: number;
  scaledHeight: number;
}

export function computeTransform(format: Pick<FrameFormat, 'width' | 'height' | 'resize'>, srcWidth: number, srcHeight: number): FittedTransform {
  if (!(srcWidth > 0 && srcHeight > 0)) throw new RangeError(`srcWidth/srcHeight must be positive, got ${srcWidth}x${srcHeight}`);
  const { width, height } = format;
  if (format.resize === 'stretch') {
    return { srcWidth, srcHeight, scaledWidth: width, scaledHeight: height, scaleX: width / srcWidth, scaleY: height / srcHeight, padX: 0, padY: 0 };
  }
  if (format.resize === 'center-crop') {
    // the shorter side fills the input; the longer one is cut, the same amount off each end
    const r = Math.max(width / srcWidth, height / srcHeight);
    const scaledWidth = Math.max(width, Math.round(srcWidth * r));
    const scaledHeight = Math.max(height, Math.round(srcHeight * r));
    // `0 -` rather than unary minus: no -0 where nothing is cut
    const padX = 0 - Math.floor((scaledWidth - width) / 2);
    const padY = 0 - Math.floor((scaledHeight - height) / 2);
    return { srcWidth, srcHeight, scaledWidth, scaledHeight, scaleX: scaledWidth / srcWidth, scaleY: scaledHeight / srcHeight, padX, padY };
  }
  const r = Math.min(width / srcWidth, height / srcHeight);
  const scaledWidth = Math.min(width, Math.max(1, Math.round(srcWidth * r)));
  const scaledHeight = Math.min(height, Math.max(1, Math.round(srcHeight * r)));
  const padX = format.resize === 'letterbox-center' ? Math.floor((width - scaledWidth) / 2) : 0;
  const padY = format.resize === 'letterbox-center' ? Math.floor((height - scaledHeight) / 2) : 0;
  return { srcWidth, srcHeight, scaledWidth, scaledHeight, scaleX: scaledWidth / srcWidth, scaleY: scaledHeight / srcHeight, padX, padY };
}

/** Maps a box from model-input pixels to source pixels, clipped to the source image. */
export function toSourceBox(x1: number, y1: number, x2: number, y2: number, t: ImageTransform): Box {
  const clampX = (v: number) => Math.min(t.srcWidth, Math.max(0, v));
  const clampY = (v: number) => Math.min(t.srcHeight, Math.max(0, v));
  return [clampX((x1 - t.padX) / t.scaleX), clampY((y1 - t.padY) / t.scaleY), clampX((x2 - t.padX) / t.scaleX), clampY((y2 - t.padY) / t.scaleY)];
}

/**
 * The transform of a crop (regions mode): model-input pixels → source pixels for a square `[x0, y0, …)` of the
 * picture (picture pixels) resized by `scaleX/scaleY` (model pixels per picture pixel). The picture is the whole
 * source at `picture.width × picture.height`, so one more scale takes picture pixels to source pixels.
 */
export function cropTransform(frame: Pick<ImageTransform, 'srcWidth' | 'srcHeight'>, picture: { width: number; height: number }, crop: { x0: number; y0: number; scaleX: number; scaleY: number }): ImageTransform {
  const px = picture.width / frame.srcWidth;
  const py = picture.height / frame.srcHeight;
  return { srcWidth: frame.srcWidth, srcHeight: frame.srcHeight, scaleX: crop.scaleX * px, scaleY: crop.scaleY * py, padX: -crop.x0 * crop.scaleX, padY: -crop.y0 * crop.scaleY };
}

/**
 * The region of a `picture`-sized picture that `format` makes of a whole frame (letterbox, centred letterbox, stretch
 * or centre crop, as ffmpeg's filter would): with `cropResize(…, format.padValue)`, the model's input for the whole
 * frame, cut from the picture instead of sent by ffmpeg.
 */
export function letterboxRegion(format: Pick<FrameFormat, 'width' | 'height' | 'resize'>, picture: { width: number; height: number }): Box {
  const t = computeTransform(format, picture.width, picture.height);
  return [-t.padX / t.scaleX, -t.padY / t.scaleY, (format.width - t.padX) / t.scaleX, (format.height - t.padY) / t.scaleY];
}
