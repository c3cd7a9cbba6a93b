// A fast path for the commonest dataset image: a small, plain PNG already at the model's input size (a folder of
// 28×28 digits). sharp spends about a millisecond of CPU setting up a libvips pipeline per image, which caps such a
// folder near 1,000 images/s on two cores; inflating a few hundred bytes here takes a few microseconds. Anything not
// plainly 8-bit grey/RGB(A), non-interlaced and free of colour-management or orientation chunks returns undefined
// and goes to sharp, so the pixels are always the ones sharp would give.
import { inflateSync } from 'node:zlib';

export interface PlainPng {
  width: number;
  height: number;
  /** 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA */
  channels: 1 | 2 | 3 | 4;
  /** row-major, `channels` bytes a pixel, unfiltered */
  pixels: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Partial<Record<number, PlainPng['channels']>> = { 0: 1, 4: 2, 2: 3, 6: 4 };
/** chunks that change what a pixel means (colour profile, gamma, chromaticity, transparency key, orientation) */
const MEANINGFUL = new Set(['iCCP', 'gAMA', 'cHRM', 'sRGB', 'tRNS', 'eXIf', 'sBIT', 'PLTE']);

/** The pixels of a plain PNG of at most `maxPixels`, or undefined for anything sharp should decode. */
export function decodePlainPng(bytes: Uint8Array, maxPixels: number): PlainPng | undefined {
  if (bytes.length < 33 || SIGNATURE.some((b, i) => bytes[i] !== b)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0;
  let height = 0;
  let channels: PlainPng['channels'] | undefined;
  const idat: Uint8Array[] = [];
  let at = 8;
  let ended = false;
  while (at + 12 <= bytes.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
    const data = at + 8;
    if (data + length + 4 > bytes.length) return undefined;
    if (type === 'IHDR') {
      if (at !== 8 || length !== 13) return undefined;
      width = view.getUint32(data);
      height = view.getUint32(data + 4);
      const depth = bytes[data + 8];
      channels = CHANNELS[bytes[data + 9]!];
      const interlace = bytes[data + 12];
      if (depth !== 8 || channels === undefined || interlace !== 0 || width === 0 || height === 0 || width * height > maxPixels) return undefined;
    } else if (type === 'IDAT') idat.push(bytes.subarray(data, data + length));
    else if (type === 'IEND') {
      ended = true;
      break;
    } else if (MEANINGFUL.has(type)) return undefined;
    at = data + length + 4;
  }
  if (!ended || channels === undefined || idat.length === 0) return undefined;
  const stride = width * channels;
  let filtered: Buffer;
  try {
    filtered = inflateSync(idat.length === 1 ? idat[0]! : Buffer.concat(idat));
  } catch {
    return undefined; // broken: let sharp say what is wrong with it
  }
  if (filtered.length !== height * (stride + 1)) return undefined;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = filtered[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const prev = row - stride;
    for (let x = 0; x < stride; x++) {
      const raw = filtered[src + x]!;
      const left = x >= channels ? pixels[row + x - channels]! : 0;
      const up = y > 0 ? pixels[prev + x]! : 0;
      const upLeft = y > 0 && x >= channels ? pixels[prev + x - channels]! : 0;
      let value: number;
      switch (filter) {
        case 0:
          value = raw;
          break;
        case 1:
          value = raw + left;
          break;
        case 2:
          value = raw + up;
          break;
        case 3:
          value = raw + ((left + up) >> 1);
          break;
        case 4:
          value = raw + paeth(left, up, upLeft);
          break;
        default:
          return undefined;
      }
      pixels[row + x] = value & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}
