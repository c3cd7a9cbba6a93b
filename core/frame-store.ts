// Each camera's newest frame pixels as readers (snapshots, the live view) see them; pipeline/frame-store.ts keeps them.
import type { FrameMeta, Picture } from './types.js';

export interface StoredFrame {
  meta: FrameMeta;
  /**
   * planar pixels in `meta.format.layout` (empty when the source sent the picture alone); a pooled buffer that a later
   * frame reuses once the store lets go of it, so copy what you keep beyond the current call
   */
  data: Uint8Array;
  /** the detect-resolution picture when the source gives one: what pictures are drawn from (same overwrite rule) */
  picture?: Picture;
}

export interface FrameStoreView {
  latest(camera: string): StoredFrame | undefined;
}
