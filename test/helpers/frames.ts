// Hand-made planar frames for detector tests: a red square on black, in the gbrp layout ffmpeg writes.
import type { FrameFormat, ImageTransform } from '../../core/types.js';

export interface RedSquare {
  x: number;
  y: number;
  size: number;
}

/** A gbrp frame (planes G, B, R) of `format`'s size, in a SharedArrayBuffer like the pool's, with the squares drawn. */
export function gbrpFrame(format: Pick<FrameFormat, 'width' | 'height'>, squares: readonly RedSquare[] = []): Uint8Array {
  const { width: w, height: h } = format;
  const data = new Uint8Array(new SharedArrayBuffer(w * h * 3));
  for (const s of squares) {
    for (let y = s.y; y < Math.min(h, s.y + s.size); y++) data.fill(255, 2 * w * h + y * w + s.x, 2 * w * h + y * w + Math.min(w, s.x + s.size));
  }
  return data;
}

export function identity(format: Pick<FrameFormat, 'width' | 'height'>): ImageTransform {
  return { srcWidth: format.width, srcHeight: format.height, scaleX: 1, scaleY: 1, padX: 0, padY: 0 };
}
