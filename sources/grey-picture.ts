// The small grey picture motion runs on, sampled from the detect-resolution RGB picture: luma of the 2×2 pixels at
// each cell's centre. Motion blurs it anyway, so a full box average would cost ~30× more reads for nothing.
import type { Picture } from '../core/picture.js';

/** The motion picture size for a picture: `frameHeight` rows (at most the picture's), the aspect kept. */
export function greySize(picture: Pick<Picture, 'width' | 'height'>, frameHeight: number): { width: number; height: number } {
  const height = Math.max(3, Math.min(picture.height, frameHeight));
  return { width: Math.max(3, Math.round((height * picture.width) / picture.height)), height };
}

/** Writes `out` (`width × height` grey bytes) from a packed RGB picture. */
export function greyFromRgb(picture: Picture, width: number, height: number, out: Uint8Array): Uint8Array {
  if (out.length !== width * height) throw new RangeError(`out must hold ${width * height} bytes, got ${out.length}`);
  const { width: pw, height: ph, data } = picture;
  const sx = pw / width;
  const sy = ph / height;
  for (let y = 0; y < height; y++) {
    const py = Math.min(ph - 2, Math.max(0, Math.floor((y + 0.5) * sy) - 1));
    for (let x = 0; x < width; x++) {
      const px = Math.min(pw - 2, Math.max(0, Math.floor((x + 0.5) * sx) - 1));
      let sum = 0;
      for (let dy = 0; dy < 2; dy++) {
        let i = ((py + dy) * pw + px) * 3;
        for (let dx = 0; dx < 2; dx++, i += 3) sum += 77 * data[i] + 150 * data[i + 1] + 29 * data[i + 2];
      }
      out[y * width + x] = (sum + 512) >> 10;
    }
  }
  return out;
}
