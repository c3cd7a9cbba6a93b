// Small grey glyph images for classifier training tests: three shapes a CNN tells apart easily (a horizontal bar, a
// vertical bar, a hollow box) at seeded random places, white on black like MNIST. Written as PNG class folders with
// sharp, so the folder dataset path (ffmpeg decoding) is exercised.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

export const GLYPH_CLASSES = ['bar-h', 'bar-v', 'box'] as const;
export type GlyphClass = (typeof GLYPH_CLASSES)[number];

/** A `size`×`size` grey glyph of `cls`, placed by `random` (values in [0, 1)). */
export function glyph(cls: GlyphClass, size: number, random: () => number): Uint8Array {
  const img = new Uint8Array(size * size);
  const set = (x: number, y: number) => {
    if (x >= 0 && y >= 0 && x < size && y < size) img[y * size + x] = 255;
  };
  const at = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  if (cls === 'box') {
    const s = at(Math.floor(size / 3), Math.floor(size / 2));
    const x0 = at(1, size - s - 2);
    const y0 = at(1, size - s - 2);
    for (let i = 0; i <= s; i++) {
      set(x0 + i, y0);
      set(x0 + i, y0 + s);
      set(x0, y0 + i);
      set(x0 + s, y0 + i);
    }
    return img;
  }
  const len = at(Math.floor(size / 2), size - 3);
  const start = at(1, size - len - 1);
  const line = at(2, size - 3);
  for (let i = 0; i < len; i++) {
    for (let t = 0; t < 2; t++) {
      if (cls === 'bar-h') set(start + i, line + t);
      else set(line + t, start + i);
    }
  }
  return img;
}

/** Writes `perClass` PNGs of each class into `dir/<class>/`; returns the class names in folder order. */
export async function writeGlyphFolders(dir: string, perClass: number, size: number, random: () => number, classes: readonly GlyphClass[] = GLYPH_CLASSES): Promise<string[]> {
  for (const cls of classes) {
    await mkdir(join(dir, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      await sharp(Buffer.from(glyph(cls, size, random)), { raw: { width: size, height: size, channels: 1 } })
        .png()
        .toFile(join(dir, cls, `${String(i).padStart(3, '0')}.png`));
    }
  }
  return [...classes];
}
