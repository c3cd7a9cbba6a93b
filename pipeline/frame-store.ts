// Each camera's newest frame pixels (the detect-resolution picture when there is one, else the model's input), so
// snapshots and the live view can be drawn on demand. A pooled frame is held, not copied (`Frame.retain`): the store
// is one more holder of its buffers until the camera's next frame replaces it. Frames that cannot be held (uploads'
// decoded stills) are copied into one reused buffer per camera.
import type { FrameStoreView, StoredFrame } from '../core/frame-store.js';
import type { Frame } from '../core/types.js';
import { metaOf } from './infer.js';

export type { StoredFrame };

export class FrameStore implements FrameStoreView {
  private readonly frames = new Map<string, StoredFrame>();
  /** each camera's copy buffers (frames that cannot be held), reused frame after frame */
  private readonly copies = new Map<string, StoredFrame>();

  /** the frame each camera's stored pixels belong to, while held */
  private readonly held = new Map<string, Frame>();

  /** Holds (or copies) the frame's pixels; call before the frame is released. */
  keep(frame: Frame): void {
    const camera = frame.camera;
    if (frame.retain) {
      frame.retain();
      const before = this.held.get(camera);
      this.held.set(camera, frame);
      before?.release();
      this.frames.set(camera, { meta: metaOf(frame), data: frame.data, ...(frame.picture ? { picture: frame.picture } : {}) });
      return;
    }
    this.held.get(camera)?.release();
    this.held.delete(camera);
    let stored = this.frames.get(frame.camera);
    const pic = frame.picture;
    const dataBytes = pic ? 0 : frame.data.length;
    if (!stored || this.copies.get(camera) !== stored || stored.data.length !== dataBytes || stored.picture?.data.length !== pic?.data.length) {
      stored = { meta: frame, data: new Uint8Array(dataBytes), ...(pic ? { picture: { width: pic.width, height: pic.height, data: new Uint8Array(pic.data.length) } } : {}) };
      this.frames.set(frame.camera, stored);
      this.copies.set(camera, stored);
    }
    if (pic && stored.picture) {
      // the copy's buffer is only reused for a picture of the same byte count: size and layout come along
      stored.picture = { ...pic, data: stored.picture.data };
      stored.picture.data.set(pic.data);
    } else {
      stored.data.set(frame.data);
    }
    stored.meta = metaOf(frame);
  }

  /** Lets go of every held frame (the runtime stops): their buffers go back to their pools. */
  dispose(): void {
    for (const f of this.held.values()) f.release();
    this.held.clear();
    this.frames.clear();
    this.copies.clear();
  }

  latest(camera: string): StoredFrame | undefined {
    return this.frames.get(camera);
  }
}
