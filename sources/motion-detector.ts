// Motion on a small grey picture, the way Frigate's improved motion detector does it: contrast stretch, 3×3 blur,
// masked areas forced to one value, difference against a running-average background, threshold, one 3×3 dilation,
// connected regions as boxes above a minimum area. A change over most of the picture at once (lights, the IR
// switch) is not motion: the background is reset to the new picture instead. Plain typed-array code, no I/O.
import type { Box } from '../core/types.js';
import { pointInPolygon, toPixels, type Polygon } from '../core/geometry.js';

export interface MotionOptions {
  /** 1–255: how much brighter or darker than the background a pixel must be (Frigate: 30) */
  threshold: number;
  /** smallest region, in pixels of the motion picture, that counts (Frigate: 10) */
  contourArea: number;
  /** fraction of the picture changing at once that means a global change, not motion: recalibrate (Frigate: 0.8) */
  lightningThreshold: number;
  /** how fast the background follows the picture (Frigate's frame_alpha: 0.01) */
  frameAlpha: number;
  /**
   * how fast the background takes in a difference that stands still from one picture to the next: the room revealed
   * where someone stood, a parked car (0: as fast as `frameAlpha`). Moving things change between pictures and stay
   * motion; objects already found are looked at again by the region planner, not by motion.
   */
  stillAlpha?: number;
  /** stretch each picture's contrast between its 4th and 96th percentile (Frigate: true) */
  improveContrast: boolean;
  /** areas where motion is ignored: polygons in source pixels or fractions of the picture */
  mask: readonly Polygon[];
}

export interface MotionResult {
  /** motion regions in source pixels */
  boxes: Box[];
  /** fraction of the picture inside motion regions (0..1) */
  fraction: number;
  /** true when this picture reset the background (the first one, or a global change) */
  recalibrated: boolean;
}

export class MotionDetector {
  private background: Float32Array | undefined;
  private readonly masked: Uint8Array;
  private readonly stretched: Uint8Array;
  private readonly blurred: Uint8Array;
  private readonly moving: Uint8Array;
  private readonly dilated: Uint8Array;
  private readonly labels: Int32Array;
  private readonly stack: Int32Array;
  /** the previous picture, blurred: what stands still since then */
  private readonly previous: Uint8Array;

  /**
   * @param width,height size of the grey pictures `detect` is given
   * @param srcWidth,srcHeight the source size, which boxes and the mask are in
   */
  constructor(
    readonly width: number,
    readonly height: number,
    private readonly srcWidth: number,
    private readonly srcHeight: number,
    private readonly opts: MotionOptions,
  ) {
    if (!(Number.isInteger(width) && width > 2 && Number.isInteger(height) && height > 2)) throw new RangeError(`motion picture size must be integers over 2, got ${width}x${height}`);
    const n = width * height;
    this.masked = new Uint8Array(n);
    for (const polygon of opts.mask) {
      const pts = toPixels(polygon, srcWidth, srcHeight).map(([x, y]) => [(x * width) / srcWidth, (y * height) / srcHeight] as const);
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (pointInPolygon([x + 0.5, y + 0.5], pts)) this.masked[y * width + x] = 1;
    }
    this.stretched = new Uint8Array(n);
    this.blurred = new Uint8Array(n);
    this.moving = new Uint8Array(n);
    this.dilated = new Uint8Array(n);
    this.labels = new Int32Array(n);
    this.stack = new Int32Array(n);
    this.previous = new Uint8Array(n);
  }

  /** Motion in `grey` (`width × height` luma bytes), which then becomes part of the background. */
  detect(grey: Uint8Array): MotionResult {
    const { width: w, height: h, opts } = this;
    const n = w * h;
    if (grey.length !== n) throw new RangeError(`expected ${n} grey bytes (${w}x${h}), got ${grey.length}`);
    const src = opts.improveContrast ? this.stretch(grey) : grey;
    const b = this.blur(src);
    // masked pixels look the same in every picture and in the background: never a difference
    for (let i = 0; i < n; i++) if (this.masked[i]) b[i] = 255;
    if (!this.background) return this.reset(b);
    const prev = this.previous;
    const bg = this.background;
    const t = opts.threshold;
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const m = Math.abs(b[i] - bg[i]) > t ? 1 : 0;
      this.moving[i] = m;
      changed += m;
    }
    // a still picture (most of the time, on most cameras) needs no dilation or labelling
    const regions = changed === 0 ? [] : (this.dilate(), this.regions());
    let area = 0;
    for (const r of regions) area += (r[2] - r[0]) * (r[3] - r[1]);
    const fraction = Math.min(1, area / n);
    if (fraction > opts.lightningThreshold || changed / n > opts.lightningThreshold) return this.reset(b);
    const a = opts.frameAlpha;
    const still = Math.max(a, opts.stillAlpha ?? 0);
    // a pixel unlike the background but like the last picture (within half the threshold) is not moving now
    const near = t / 2;
    for (let i = 0; i < n; i++) bg[i] += (b[i] - bg[i]) * (this.moving[i] && Math.abs(b[i] - prev[i]) <= near ? still : a);
    prev.set(b);
    const sx = this.srcWidth / w;
    const sy = this.srcHeight / h;
    return { boxes: regions.map((r) => [r[0] * sx, r[1] * sy, r[2] * sx, r[3] * sy] as Box), fraction, recalibrated: false };
  }

  private reset(b: Uint8Array): MotionResult {
    this.background = Float32Array.from(b);
    this.previous.set(b);
    return { boxes: [], fraction: 0, recalibrated: true };
  }

  private stretch(grey: Uint8Array): Uint8Array {
    const hist = new Uint32Array(256);
    for (let i = 0; i < grey.length; i++) hist[grey[i]]++;
    const lowCount = grey.length * 0.04;
    const highCount = grey.length * 0.96;
    let lo = 0;
    let hi = 255;
    for (let v = 0, acc = 0; v < 256; v++) {
      acc += hist[v];
      if (acc <= lowCount) lo = v;
      if (acc < highCount) hi = v + 1;
    }
    const out = this.stretched;
    if (hi <= lo) {
      out.set(grey);
      return out;
    }
    const k = 255 / (hi - lo);
    for (let i = 0; i < grey.length; i++) {
      const v = (grey[i] - lo) * k;
      out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    return out;
  }

  /** 3×3 Gaussian (1 2 1 / 2 4 2 / 1 2 1), edges repeated. */
  private blur(src: Uint8Array): Uint8Array {
    const { width: w, height: h } = this;
    const out = this.blurred;
    for (let y = 0; y < h; y++) {
      const y0 = y > 0 ? y - 1 : 0;
      const y2 = y < h - 1 ? y + 1 : h - 1;
      for (let x = 0; x < w; x++) {
        const x0 = x > 0 ? x - 1 : 0;
        const x2 = x < w - 1 ? x + 1 : w - 1;
        const r0 = y0 * w, r1 = y * w, r2 = y2 * w;
        const s = src[r0 + x0] + 2 * src[r0 + x] + src[r0 + x2] + 2 * (src[r1 + x0] + 2 * src[r1 + x] + src[r1 + x2]) + src[r2 + x0] + 2 * src[r2 + x] + src[r2 + x2];
        out[r1 + x] = (s + 8) >> 4;
      }
    }
    return out;
  }

  /** One 3×3 dilation of `moving` into `dilated`: close gaps so that one mover is one region. */
  private dilate(): void {
    const { width: w, height: h } = this;
    const m = this.moving;
    const out = this.dilated;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let v = 0;
        for (let dy = -1; dy <= 1 && !v; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= h) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if (xx >= 0 && xx < w && m[yy * w + xx]) {
              v = 1;
              break;
            }
          }
        }
        out[y * w + x] = v;
      }
    }
  }

  /** Bounding boxes `[x1, y1, x2, y2)` of the 8-connected regions of `dilated` with more than `contourArea` pixels. */
  private regions(): Box[] {
    const { width: w, height: h } = this;
    const d = this.dilated;
    const labels = this.labels;
    labels.fill(0);
    const stack = this.stack;
    const out: Box[] = [];
    let next = 0;
    for (let start = 0; start < w * h; start++) {
      if (!d[start] || labels[start]) continue;
      next++;
      let top = 0;
      stack[top++] = start;
      labels[start] = next;
      let x1 = w, y1 = h, x2 = -1, y2 = -1, count = 0;
      while (top > 0) {
        const i = stack[--top];
        const x = i % w;
        const y = (i - x) / w;
        count++;
        if (x < x1) x1 = x;
        if (x > x2) x2 = x;
        if (y < y1) y1 = y;
        if (y > y2) y2 = y;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= h) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if (xx < 0 || xx >= w) continue;
            const j = yy * w + xx;
            if (d[j] && !labels[j]) {
              labels[j] = next;
              stack[top++] = j;
            }
          }
        }
      }
      if (count > this.opts.contourArea) out.push([x1, y1, x2 + 1, y2 + 1]);
    }
    return out;
  }
}
