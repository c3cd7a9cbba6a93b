// Each camera's newest frame pixels as readers (snapshots, the live view) see them; pipeline/frame-store.ts keeps them.
import type { FrameMeta, Picture } from './types.js';

export interface StoredFrame {
  meta: FrameMeta;
  /** planar pixels in `meta.format.layout`; overwritten by the next frame of the camera, so copy what you keep */
  data: Uint8Array;
  /** the detect-resolution picture when the source gives one: what pictures are drawn from (same overwrite rule) */
  picture?: Picture;
}

export interface FrameStoreView {
  latest(camera: string): StoredFrame | undefined;
}
