// Keeps a copy of each camera's newest frame pixels (the detect-resolution picture when there is one, else the
// model's input), so snapshots and the live view can be drawn on demand without holding pool buffers. One reused
// buffer per camera: a memcpy per frame, no allocation. The model-input copy is kept only without a picture.
import type { FrameStoreView, StoredFrame } from '../core/frame-store.js';
import type { Frame } from '../core/types.js';

export type { StoredFrame };

export class FrameStore implements FrameStoreView {
  private readonly frames = new Map<string, StoredFrame>();

  /** Copies the frame's pixels; call before the frame is released. */
  keep(frame: Frame): void {
    let stored = this.frames.get(frame.camera);
    const pic = frame.picture;
    const dataBytes = pic ? 0 : frame.data.length;
    if (!stored || stored.data.length !== dataBytes || stored.picture?.data.length !== pic?.data.length) {
      stored = { meta: frame, data: new Uint8Array(dataBytes), ...(pic ? { picture: { width: pic.width, height: pic.height, data: new Uint8Array(pic.data.length) } } : {}) };
      this.frames.set(frame.camera, stored);
    }
    if (pic && stored.picture) {
      stored.picture.width = pic.width;
      stored.picture.height = pic.height;
      stored.picture.data.set(pic.data);
    } else {
      stored.data.set(frame.data);
    }
    const { camera, seq, pts, capturedAt, format, transform } = frame;
    stored.meta = { camera, seq, pts, capturedAt, format, transform };
  }

  latest(camera: string): StoredFrame | undefined {
    return this.frames.get(camera);
  }
}
