// The small grey picture motion runs on, sampled from the detect-resolution picture: the luma of the pixel at each
// cell's centre, as Frigate resizes (nearest). Motion blurs it anyway; a box average would cost ~30× more reads.
import { LUMA_FROM_Y, type Picture } from '../core/picture.js';

/** The motion picture size for a picture: `frameHeight` rows (at most the picture's), the aspect kept. */
export function greySize(picture: Pick<Picture, 'width' | 'height'>, frameHeight: number): { width: number; height: number } {
  const height = Math.max(3, Math.min(picture.height, frameHeight));
  return { width: Math.max(3, Math.round((height * picture.width) / picture.height)), height };
}

/** Byte offsets of each output column's source pixel, kept while the sizes stay (every frame of a camera). */
let columns = { width: 0, pictureWidth: 0, bytesPerPixel: 0, offsets: new Int32Array(0) };

/** Writes `out` (`width × height` grey bytes) from a picture: RGB weighted, or a yuv420p picture's Y in full range. */
export function greyFromPicture(picture: Picture, width: number, height: number, out: Uint8Array): Uint8Array {
  if (out.length !== width * height) throw new RangeError(`out must hold ${width * height} bytes, got ${out.length}`);
  const { width: pw, height: ph, data } = picture;
  const bpp = picture.format === 'yuv420p' ? 1 : 3;
  const sx = pw / width;
  const sy = ph / height;
  if (columns.width !== width || columns.pictureWidth !== pw || columns.bytesPerPixel !== bpp) {
    const offsets = new Int32Array(width);
    for (let x = 0; x < width; x++) offsets[x] = Math.min(pw - 1, Math.floor((x + 0.5) * sx)) * bpp;
    columns = { width, pictureWidth: pw, bytesPerPixel: bpp, offsets };
  }
  const cols = columns.offsets;
  for (let y = 0, o = 0; y < height; y++) {
    const row = Math.min(ph - 1, Math.floor((y + 0.5) * sy)) * pw * bpp;
    if (bpp === 1) {
      for (let x = 0; x < width; x++, o++) out[o] = LUMA_FROM_Y[data[row + cols[x]]];
      continue;
    }
    for (let x = 0; x < width; x++, o++) {
      const i = row + cols[x];
      out[o] = (77 * data[i] + 150 * data[i + 1] + 29 * data[i + 2] + 128) >> 8;
    }
  }
  return out;
}
