// Planar bytes (as ffmpeg writes them) to a float NCHW tensor slice: one pass over the output, no allocation per frame.
import type { PixelLayout } from '../core/types.js';

/** The channel order the model expects in its tensor. */
export type ChannelOrder = 'rgb' | 'bgr' | 'gray';

export interface TensorSpec {
  width: number;
  height: number;
  /** what the bytes are: `gbrp` (planes G, B, R) or `gray` (one plane) */
  layout: PixelLayout;
  /** what the tensor must be */
  order: ChannelOrder;
  /** subtracted from each byte; one value for all channels or one per tensor channel (in `order`) */
  mean: number | readonly number[];
  /** divides each byte after the mean; same shape rules as `mean` */
  std: number | readonly number[];
}

/** Writes one frame's tensor (C·H·W floats) into `out` starting at element `offset`. */
export type TensorWriter = (pixels: Uint8Array, out: Float32Array, offset: number) => void;

const PLANES: Record<PixelLayout, number> = { gbrp: 3, gray: 1 };

export function channelCount(order: ChannelOrder): 1 | 3 {
  return order === 'gray' ? 1 : 3;
}

/** For each tensor channel, the source plane that feeds it. gbrp stores G, B, R in that order. */
function sourcePlanes(layout: PixelLayout, order: ChannelOrder): number[] {
  if (layout === 'gbrp') {
    if (order === 'rgb') return [2, 0, 1];
    if (order === 'bgr') return [1, 0, 2];
    // A grey model gets grey bytes from ffmpeg (which weights the channels properly); converting here would be a second pass.
    throw new RangeError(`layout: a grey tensor needs layout 'gray', got '${layout}'`);
  }
  return order === 'gray' ? [0] : [0, 0, 0];
}

function perChannel(name: 'mean' | 'std', value: number | readonly number[], channels: number): number[] {
  const values = typeof value === 'number' ? new Array<number>(channels).fill(value) : [...value];
  if (values.length !== channels) throw new RangeError(`${name}: expected 1 or ${channels} values, got ${values.length}`);
  for (const v of values) {
    if (!Number.isFinite(v) || (name === 'std' && v === 0)) throw new RangeError(`${name}: expected finite${name === 'std' ? ' non-zero' : ''} numbers, got ${v}`);
  }
  return values;
}

export function createTensorWriter(spec: TensorSpec): TensorWriter {
  const { width, height, layout, order } = spec;
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new RangeError(`width/height: expected positive integers, got ${width}x${height}`);
  }
  const planeSize = width * height;
  const inputBytes = planeSize * PLANES[layout];
  const channels = channelCount(order);
  const frameElements = channels * planeSize;
  const planes = sourcePlanes(layout, order);
  const mean = perChannel('mean', spec.mean, channels);
  const std = perChannel('std', spec.std, channels);
  // A byte has only 256 values: a table per channel gives exactly (v - mean) / std with no arithmetic per pixel.
  const tables = planes.map((_, c) => {
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = (v - mean[c]!) / std[c]!;
    return table;
  });
  const srcStarts = Int32Array.from(planes, (p) => p * planeSize);
  // Raw bytes as floats (YOLOX): TypedArray.set converts natively, ~20x faster than any loop written here.
  const identity = mean.map((m, c) => m === 0 && std[c] === 1);

  return (pixels, out, offset) => {
    if (pixels.length < inputBytes) throw new RangeError(`pixels: expected ${inputBytes} bytes of ${layout} ${width}x${height}, got ${pixels.length}`);
    if (!(Number.isInteger(offset) && offset >= 0 && offset + frameElements <= out.length)) {
      throw new RangeError(`offset: ${frameElements} elements from ${offset} do not fit a tensor of ${out.length}`);
    }
    for (let c = 0; c < channels; c++) {
      const src = srcStarts[c]!;
      const dst = offset + c * planeSize;
      if (identity[c]) {
        out.set(pixels.subarray(src, src + planeSize), dst);
        continue;
      }
      const table = tables[c]!;
      for (let i = 0; i < planeSize; i++) out[dst + i] = table[pixels[src + i]!]!;
    }
  };
}
