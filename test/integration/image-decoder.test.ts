import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { isLookoutError } from '../../core/errors.js';
import type { FrameFormat } from '../../core/types.js';
import { decodeImage, decodeImageFile } from '../../sources/image-decoder.js';
import { waitForNoChildren } from '../helpers/processes.js';
import { useTmpDir } from '../helpers/tmp.js';

// The one still-image decoder (real sharp, real ffmpeg for the formats sharp lacks). A 6×4 picture, left half one colour
// and right half another, shows orientation and colour at once; the model format is 6×4 planar G,B,R (or grey), so no
// resampling blurs the pixels that are checked.
const W = 6;
const H = 4;
const gbrp: FrameFormat = { width: W, height: H, layout: 'gbrp', resize: 'stretch', padValue: 0 };
const gray: FrameFormat = { ...gbrp, layout: 'gray' };
const LEFT = { r: 200, g: 40, b: 10 };
const RIGHT = { r: 10, g: 90, b: 220 };

function halves(channels: 3 | 4 = 3, alpha = 255): Buffer {
  const px = Buffer.alloc(W * H * channels);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const c = x < W / 2 ? LEFT : RIGHT;
      px.set(channels === 3 ? [c.r, c.g, c.b] : [c.r, c.g, c.b, alpha], (y * W + x) * channels);
    }
  }
  return px;
}
const raw = (channels: 3 | 4 = 3, alpha = 255) => sharp(halves(channels, alpha), { raw: { width: W, height: H, channels } });

/** [r, g, b] of the pixel at (x, y) in planar G,B,R */
function rgbAt(data: Uint8Array, x: number, y: number, width = W, height = H): number[] {
  const plane = width * height;
  const i = y * width + x;
  return [data[2 * plane + i]!, data[i]!, data[plane + i]!];
}
const near = (actual: number[], expected: { r: number; g: number; b: number }, tolerance: number, what: string) =>
  assert.ok(
    actual.every((v, i) => Math.abs(v - [expected.r, expected.g, expected.b][i]!) <= tolerance),
    `${what}: got ${actual}, expected ${[expected.r, expected.g, expected.b]} ± ${tolerance}`,
  );

describe('still-image decoder (sharp in-process)', function () {
  this.timeout(30000);
  const tmp = useTmpDir('lookout-decoder-');

  it('decodes 8-bit PNG and JPEG to planar G,B,R and grey, with the identity transform at the model size', async () => {
    for (const [what, bytes, tolerance] of [
      ['PNG', await raw().png().toBuffer(), 0],
      ['JPEG', await raw().jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer(), 12],
    ] as const) {
      const image = await decodeImage(bytes, gbrp, what);
      assert.ok(image.data.buffer instanceof SharedArrayBuffer, 'shared, so the worker gets it without a copy');
      assert.equal(image.data.length, 3 * W * H);
      assert.deepEqual(image.transform, { srcWidth: W, srcHeight: H, scaleX: 1, scaleY: 1, padX: 0, padY: 0 });
      near(rgbAt(image.data, 0, 0), LEFT, tolerance, `${what} left`);
      near(rgbAt(image.data, W - 1, H - 1), RIGHT, tolerance, `${what} right`);
      const grey = await decodeImage(bytes, gray, what);
      assert.equal(grey.data.length, W * H);
      // Rec. 601 luma of the two colours, as libvips computes it
      assert.ok(grey.data[0]! > grey.data[W - 1]! - 40 && grey.data[0]! !== grey.data[W - 1]!, `grey levels differ: ${grey.data[0]} vs ${grey.data[W - 1]}`);
    }
  });

  it('turns 16-bit, CMYK, grey and alpha inputs into the same 8-bit pixels', async () => {
    const reference = await decodeImage(await raw().png().toBuffer(), gbrp);
    const cases: [string, Buffer, number][] = [
      ['16-bit PNG', await raw().toColourspace('rgb16').png().toBuffer(), 1],
      ['RGBA PNG (alpha dropped, the colour under it kept)', await raw(4, 128).png().toBuffer(), 0],
    ];
    for (const [what, bytes, tolerance] of cases) {
      const meta = await sharp(bytes).metadata();
      if (what.startsWith('16')) assert.equal(meta.depth, 'ushort', 'the fixture really is 16-bit');
      if (what.startsWith('RGBA')) assert.equal(meta.hasAlpha, true, 'the fixture really has alpha');
      const image = await decodeImage(bytes, gbrp, what);
      near(rgbAt(image.data, 0, 0), { r: reference.data[2 * W * H]!, g: reference.data[0]!, b: reference.data[W * H]! }, tolerance, `${what} left`);
      near(rgbAt(image.data, W - 1, 0), RIGHT, tolerance, `${what} right`);
    }
    // CMYK: the blue is outside CMYK's gamut, so only the hue survives the round trip; four channels read as three
    // would scramble it
    const cmyk = await raw().toColourspace('cmyk').jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer();
    assert.equal((await sharp(cmyk).metadata()).space, 'cmyk', 'the fixture really is CMYK');
    const fromCmyk = await decodeImage(cmyk, gbrp, 'CMYK JPEG');
    const [lr, lg, lb] = rgbAt(fromCmyk.data, 0, 0) as [number, number, number];
    const [rr, rg, rb] = rgbAt(fromCmyk.data, W - 1, 0) as [number, number, number];
    assert.ok(lr > 150 && lr > lg + 100 && lr > lb + 100, `CMYK left is red: ${[lr, lg, lb]}`);
    assert.ok(rb > 130 && rb > rr + 100 && rb > rg + 40, `CMYK right is blue: ${[rr, rg, rb]}`);
    // grey 8- and 16-bit, and grey with alpha, into a grey model and into a colour one (three equal planes)
    const level = Buffer.alloc(W * H, 77);
    for (const [what, bytes] of [
      ['grey PNG', await sharp(level, { raw: { width: W, height: H, channels: 1 } }).png().toBuffer()],
      ['16-bit grey PNG', await sharp(level, { raw: { width: W, height: H, channels: 1 } }).toColourspace('grey16').png().toBuffer()],
      ['grey+alpha PNG', await sharp(level, { raw: { width: W, height: H, channels: 1 } }).joinChannel(Buffer.alloc(W * H, 9), { raw: { width: W, height: H, channels: 1 } }).png().toBuffer()],
      ['grey JPEG', await sharp(level, { raw: { width: W, height: H, channels: 1 } }).jpeg({ quality: 100 }).toBuffer()],
    ] as const) {
      const g = await decodeImage(bytes, gray, what);
      assert.ok(g.data.every((v) => Math.abs(v - 77) <= 1), `${what} → grey: ${[...g.data]}`);
      const c = await decodeImage(bytes, gbrp, what);
      assert.ok(c.data.every((v) => Math.abs(v - 77) <= 1), `${what} → G,B,R: ${[...c.data]}`);
    }
  });

  it('honours EXIF orientation: a picture stored sideways is decoded as a person sees it, and the transform maps to those pixels', async () => {
    // stored 4×6 (portrait), tagged "rotate 90° clockwise to view" (6): the viewer sees 6×4 with LEFT on the left
    const stored = await raw().rotate(-90).jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).withMetadata({ orientation: 6 }).toBuffer();
    const meta = await sharp(stored).metadata();
    assert.deepEqual([meta.width, meta.height, meta.orientation], [H, W, 6]);
    const image = await decodeImage(stored, gbrp, 'sideways.jpg');
    assert.deepEqual([image.width, image.height], [W, H]);
    assert.deepEqual(image.transform, { srcWidth: W, srcHeight: H, scaleX: 1, scaleY: 1, padX: 0, padY: 0 });
    near(rgbAt(image.data, 0, 0), LEFT, 12, 'left after rotation');
    near(rgbAt(image.data, W - 1, 0), RIGHT, 12, 'right after rotation');
  });

  it('letterboxes a bigger photo to the model size with the transform back to its pixels', async () => {
    const format: FrameFormat = { width: 8, height: 8, layout: 'gbrp', resize: 'letterbox', padValue: 114 };
    const photo = await sharp(halves(), { raw: { width: W, height: H, channels: 3 } }).resize(60, 40, { kernel: 'nearest' }).png().toBuffer();
    const image = await decodeImage(photo, format, 'photo.png');
    assert.equal(image.transform.srcWidth, 60);
    assert.equal(image.transform.srcHeight, 40);
    assert.ok(Math.abs(image.transform.scaleX - 8 / 60) < 0.01, JSON.stringify(image.transform));
    // the lower rows are padding
    assert.deepEqual(rgbAt(image.data, 0, 7, 8, 8), [114, 114, 114]);
  });

  it('letterbox-center: the picture sits in the middle of the padding, in grey and in colour', async () => {
    const photo = await sharp(halves(), { raw: { width: W, height: H, channels: 3 } }).resize(60, 40, { kernel: 'nearest' }).png().toBuffer();
    // 60×40 into 12×12: scaled to 12×8, two padding rows above and two below
    const colour = await decodeImage(photo, { width: 12, height: 12, layout: 'gbrp', resize: 'letterbox-center', padValue: 114 }, 'photo.png');
    assert.deepEqual([colour.transform.padX, colour.transform.padY], [0, 2]);
    for (const y of [0, 1, 10, 11]) assert.deepEqual(rgbAt(colour.data, 5, y, 12, 12), [114, 114, 114], `row ${y} is padding`);
    near(rgbAt(colour.data, 0, 2, 12, 12), LEFT, 2, 'first picture row, left');
    near(rgbAt(colour.data, 11, 9, 12, 12), RIGHT, 2, 'last picture row, right');
    const grey = await decodeImage(photo, { width: 12, height: 12, layout: 'gray', resize: 'letterbox-center', padValue: 114 }, 'photo.png');
    assert.deepEqual([grey.data[5], grey.data[12 + 5], grey.data[10 * 12 + 5], grey.data[11 * 12 + 5]], [114, 114, 114, 114]);
    assert.ok(grey.data[2 * 12] !== 114 && grey.data[2 * 12] !== grey.data[2 * 12 + 11], `picture rows hold the picture: ${[...grey.data.subarray(24, 36)]}`);
  });

  it('gives the pixels as stored under an embedded ICC profile, as ffmpeg (every video frame) and OpenCV do', async () => {
    // tagged Display P3: applying the profile would move the saturated red by tens of levels
    const tagged = await raw().withIccProfile('p3').jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer();
    assert.ok((await sharp(tagged).metadata()).icc, 'the fixture really carries a profile');
    const path = join(tmp(), 'p3.jpg');
    await writeFile(path, tagged);
    const ffmpegRgb = await new Promise<Buffer>((resolve, reject) => {
      const ff = spawn('ffmpeg', ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const chunks: Buffer[] = [];
      ff.stdout.on('data', (c: Buffer) => chunks.push(c));
      ff.on('error', reject);
      ff.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`ffmpeg exited ${code}`))));
    });
    const applied = await sharp(tagged).raw().toBuffer();
    const image = await decodeImage(tagged, gbrp, 'p3.jpg');
    for (const [x, y] of [[0, 0], [W - 1, H - 1]] as const) {
      const i = (y * W + x) * 3;
      const ours = rgbAt(image.data, x, y);
      const stored = [...ffmpegRgb.subarray(i, i + 3)];
      assert.ok(ours.every((v, c) => Math.abs(v - stored[c]!) <= 3), `(${x},${y}): ours ${ours}, ffmpeg ${stored}`);
      assert.ok(ours.some((v, c) => Math.abs(v - applied[i + c]!) > 10), `(${x},${y}): the profile was applied (${ours} vs ${[...applied.subarray(i, i + 3)]}), the fixture shows nothing`);
    }
  });

  it('a file: reads it in-process, gives BMP to ffmpeg, and names the file that is missing or corrupt', async () => {
    const png = join(tmp(), 'ok.png');
    await raw().png().toFile(png);
    const frame = await decodeImageFile(png, gbrp);
    near(rgbAt(frame.data, 0, 0), LEFT, 0, 'file left');
    frame.release();

    const bmp = join(tmp(), 'ok.bmp');
    const raw24 = join(tmp(), 'halves.rgb');
    await writeFile(raw24, halves());
    await new Promise<void>((resolve, reject) => {
      const ff = spawn('ffmpeg', ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${W}x${H}`, '-i', raw24, '-frames:v', '1', bmp], { stdio: 'ignore' });
      ff.on('error', reject);
      ff.on('close', (c) => (c === 0 ? resolve() : reject(new Error(`ffmpeg exited ${c}`))));
    });
    const fromBmp = await decodeImageFile(bmp, gbrp);
    near(rgbAt(fromBmp.data, 0, 0), LEFT, 2, 'bmp left');
    near(rgbAt(fromBmp.data, W - 1, 0), RIGHT, 2, 'bmp right');
    fromBmp.release();

    const text = join(tmp(), 'notes.png');
    await writeFile(text, 'not a png');
    const truncated = join(tmp(), 'truncated.png');
    await writeFile(truncated, (await raw().png().toBuffer()).subarray(0, 40));
    const missing = join(tmp(), 'missing.jpg');
    for (const path of [text, truncated, missing]) {
      const err = await decodeImageFile(path, gbrp).then(
        () => assert.fail(`${path} should not decode`),
        (e: unknown) => e,
      );
      assert.ok(isLookoutError(err) && err.code === 'LOOKOUT_ERR_MEDIA', String(err));
      assert.ok(err.message.includes(path), `names the file: ${err.message}`);
      assert.doesNotMatch(err.message, /\n/, 'one line');
    }
    assert.deepEqual(await waitForNoChildren({ filter: (p) => p.comm === 'ffmpeg' || p.comm === 'ffprobe' }), []);
  });
});
