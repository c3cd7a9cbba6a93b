import assert from 'node:assert/strict';
import { bottomCentre, isFractional, pointInPolygon, toPixels, validatePolygon } from '../../core/geometry.js';
import { validateZone, Zones } from '../../pipeline/zones.js';

describe('zones', () => {
  const square = [[100, 100], [300, 100], [300, 300], [100, 300]] as const;
  const concave = [[0, 0], [10, 0], [10, 10], [5, 5], [0, 10]] as const; // a notch cut from the bottom edge

  it('pointInPolygon: inside, outside, on an edge, in a concave notch', () => {
    assert.equal(pointInPolygon([200, 200], square), true);
    assert.equal(pointInPolygon([50, 200], square), false);
    assert.equal(pointInPolygon([300, 200], square), true, 'right edge counts as inside');
    assert.equal(pointInPolygon([100, 100], square), true, 'a vertex counts as inside');
    assert.equal(pointInPolygon([5, 8], concave), false, 'in the notch');
    assert.equal(pointInPolygon([2, 8], concave), true);
  });

  it('fractions are scaled by the source size; pixels are kept', () => {
    const frac = [[0, 0.5], [1, 0.5], [1, 1], [0, 1]] as const;
    assert.equal(isFractional(frac), true);
    assert.equal(isFractional(square), false);
    assert.deepEqual(toPixels(frac, 1280, 720), [[0, 360], [1280, 360], [1280, 720], [0, 720]]);
    assert.deepEqual(toPixels(square, 1280, 720), square);
  });

  it('an object is in a zone by its bottom-centre, not its centre', () => {
    const zones = new Zones({
      upper: { points: [[0, 0], [1, 0], [1, 0.5], [0, 0.5]] },
      lower: { points: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]] },
    });
    assert.deepEqual(bottomCentre([10, 20, 30, 60]), [20, 60]);
    // centre at y=300 (in the upper half), feet at y=400 (in the lower half)
    assert.deepEqual(zones.zonesAt([600, 200, 700, 400], 'person', 1280, 720), ['lower']);
  });

  it('re-resolves fractional zones when the source size changes', () => {
    const zones = new Zones({ right: { points: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]] } });
    const box = [700, 100, 760, 200] as const; // feet at x=730
    assert.deepEqual(zones.zonesAt([...box], 'person', 1280, 720), ['right']);
    assert.deepEqual(zones.zonesAt([...box], 'person', 1920, 1080), [], 'x=730 is left of 960');
  });

  it('a zone with objects only holds those labels', () => {
    const zones = new Zones({ drive: { points: square, objects: ['car'] } });
    assert.deepEqual(zones.zonesAt([150, 150, 250, 250], 'car', 1280, 720), ['drive']);
    assert.deepEqual(zones.zonesAt([150, 150, 250, 250], 'person', 1280, 720), []);
    assert.deepEqual(zones.labelsOf('drive', ['person', 'car']), ['car']);
  });

  it('masks ignore a box by its bottom-centre', () => {
    const zones = new Zones({}, [[[0, 0], [0.25, 0], [0.25, 1], [0, 1]]]);
    assert.equal(zones.isMasked([100, 100, 200, 300], 1280, 720), true);
    assert.equal(zones.isMasked([300, 100, 400, 300], 1280, 720), false);
    // head in the mask, feet out: kept
    assert.equal(zones.isMasked([250, 0, 450, 300], 1280, 720), false);
    assert.equal(new Zones().isMasked([0, 0, 10, 10], 1280, 720), false);
  });

  it('validatePolygon names every problem with its path', () => {
    assert.deepEqual(validatePolygon(square, 'z'), []);
    assert.deepEqual(validatePolygon([[0, 0], [1, 1]], 'zones.a.points'), ['zones.a.points: expected at least 3 points, got 2']);
    assert.deepEqual(validatePolygon([[0, 0], [1, Number.NaN], [1], [-1, 2]], 'm'), [
      'm[1]: expected [x, y] with two finite numbers',
      'm[2]: expected [x, y] with two finite numbers',
      'm[3]: coordinates must not be negative',
    ]);
    assert.deepEqual(validatePolygon('nope', 'p'), ['p: expected a list of [x, y] points']);
  });

  it('validateZone rejects the reserved name, bad labels and bad inertia; the Zones constructor throws', () => {
    assert.deepEqual(validateZone('porch', { points: square, objects: ['person'], inertia: 2 }, 'z'), []);
    assert.deepEqual(validateZone('all', { points: square, objects: [1], inertia: 0 }, 'z'), [
      "z: the zone name 'all' is reserved",
      'z.objects: expected a list of labels',
      'z.inertia: expected an integer >= 1',
    ]);
    assert.throws(() => new Zones({ bad: { points: [[0, 0], [1, 1]] } }), /zones\.bad\.points: expected at least 3 points/);
  });
});
