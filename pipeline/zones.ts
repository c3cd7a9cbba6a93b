// Zones and masks: polygons on the camera image. An object is placed by the bottom-centre of its box (where it stands
// on the ground), not by its centre, so a person whose head is over a zone's edge is not "in" it (Frigate's rule).
import { bottomCentre, pointInPolygon, toPixels, validatePolygon, type Point, type Polygon } from '../core/geometry.js';
import type { Box } from '../core/types.js';
import { DEFAULTS } from '../config/defaults.js';

export interface ZoneOptions {
  /** source pixels, or fractions 0..1 of the source width/height when every coordinate is within 0..1 */
  points: Polygon;
  /** labels this zone cares about; absent = every tracked label */
  objects?: readonly string[];
  /**
   * consecutive frames an object must spend on the other side of the edge before it enters or leaves; damps a box
   * that jitters across the edge into a storm of updates (Frigate's zone inertia, applied both ways here)
   */
  inertia?: number;
  /** stream seconds an object may stay in the zone before it is `loitering` (absent: never) */
  loiterSeconds?: number;
  /**
   * real-world lengths in metres of a 4-point zone's edges p1→p2, p2→p3, p3→p4, p4→p1 (Frigate's `distances`): objects
   * in the zone get an estimated ground speed
   */
  distances?: readonly number[];
}

export const DEFAULT_ZONE_INERTIA = DEFAULTS.zone.inertia;

/** `all` is the key of the whole-camera counts, so no zone may take it. */
export const RESERVED_ZONE_NAMES: readonly string[] = ['all'];

/** Config errors for one zone (name, points, objects), each prefixed with `path`; empty when valid. */
export function validateZone(name: string, zone: unknown, path: string): string[] {
  const errors: string[] = [];
  if (RESERVED_ZONE_NAMES.includes(name)) errors.push(`${path}: the zone name '${name}' is reserved`);
  if (typeof zone !== 'object' || zone === null) return [...errors, `${path}: expected { points, objects? }`];
  const { points, objects, inertia, loiterSeconds, distances } = zone as Record<string, unknown>;
  errors.push(...validatePolygon(points, `${path}.points`));
  if (objects !== undefined && !(Array.isArray(objects) && objects.every((l) => typeof l === 'string'))) {
    errors.push(`${path}.objects: expected a list of labels`);
  }
  if (inertia !== undefined && !(typeof inertia === 'number' && Number.isInteger(inertia) && inertia >= 1)) {
    errors.push(`${path}.inertia: expected an integer >= 1`);
  }
  if (loiterSeconds !== undefined && !(typeof loiterSeconds === 'number' && Number.isFinite(loiterSeconds) && loiterSeconds > 0)) {
    errors.push(`${path}.loiterSeconds: expected a number of seconds > 0`);
  }
  if (distances !== undefined) {
    if (!(Array.isArray(distances) && distances.length === 4 && distances.every((d) => typeof d === 'number' && Number.isFinite(d) && d > 0))) {
      errors.push(`${path}.distances: expected 4 lengths in metres > 0, one per edge`);
    } else if (Array.isArray(points) && points.length !== 4) {
      errors.push(`${path}.distances: needs a zone of exactly 4 points, got ${points.length}`);
    }
  }
  return errors;
}

interface ResolvedZone {
  readonly name: string;
  readonly labels: ReadonlySet<string> | null;
  readonly inertia: number;
  readonly loiterSeconds: number | undefined;
  readonly distances: readonly number[] | undefined;
  /** metres per pixel along each edge (AB, BC, CD, DA), for the resolved size */
  scales: number[];
  readonly source: Polygon;
  pixels: Point[];
}

/**
 * A camera's zones and masks, resolved to source pixels for the frame size at hand. Sizes are re-resolved only when
 * the source size changes (a camera that reconnects at another resolution keeps fractional zones right).
 */
export class Zones {
  readonly names: readonly string[];
  private readonly zones: ResolvedZone[];
  private readonly maskSources: readonly Polygon[];
  private masks: Point[][] = [];
  private width = -1;
  private height = -1;

  constructor(zones: Readonly<Record<string, ZoneOptions>> = {}, masks: readonly Polygon[] = []) {
    for (const [name, zone] of Object.entries(zones)) {
      const errors = validateZone(name, zone, `zones.${name}`);
      if (errors.length > 0) throw new RangeError(errors.join('; '));
    }
    masks.forEach((m, i) => {
      const errors = validatePolygon(m, `masks[${i}]`);
      if (errors.length > 0) throw new RangeError(errors.join('; '));
    });
    this.zones = Object.entries(zones).map(([name, zone]) => ({
      name,
      labels: zone.objects ? new Set(zone.objects) : null,
      inertia: Math.max(1, Math.floor(zone.inertia ?? DEFAULT_ZONE_INERTIA)),
      loiterSeconds: zone.loiterSeconds,
      distances: zone.distances,
      scales: [],
      source: zone.points,
      pixels: [],
    }));
    this.names = this.zones.map((z) => z.name);
    this.maskSources = masks;
  }

  /** Whether a zone counts objects of this label at all. */
  accepts(zone: string, label: string): boolean {
    const z = this.zones.find((candidate) => candidate.name === zone);
    return z !== undefined && (z.labels === null || z.labels.has(label));
  }

  /** The labels a zone counts, out of the tracked ones (for per-zone counts that include zeros). */
  labelsOf(zone: string, tracked: readonly string[]): string[] {
    const z = this.zones.find((candidate) => candidate.name === zone);
    if (z === undefined) return [];
    return z.labels === null ? [...tracked] : tracked.filter((l) => z.labels!.has(l));
  }

  inertiaOf(zone: string): number {
    return this.zones.find((candidate) => candidate.name === zone)?.inertia ?? DEFAULT_ZONE_INERTIA;
  }

  /** Stream seconds an object may stay in the zone before it loiters; undefined when the zone does not watch that. */
  loiterSecondsOf(zone: string): number | undefined {
    return this.zones.find((candidate) => candidate.name === zone)?.loiterSeconds;
  }

  /** Whether a zone measures speed (it has `distances`). */
  measuresSpeed(zone: string): boolean {
    return this.zones.find((candidate) => candidate.name === zone)?.distances !== undefined;
  }

  /**
   * Metres per pixel at (x, y) in a zone with `distances`, Frigate's approximation of the ground plane: each edge's
   * metres per pixel, interpolated between opposite edges by where the point lies in the zone, then averaged.
   */
  metresPerPixel(zone: string, x: number, y: number, srcWidth: number, srcHeight: number): number | undefined {
    this.resolve(srcWidth, srcHeight);
    const z = this.zones.find((candidate) => candidate.name === zone);
    if (z === undefined || z.scales.length !== 4) return undefined;
    const [a, b, , d] = z.pixels;
    const [ab, bc, cd, da] = z.scales;
    const clamp = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0.5);
    const xn = clamp((x - a[0]) / (b[0] - a[0]));
    const yn = clamp((y - a[1]) / (d[1] - a[1]));
    const vertical = ab + (cd - ab) * yn;
    const horizontal = da + (bc - da) * xn;
    return (vertical + horizontal) / 2;
  }

  /** Names of the zones (accepting `label`) whose polygon holds the box's bottom-centre, in config order. */
  zonesAt(box: Box, label: string, srcWidth: number, srcHeight: number): string[] {
    this.resolve(srcWidth, srcHeight);
    const point = bottomCentre(box);
    const hits: string[] = [];
    for (const z of this.zones) {
      if ((z.labels === null || z.labels.has(label)) && pointInPolygon(point, z.pixels)) hits.push(z.name);
    }
    return hits;
  }

  /** Whether a detection at this box is to be ignored (its bottom-centre lies in a mask). */
  isMasked(box: Box, srcWidth: number, srcHeight: number): boolean {
    if (this.maskSources.length === 0) return false;
    this.resolve(srcWidth, srcHeight);
    const point = bottomCentre(box);
    return this.masks.some((m) => pointInPolygon(point, m));
  }

  private resolve(srcWidth: number, srcHeight: number): void {
    if (srcWidth === this.width && srcHeight === this.height) return;
    for (const z of this.zones) {
      z.pixels = toPixels(z.source, srcWidth, srcHeight);
      if (z.distances !== undefined && z.pixels.length === 4) {
        z.scales = z.pixels.map((p, i) => {
          const q = z.pixels[(i + 1) % 4];
          const px = Math.hypot(q[0] - p[0], q[1] - p[1]);
          return px > 0 ? z.distances![i] / px : 0;
        });
      }
    }
    this.masks = this.maskSources.map((m) => toPixels(m, srcWidth, srcHeight));
    this.width = srcWidth;
    this.height = srcHeight;
  }
}
