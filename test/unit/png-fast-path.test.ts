import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodePlainPng } from '../../sources/png-fast-path.js';
import { decodeImage } from '../../sources/image-decoder.js';
import type { FrameFormat } from '../../core/types.js';

// The PNG fast path must give exactly sharp's pixels, or step aside. Fixtures are made by sharp (libpng) from seeded
// pseudo-random pixels, which makes libpng's adaptive filtering use every filter type.
function noise(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let s = seed;
  for (let i = 0; i < length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    // smooth runs as well as noise, so Sub/Up/Average/Paeth each win somewhere
    out[i] = i % 97 < 40 ? (i * 7) & 0xff : s >>> 24;
  }
  return out;
}

describe('PNG fast path', () => {
  const W = 29;
  const H = 31;

  it('given plain 8-bit grey, grey+alpha, RGB and RGBA PNGs (all filter types), then the pixels are exactly what sharp decodes', async () => {
    for (const channels of [1, 2, 3, 4] as const) {
      for (const seed of [1, 2, 3]) {
        const source = noise(W * H * channels, seed);
        const input = sharp(source, { raw: { width: W, height: H, channels } });
        const bytes = await (channels <= 2 ? input.toColourspace('b-w') : input).png({ adaptiveFiltering: true, compressionLevel: 9 }).toBuffer();
        const png = decodePlainPng(bytes, W * H);
        assert.ok(png, `channels ${channels} seed ${seed}: takes the fast path`);
        assert.deepEqual([png.width, png.height, png.channels], [W, H, channels]);
        // PNG is lossless: the pixels that went in come out
        assert.ok(Buffer.from(png.pixels).equals(source), `channels ${channels} seed ${seed}: the pixels encoded`);
        if (channels !== 2) {
          // and they are what sharp decodes (its raw output is sRGB unless told to stay grey)
          const viaSharp = await (channels === 1 ? sharp(bytes).toColourspace('b-w') : sharp(bytes)).raw().toBuffer();
          assert.ok(Buffer.from(png.pixels).equals(viaSharp), `channels ${channels} seed ${seed}: same pixels as sharp`);
        }
      }
    }
  });

  it('steps aside for 16-bit, palette, interlaced, colour-managed, too big, truncated and non-PNG input', async () => {
    const rgb = sharp(noise(W * H * 3, 9), { raw: { width: W, height: H, channels: 3 } });
    const plain = await rgb.clone().png().toBuffer();
    assert.ok(decodePlainPng(plain, W * H), 'the plain one does take it');
    const cases: [string, Buffer][] = [
      ['16-bit', await rgb.clone().toColourspace('rgb16').png().toBuffer()],
      ['palette', await rgb.clone().png({ palette: true }).toBuffer()],
      ['interlaced', await rgb.clone().png({ progressive: true }).toBuffer()],
      ['with an ICC profile', await rgb.clone().withIccProfile('p3').png().toBuffer()],
      ['with EXIF orientation', await rgb.clone().withMetadata({ orientation: 6 }).png().toBuffer()],
      ['truncated', plain.subarray(0, plain.length - 20)],
      ['a JPEG', await rgb.clone().jpeg().toBuffer()],
      ['text', Buffer.from('not a png at all, but long enough to have a header')],
    ];
    for (const [what, bytes] of cases) assert.equal(decodePlainPng(bytes, W * H), undefined, what);
    assert.equal(decodePlainPng(plain, W * H - 1), undefined, 'more pixels than allowed');
  });

  it('given a grey digit stored as RGB, then decodeImage gives a grey model exactly sharp\'s grey, and colour RGB still goes through sharp', async () => {
    const format: FrameFormat = { width: W, height: H, layout: 'gray', resize: 'stretch', padValue: 0 };
    const level = noise(W * H, 4);
    const greyAsRgb = Buffer.alloc(W * H * 3);
    for (let i = 0; i < W * H; i++) greyAsRgb.fill(level[i]!, 3 * i, 3 * i + 3);
    for (const [what, pixels] of [
      ['grey stored as RGB', greyAsRgb],
      ['colour', noise(W * H * 3, 5)],
    ] as const) {
      const bytes = await sharp(pixels, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer();
      const viaSharp = await sharp(bytes).toColourspace('b-w').raw({ depth: 'uchar' }).toBuffer();
      const decoded = await decodeImage(bytes, format, what);
      assert.ok(Buffer.from(decoded.data).equals(viaSharp), `${what}: same grey as sharp`);
    }
  });
});
