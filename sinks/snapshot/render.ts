// Draws boxes on a stored frame and encodes it as JPEG, off the per-frame path: only when a snapshot or a live-view
// image is asked for. sharp (libvips) encodes in its own thread pool, so the event loop only builds the SVG overlay.
import sharp from 'sharp';
import type { StoredFrame } from '../../core/frame-store.js';
import { pictureRgb } from '../../core/picture.js';
import type { Box } from '../../core/types.js';

export interface Overlay {
  label: string;
  /** a classifier's agreed class for the object, drawn after the label (the colour stays the label's) */
  subLabel?: string;
  score: number;
  /** source pixels */
  box: Box;
}

const COLOURS = ['#ff3b30', '#34c759', '#0a84ff', '#ff9f0a', '#bf5af2', '#64d2ff', '#ffd60a', '#ff375f'];

/** A stable colour per label, so a label looks the same on every tile and snapshot. */
export function colourFor(label: string): string {
  let h = 0;
  for (let i = 0; i < label.length; i++) h = (h * 31 + label.charCodeAt(i)) >>> 0;
  return COLOURS[h % COLOURS.length];
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The picture as packed RGB: the detect-resolution picture when stored, else the model input with its padding cut off. */
export function toRgb(stored: StoredFrame): { rgb: Buffer; width: number; height: number; x0: number; y0: number } {
  if (stored.picture) {
    const p = stored.picture;
    // a copy: the store overwrites its picture with the next frame while sharp encodes in its own threads
    const rgb = Buffer.allocUnsafe(p.width * p.height * 3);
    pictureRgb(p, undefined, rgb);
    return { rgb, width: p.width, height: p.height, x0: 0, y0: 0 };
  }
  const { format, transform: t } = stored.meta;
  const x0 = Math.round(t.padX);
  const y0 = Math.round(t.padY);
  const width = Math.max(1, Math.min(format.width - x0, Math.round(t.srcWidth * t.scaleX)));
  const height = Math.max(1, Math.min(format.height - y0, Math.round(t.srcHeight * t.scaleY)));
  const rgb = Buffer.allocUnsafe(width * height * 3);
  const plane = format.width * format.height;
  const src = stored.data;
  const grey = format.layout === 'gray';
  let o = 0;
  for (let y = 0; y < height; y++) {
    let i = (y + y0) * format.width + x0;
    for (let x = 0; x < width; x++, i++) {
      if (grey) {
        rgb[o++] = src[i];
        rgb[o++] = src[i];
        rgb[o++] = src[i];
      } else {
        // gbrp: planes G, B, R
        rgb[o++] = src[2 * plane + i];
        rgb[o++] = src[i];
        rgb[o++] = src[plane + i];
      }
    }
  }
  return { rgb, width, height, x0, y0 };
}

/** SVG boxes and labels for a picture of `width`×`height` showing the source scaled by the frame's transform. */
export function overlaySvg(stored: StoredFrame, overlays: readonly Overlay[], width: number, height: number): string {
  const t = pictureScale(stored);
  const font = Math.max(10, Math.round(Math.min(width, height) / 28));
  const parts = overlays.map((o) => {
    const x1 = o.box[0] * t.scaleX;
    const y1 = o.box[1] * t.scaleY;
    const w = (o.box[2] - o.box[0]) * t.scaleX;
    const h = (o.box[3] - o.box[1]) * t.scaleY;
    const c = colourFor(o.label);
    const text = `${escapeXml(o.subLabel ? `${o.label} · ${o.subLabel}` : o.label)} ${Math.round(o.score * 100)}%`;
    const ty = y1 > font + 4 ? y1 - 3 : y1 + font + 1;
    return (
      `<rect x="${x1.toFixed(1)}" y="${y1.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="none" stroke="${c}" stroke-width="2"/>` +
      `<rect x="${x1.toFixed(1)}" y="${(ty - font).toFixed(1)}" width="${(text.length * font * 0.6 + 6).toFixed(1)}" height="${font + 3}" fill="${c}"/>` +
      `<text x="${(x1 + 3).toFixed(1)}" y="${(ty - 1).toFixed(1)}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="#fff">${text}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** Source pixels → pixels of what `toRgb` gives. */
function pictureScale(stored: StoredFrame): { scaleX: number; scaleY: number } {
  const t = stored.meta.transform;
  if (!stored.picture) return t;
  return { scaleX: stored.picture.width / t.srcWidth, scaleY: stored.picture.height / t.srcHeight };
}

/** JPEG of the stored frame with the overlays drawn. */
export async function renderJpeg(stored: StoredFrame, overlays: readonly Overlay[], quality = 80): Promise<Buffer> {
  const { rgb, width, height } = toRgb(stored);
  let image = sharp(rgb, { raw: { width, height, channels: 3 } });
  if (overlays.length > 0) image = image.composite([{ input: Buffer.from(overlaySvg(stored, overlays, width, height)) }]);
  return image.jpeg({ quality, mozjpeg: false }).toBuffer();
}
