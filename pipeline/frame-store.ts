// Keeps a copy of each camera's newest frame pixels (model-input resolution), so snapshots and the live view can be
// drawn on demand without holding pool buffers. One reused buffer per camera: a memcpy per frame, no allocation.
import type { FrameStoreView, StoredFrame } from '../core/frame-store.js';
import type { Frame } from '../core/types.js';

export type { StoredFrame };

export class FrameStore implements FrameStoreView {
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
