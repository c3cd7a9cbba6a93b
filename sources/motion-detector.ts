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
  /** indices of the masked pixels of the motion picture */
  private readonly masked: Int32Array;
  private readonly stretched: Uint8Array;
  /** the contrast stretch as a table: one lookup per pixel */
  private readonly lut = new Uint8Array(256);
  private readonly hist = new Uint32Array(256);
  /** a row of the blur's horizontal pass, and the three rows the vertical pass reads */
  private readonly rows: [Uint16Array, Uint16Array, Uint16Array];
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
    const masked = new Uint8Array(n);
    for (const polygon of opts.mask) {
      const pts = toPixels(polygon, srcWidth, srcHeight).map(([x, y]) => [(x * width) / srcWidth, (y * height) / srcHeight] as const);
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (pointInPolygon([x + 0.5, y + 0.5], pts)) masked[y * width + x] = 1;
    }
    this.masked = Int32Array.from(masked.keys()).filter((i) => masked[i] === 1);
    this.stretched = new Uint8Array(n);
    this.rows = [new Uint16Array(width), new Uint16Array(width), new Uint16Array(width)];
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
    // Every camera's every frame passes here (120 a second at 24 cameras): the loops are flat, over locals, one pass
    // each, and a still picture (most of the time, on most cameras) needs no dilation or labelling.
    const src = opts.improveContrast ? this.stretch(grey) : grey;
    const b = this.blur(src);
    // masked pixels look the same in every picture and in the background: never a difference
    const masked = this.masked;
    for (let k = 0; k < masked.length; k++) b[masked[k]] = 255;
    const bg = this.background;
    if (!bg) return this.reset(b);
    const moving = this.moving;
    const t = opts.threshold;
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const d = b[i] - bg[i];
      const m = d > t || d < -t ? 1 : 0;
      moving[i] = m;
      changed += m;
    }
    const regions = changed === 0 ? [] : (this.dilate(), this.regions());
    let area = 0;
    for (const r of regions) area += (r[2] - r[0]) * (r[3] - r[1]);
    const fraction = Math.min(1, area / n);
    if (fraction > opts.lightningThreshold || changed / n > opts.lightningThreshold) return this.reset(b);
    const a = opts.frameAlpha;
    const prev = this.previous;
    if (changed === 0) {
      for (let i = 0; i < n; i++) bg[i] += (b[i] - bg[i]) * a;
    } else {
      const still = Math.max(a, opts.stillAlpha ?? 0);
      // a pixel unlike the background but like the last picture (within half the threshold) is not moving now
      const near = t / 2;
      for (let i = 0; i < n; i++) {
        const p = b[i] - prev[i];
        bg[i] += (b[i] - bg[i]) * (moving[i] && p <= near && p >= -near ? still : a);
      }
    }
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
    const hist = this.hist;
    hist.fill(0);
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
    const lut = this.lut;
    for (let v = 0; v < 256; v++) {
      const x = (v - lo) * k;
      lut[v] = x < 0 ? 0 : x > 255 ? 255 : x;
    }
    for (let i = 0; i < grey.length; i++) out[i] = lut[grey[i]];
    return out;
  }

  /** 3×3 Gaussian (1 2 1 / 2 4 2 / 1 2 1), edges repeated: a horizontal pass per row, then the vertical one. */
  private blur(src: Uint8Array): Uint8Array {
    const { width: w, height: h } = this;
    const out = this.blurred;
    let [above, row, below] = this.rows;
    this.horizontal(src, 0, row);
    above.set(row);
    for (let y = 0; y < h; y++) {
      if (y < h - 1) this.horizontal(src, (y + 1) * w, below);
      else below.set(row);
      const o = y * w;
      for (let x = 0; x < w; x++) out[o + x] = (above[x] + 2 * row[x] + below[x] + 8) >> 4;
      const spare = above;
      above = row;
      row = below;
      below = spare;
    }
    return out;
  }

  /** `1 2 1` along the row at `start`, its ends repeated. */
  private horizontal(src: Uint8Array, start: number, out: Uint16Array): void {
    const w = this.width;
    out[0] = 3 * src[start] + src[start + 1];
    for (let x = 1; x < w - 1; x++) out[x] = src[start + x - 1] + 2 * src[start + x] + src[start + x + 1];
    out[w - 1] = src[start + w - 2] + 3 * src[start + w - 1];
  }

  /** One 3×3 dilation of `moving` into `dilated`: close gaps so that one mover is one region. Separable, as the blur. */
  private dilate(): void {
    const { width: w, height: h } = this;
    const m = this.moving;
    const out = this.dilated;
    let [above, row, below] = this.rows;
    this.spread(m, 0, row);
    above.set(row);
    for (let y = 0; y < h; y++) {
      if (y < h - 1) this.spread(m, (y + 1) * w, below);
      else below.set(row);
      const o = y * w;
      for (let x = 0; x < w; x++) out[o + x] = above[x] | row[x] | below[x];
      const spare = above;
      above = row;
      row = below;
      below = spare;
    }
  }

  /** Each pixel of the row at `start` or a neighbour on it is set. */
  private spread(m: Uint8Array, start: number, out: Uint16Array): void {
    const w = this.width;
    out[0] = m[start] | m[start + 1];
    for (let x = 1; x < w - 1; x++) out[x] = m[start + x - 1] | m[start + x] | m[start + x + 1];
    out[w - 1] = m[start + w - 2] | m[start + w - 1];
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
