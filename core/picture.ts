// The detect-resolution picture: the camera's own view (or a size the user chose), delivered beside the model's input
// by the same ffmpeg, so snapshots, the live view and crops are sharp instead of model-sized.

/** Packed RGB pixels (`width × height × 3`), what sharp encodes without a conversion pass. */
export interface Picture {
  width: number;
  height: number;
  /** rgb24, row after row; from a pool when it rides a Frame: released with the frame */
  data: Uint8Array;
}

/** A camera's `detect` setting: either side may be left out (kept from the source's aspect). */
export interface DetectSizeRequest {
  width?: number;
  height?: number;
}

/** Without a `detect` size, pictures are the source's own size, but never wider than this (aspect kept). */
export const MAX_DEFAULT_DETECT_WIDTH = 1280;

/** The picture size for a source of `srcWidth × srcHeight`: both sides given win, one side keeps the aspect. */
export function detectSize(srcWidth: number, srcHeight: number, req: DetectSizeRequest = {}): { width: number; height: number } {
  if (!(srcWidth > 0 && srcHeight > 0)) throw new RangeError(`source size must be positive, got ${srcWidth}x${srcHeight}`);
  const even = (v: number) => Math.max(2, 2 * Math.round(v / 2));
  if (req.width !== undefined && req.height !== undefined) return { width: req.width, height: req.height };
  if (req.width !== undefined) return { width: req.width, height: even((req.width * srcHeight) / srcWidth) };
  if (req.height !== undefined) return { width: even((req.height * srcWidth) / srcHeight), height: req.height };
  if (srcWidth <= MAX_DEFAULT_DETECT_WIDTH) return { width: srcWidth, height: srcHeight };
  return { width: MAX_DEFAULT_DETECT_WIDTH, height: even((MAX_DEFAULT_DETECT_WIDTH * srcHeight) / srcWidth) };
}

export function pictureBytes(size: { width: number; height: number }): number {
  return size.width * size.height * 3;
}
