// What readers above the pipeline (the collector's state crops) see of a camera's motion: its newest motion boxes.
import type { Box } from './types.js';

export interface MotionView {
  /** the newest motion result of the camera: regions in source pixels (undefined: no motion detection on it) */
  latest(camera: string): { boxes: readonly Box[] } | undefined;
}
