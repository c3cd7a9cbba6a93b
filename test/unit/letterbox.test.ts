import { strict as assert } from 'node:assert';
import { computeTransform, toSourceBox } from '../../core/letterbox.js';

describe('letterbox geometry', () => {
  describe('computeTransform', () => {
    it('stretch scales each axis on its own and never pads', () => {
      // given a 320x240 model input and a 1280x480 source
      // when the transform is computed for stretch
      const t = computeTransform({ width: 320, height: 240, resize: 'stretch' }, 1280, 480);
      // then x is scaled by 320/1280 and y by 240/480, with no padding
      assert.deepEqual(
        { scaleX: t.scaleX, scaleY: t.scaleY, padX: t.padX, padY: t.padY, scaledWidth: t.scaledWidth, scaledHeight: t.scaledHeight },
        { scaleX: 0.25, scaleY: 0.5, padX: 0, padY: 0, scaledWidth: 320, scaledHeight: 240 },
      );
    });

    it('letterbox keeps the aspect ratio and puts the image in the top-left corner', () => {
      // given a 416x416 input and an 832x416 source (twice as wide as high)
      const t = computeTransform({ width: 416, height: 416, resize: 'letterbox' }, 832, 416);
      // then r = min(416/832, 416/416) = 0.5 on both axes, the image is 416x208, padding only at the bottom
      assert.deepEqual(
        { scaleX: t.scaleX, scaleY: t.scaleY, padX: t.padX, padY: t.padY, scaledWidth: t.scaledWidth, scaledHeight: t.scaledHeight },
        { scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 0, scaledWidth: 416, scaledHeight: 208 },
      );
    });

    it('letterbox-center splits the padding evenly', () => {
      // given a 640x640 input and a 1280x720 source
      const t = computeTransform({ width: 640, height: 640, resize: 'letterbox-center' }, 1280, 720);
      // then the image is 640x360 and (640 - 360) / 2 = 140 rows of padding sit above it
      assert.deepEqual({ scaledHeight: t.scaledHeight, padX: t.padX, padY: t.padY, scaleX: t.scaleX }, { scaledHeight: 360, padX: 0, padY: 140, scaleX: 0.5 });
    });

    it('letterbox rounds the scaled size to whole pixels and uses that exact ratio per axis', () => {
      // given a 1000x333 source in a 416x416 input: r = 0.416, 333 * 0.416 = 138.528
      const t = computeTransform({ width: 416, height: 416, resize: 'letterbox' }, 1000, 333);
      // then the image is 139 rows high and y maps back with 139/333 (what ffmpeg was told), not with r
      assert.equal(t.scaledHeight, 139);
      assert.equal(t.scaleY, 139 / 333);
      assert.equal(t.scaleX, 416 / 1000);
    });

    it('center-crop fills the input with the shorter side and cuts the longer one evenly (negative pads)', () => {
      // given a 224x224 input and a 1280x720 source: r = 224/720, the width becomes round(1280 * r) = 398
      const t = computeTransform({ width: 224, height: 224, resize: 'center-crop' }, 1280, 720);
      // then (398 - 224) / 2 = 87 columns are cut on the left, none on top, and box mapping stays (x - padX) / scale
      assert.deepEqual({ w: t.scaledWidth, h: t.scaledHeight, padX: t.padX, padY: t.padY }, { w: 398, h: 224, padX: -87, padY: 0 });
      assert.deepEqual(toSourceBox(0, 0, 224, 224, t).map(Math.round), [280, 0, 1000, 720]);
    });

    it('rejects a source without area', () => {
      // given a zero-width source, then computing a transform throws a RangeError naming the sizes
      assert.throws(() => computeTransform({ width: 64, height: 64, resize: 'stretch' }, 0, 10), { name: 'RangeError', message: /0x10/ });
    });
  });

  describe('toSourceBox', () => {
    it('maps a stretch box back by dividing each axis by its scale', () => {
      // given the stretch transform of 1280x480 into 320x240
      const t = computeTransform({ width: 320, height: 240, resize: 'stretch' }, 1280, 480);
      // when a box in model pixels is mapped back
      // then x is multiplied by 4 and y by 2
      assert.deepEqual(toSourceBox(80, 60, 160, 120, t), [320, 120, 640, 240]);
    });

    it('maps a top-left letterbox box back by dividing by r', () => {
      const t = computeTransform({ width: 416, height: 416, resize: 'letterbox' }, 832, 416);
      assert.deepEqual(toSourceBox(100, 50, 200, 150, t), [200, 100, 400, 300]);
    });

    it('removes the centred padding before scaling', () => {
      // given the centred letterbox of 1280x720 into 640x640 (140 rows of padding on top)
      const t = computeTransform({ width: 640, height: 640, resize: 'letterbox-center' }, 1280, 720);
      // when the whole image area is mapped back, then it is the whole source
      assert.deepEqual(toSourceBox(0, 140, 640, 500, t), [0, 0, 1280, 720]);
      // and a box in the middle of the input is the middle of the source
      assert.deepEqual(toSourceBox(310, 310, 330, 330, t), [620, 340, 660, 380]);
    });

    it('clips a box that reaches into the padding to the source image', () => {
      const t = computeTransform({ width: 640, height: 640, resize: 'letterbox-center' }, 1280, 720);
      // given a box from the top padding to beyond the bottom, then it is clipped to the source edges
      assert.deepEqual(toSourceBox(-10, 0, 700, 640, t), [0, 0, 1280, 720]);
    });
  });
});
