// Keeps a copy of each camera's newest frame pixels (model-input resolution), so snapshots and the live view can be
// drawn on demand without holding pool buffers. One reused buffer per camera: a memcpy per frame, no allocation.
import type { Frame, FrameMeta } from '../core/types.js';

export interface StoredFrame {
  meta: FrameMeta;
  /** planar pixels in `meta.format.layout`; overwritten by the next frame of the camera, so copy what you keep */
  data: Uint8Array;
}

export class FrameStore {
  private readonly frames = new Map<string, StoredFrame>();

  /** Copies the frame's pixels; call before the frame is released. */
  keep(frame: Frame): void {
    let stored = this.frames.get(frame.camera);
    if (!stored || stored.data.length !== frame.data.length) {
      stored = { meta: frame, data: new Uint8Array(frame.data.length) };
      this.frames.set(frame.camera, stored);
    }
    stored.data.set(frame.data);
    const { camera, seq, pts, capturedAt, format, transform } = frame;
    stored.meta = { camera, seq, pts, capturedAt, format, transform };
  }

  latest(camera: string): StoredFrame | undefined {
    return this.frames.get(camera);
  }
}
