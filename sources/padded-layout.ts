// Letterbox padding done by the reader instead of ffmpeg: ffmpeg sends only the scaled picture, and the frame splitter
// places each plane's rows into pooled buffers whose padding was filled once, when the buffer was made. A quarter
// (4:3) to nearly half (16:9) of the bytes through the pipe were constant padding, and reading the pipe costs the main
// thread about 2 ms of CPU per 416×416 frame on a 2-core box, in step with the bytes.
import type { FrameFormat } from '../core/types.js';
import type { FittedTransform } from '../core/letterbox.js';
import { planesOf } from './ffmpeg-args.js';

export interface Placement {
  /** bytes ffmpeg writes per frame: the scaled picture alone, plane after plane */
  readonly bytes: number;
  /** copies `src`, the part of an incoming frame that starts at byte `at`, to where it belongs in `dst` */
  copy(dst: Uint8Array, src: Uint8Array, at: number): void;
}

/**
 * Where the reader pads, or undefined when ffmpeg's frame is the model's input as it is (stretch, center-crop, a picture
 * that fills the input). Buffers must hold `format.padValue` outside the picture (`BufferPool`'s `fill`).
 */
export function placementFor(format: FrameFormat, t: FittedTransform): Placement | undefined {
  if (t.padX < 0 || t.padY < 0) return undefined;
  const { width: W, height: H } = format;
  const w = t.scaledWidth;
  const h = t.scaledHeight;
  if (w === W && h === H) return undefined;
  const plane = w * h;
  // rows as wide as the input lie end to end: one run per plane instead of one per row
  const run = w === W ? plane : w;
  const runs = plane / run;
  return {
    bytes: plane * planesOf(format),
    copy(dst, src, at) {
      let from = 0;
      while (from < src.length) {
        const k = Math.floor((at + from) / run);
        const p = Math.floor(k / runs);
        const row = w === W ? 0 : k % runs;
        const within = (at + from) % run;
        const n = Math.min(run - within, src.length - from);
        const to = p * W * H + (t.padY + row) * W + t.padX + within;
        dst.set(src.subarray(from, from + n), to);
        from += n;
      }
    },
  };
}
