import assert from 'node:assert/strict';
import { detectSize } from '../../core/picture.js';
import { FramePairer } from '../../sources/frame-pairer.js';

describe('FramePairer', () => {
  function harness() {
    const pairs: [number, number, number][] = [];
    const released: string[] = [];
    const lost: number[] = [];
    const buf = (tag: number) => new Uint8Array([tag]);
    const p = new FramePairer((i, l, r) => pairs.push([i, l[0], r[0]]), (b) => released.push(`L${b[0]}`), (b) => released.push(`R${b[0]}`), (i) => lost.push(i));
    return { p, pairs, released, lost, buf };
  }

  it('pairs the two halves of each index, whichever comes first', () => {
    const { p, pairs, buf } = harness();
    p.addLeft(0, buf(10));
    p.addRight(0, buf(20));
    p.addRight(1, buf(21));
    p.addLeft(1, buf(11));
    assert.deepEqual(pairs, [[0, 10, 20], [1, 11, 21]]);
    assert.equal(p.waiting, 0);
  });

  it('returns the other half of a frame one side dropped, now or when it arrives, and counts it once', () => {
    const { p, pairs, released, lost, buf } = harness();
    p.addLeft(0, buf(10));
    p.dropRight(0); // the left half waits: released now
    p.dropLeft(1); // the right half has not come: released when it does
    p.addRight(1, buf(21));
    p.dropLeft(2);
    p.dropRight(2); // both dropped: one lost frame
    p.addLeft(3, buf(13));
    p.addRight(3, buf(23));
    assert.deepEqual(released, ['L10', 'R21']);
    assert.deepEqual(lost, [0, 1, 2]);
    assert.deepEqual(pairs, [[3, 13, 23]]);
    assert.equal(p.waiting, 0);
  });

  it('gives back every waiting buffer on dispose', () => {
    const { p, released, buf } = harness();
    p.addLeft(0, buf(10));
    p.addRight(1, buf(21));
    p.dispose();
    assert.deepEqual(released.sort(), ['L10', 'R21']);
    assert.equal(p.waiting, 0);
  });
});

describe('detectSize', () => {
  it('is the source size up to 1280 wide, else 1280 wide with the aspect kept (even height)', () => {
    assert.deepEqual(detectSize(640, 360), { width: 640, height: 360 });
    assert.deepEqual(detectSize(1280, 720), { width: 1280, height: 720 });
    assert.deepEqual(detectSize(1920, 1080), { width: 1280, height: 720 });
    assert.deepEqual(detectSize(3840, 2160), { width: 1280, height: 720 });
    assert.deepEqual(detectSize(2592, 1944), { width: 1280, height: 960 });
  });

  it('takes both sides as given, or one side with the source aspect', () => {
    assert.deepEqual(detectSize(1920, 1080, { width: 640, height: 640 }), { width: 640, height: 640 });
    assert.deepEqual(detectSize(1920, 1080, { width: 960 }), { width: 960, height: 540 });
    assert.deepEqual(detectSize(1920, 1080, { height: 480 }), { width: 854, height: 480 });
  });

  it('refuses a source without a size', () => {
    assert.throws(() => detectSize(0, 720), RangeError);
  });
});

describe('buildFfmpegArgs with a picture', () => {
  it('splits one decode into the model frames on stdout and yuv420p pictures on fd 3, after the rate filter', async () => {
    const { buildFfmpegArgs } = await import('../../sources/ffmpeg-args.js');
    const { computeTransform } = await import('../../core/letterbox.js');
    const format = { width: 416, height: 416, layout: 'gbrp' as const, resize: 'letterbox' as const, padValue: 114 };
    const args = buildFfmpegArgs({ input: 'in.mp4', lavfi: false, realtime: false, loop: false, fps: 5 }, format, computeTransform(format, 1920, 1080), { width: 1280, height: 720 });
    const graph = args[args.indexOf('-filter_complex') + 1];
    assert.match(graph, /^\[0:v\]fps=5,split=2\[m\]\[p\];\[m\]scale=416:234:flags=bilinear,format=gbrp,pad=416:416:0:0:color=0x727272\[mo\];\[p\]scale=1280:720:flags=bilinear:out_range=tv,format=yuv420p\[po\]$/);
    assert.deepEqual(args.slice(args.indexOf('-filter_complex') + 2), ['-map', '[mo]', '-f', 'rawvideo', '-pix_fmt', 'gbrp', 'pipe:1', '-map', '[po]', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:3']);
    assert.ok(!args.includes('-vf'));
  });
});
