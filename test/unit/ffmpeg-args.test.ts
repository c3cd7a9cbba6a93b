import assert from 'node:assert/strict';
import { computeTransform, type FittedTransform } from '../../core/letterbox.js';
import type { FrameFormat } from '../../core/types.js';
import { buildFfmpegArgs, buildPictureArgs, DECODE_THREADS, decodeThreadsFor, frameBytes, inputArgs, planesOf, videoFilter, type FfmpegInput } from '../../sources/ffmpeg-args.js';

const format: FrameFormat = { width: 640, height: 640, layout: 'gbrp', resize: 'letterbox', padValue: 114 };

/** 1280x720 letterboxed into 640x640: 640x360 image, padding below. */
const letterboxed: FittedTransform = { srcWidth: 1280, srcHeight: 720, scaledWidth: 640, scaledHeight: 360, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 0 };
/** a source stretched to exactly the model size: no padding needed */
const stretched: FittedTransform = { srcWidth: 1280, srcHeight: 720, scaledWidth: 640, scaledHeight: 640, scaleX: 0.5, scaleY: 640 / 720, padX: 0, padY: 0 };

const file: FfmpegInput = { input: '/clips/door.mp4', lavfi: false, realtime: false, loop: false, fps: undefined };

/** The args before `-i`, i.e. how the input is read. */
const inputSide = (args: string[]) => args.slice(0, args.indexOf('-i'));

describe('ffmpeg args', () => {
  describe('buildFfmpegArgs', () => {
    it('gives the exact command line for a plain file read as fast as possible', () => {
      assert.deepEqual(buildFfmpegArgs(file, format, letterboxed), [
        '-hide_banner', '-nostdin', '-loglevel', 'error',
        '-filter_threads', '1', '-threads', '2',
        '-i', '/clips/door.mp4',
        '-an', '-sn', '-dn',
        '-vf', 'scale=640:360:flags=bilinear,format=gbrp,pad=640:640:0:0:color=0x727272',
        '-f', 'rawvideo', '-pix_fmt', 'gbrp',
        'pipe:1',
      ]);
    });

    it('adds -re only when realtime', () => {
      assert.ok(!buildFfmpegArgs(file, format, letterboxed).includes('-re'));
      const args = buildFfmpegArgs({ ...file, realtime: true }, format, letterboxed);
      assert.deepEqual(inputSide(args), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-filter_threads', '1', '-threads', '2']);
    });

    it('loops a file with -stream_loop -1, before -i', () => {
      const args = buildFfmpegArgs({ ...file, loop: true, realtime: true }, format, letterboxed);
      assert.deepEqual(inputSide(args), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-filter_threads', '1', '-threads', '2']);
    });

    it('never loops a lavfi graph (it is endless or has its own duration), and reads it with -f lavfi', () => {
      const lavfi: FfmpegInput = { input: 'testsrc2=size=320x240:rate=10', lavfi: true, realtime: false, loop: true, fps: undefined };
      const args = buildFfmpegArgs(lavfi, format, letterboxed);
      assert.ok(!args.includes('-stream_loop'));
      assert.deepEqual(inputSide(args), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-filter_threads', '1', '-threads', '2', '-f', 'lavfi']);
      assert.deepEqual(args.slice(args.indexOf('-i'), args.indexOf('-i') + 2), ['-i', 'testsrc2=size=320x240:rate=10']);
    });

    it('does not use -f lavfi for a file', () => {
      assert.ok(!inputSide(buildFfmpegArgs(file, format, letterboxed)).includes('-f'));
    });

    it('asks for the gray pixel format for gray models', () => {
      const args = buildFfmpegArgs(file, { ...format, layout: 'gray' }, stretched);
      assert.deepEqual(args.slice(-5), ['-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1']);
      assert.equal(args[args.indexOf('-vf') + 1], 'scale=640:640:flags=bilinear,format=gray');
    });

    it('puts the fps filter first when an fps is given', () => {
      const args = buildFfmpegArgs({ ...file, fps: 5 }, format, stretched);
      assert.equal(args[args.indexOf('-vf') + 1], 'fps=5,scale=640:640:flags=bilinear,format=gbrp');
    });
  });

  describe('videoFilter', () => {
    it('has no fps filter when fps is undefined', () => {
      assert.equal(videoFilter(undefined, format, stretched), 'scale=640:640:flags=bilinear,format=gbrp');
    });

    it('passes a fractional fps through', () => {
      assert.equal(videoFilter(2.5, format, stretched).split(',')[0], 'fps=2.5');
    });

    it('center-crop scales to overflow the input, then crops its middle (no pad)', () => {
      const square = { width: 224, height: 224, layout: 'gbrp' as const, resize: 'center-crop' as const, padValue: 0 };
      const filter = videoFilter(undefined, square, computeTransform(square, 1280, 720));
      assert.equal(filter, 'scale=398:224:flags=bilinear,format=gbrp,crop=224:224:87:0');
    });

    it('pads only when the scaled size differs from the model size', () => {
      assert.ok(!videoFilter(undefined, format, stretched).includes('pad='));
      assert.match(videoFilter(undefined, format, letterboxed), /,pad=640:640:0:0:color=0x727272$/);
      // narrower than the model, full height: still padded
      const tall: FittedTransform = { ...letterboxed, srcWidth: 720, srcHeight: 1280, scaledWidth: 360, scaledHeight: 640 };
      assert.match(videoFilter(undefined, format, tall), /pad=640:640:0:0:/);
    });

    it('places a centred letterbox with the transform’s pad offsets', () => {
      const centred: FittedTransform = { ...letterboxed, padY: 140 };
      assert.equal(
        videoFilter(undefined, { ...format, resize: 'letterbox-center' }, centred),
        'scale=640:360:flags=bilinear,format=gbrp,pad=640:640:0:140:color=0x727272',
      );
    });

    it('writes the pad colour as a grey hex triple of padValue, zero-padded', () => {
      const colour = (padValue: number) => /color=(0x[0-9a-f]+)/.exec(videoFilter(undefined, { ...format, padValue }, letterboxed))![1];
      assert.equal(colour(114), '0x727272');
      assert.equal(colour(0), '0x000000');
      assert.equal(colour(10), '0x0a0a0a');
      assert.equal(colour(255), '0xffffff');
    });
  });

  describe('inputArgs', () => {
    it('is -f lavfi for lavfi and nothing for files', () => {
      assert.deepEqual(inputArgs({ lavfi: true }), ['-f', 'lavfi']);
      assert.deepEqual(inputArgs({ lavfi: false }), []);
    });
  });

  describe('frameBytes', () => {
    it('is width x height x 3 for gbrp and width x height for gray', () => {
      assert.equal(planesOf({ layout: 'gbrp' }), 3);
      assert.equal(planesOf({ layout: 'gray' }), 1);
      assert.equal(frameBytes({ width: 640, height: 480, layout: 'gbrp' }), 640 * 480 * 3);
      assert.equal(frameBytes({ width: 640, height: 480, layout: 'gray' }), 640 * 480);
      assert.equal(frameBytes({ width: 3, height: 2, layout: 'gbrp' }), 18);
    });
  });

  it('decodes with one thread up to ~100 Mpx/s of input, two above or at an unknown rate', () => {
    assert.equal(decodeThreadsFor({ width: 1280, height: 720, fps: 30 }), 1);
    assert.equal(decodeThreadsFor({ width: 1920, height: 1080, fps: 30 }), 1);
    assert.equal(decodeThreadsFor({ width: 3840, height: 2160, fps: 25 }), DECODE_THREADS);
    assert.equal(decodeThreadsFor({ width: 640, height: 360 }), DECODE_THREADS);
    assert.ok(buildPictureArgs({ input: 'a.mp4', lavfi: false, realtime: false, loop: false, fps: 5, decodeThreads: 1 }, { width: 1280, height: 720 }).join(' ').includes('-threads 1 -i a.mp4'));
  });
});
