import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.js';
import { isLookoutError } from '../../core/errors.js';
import { lineModelLabelProblems } from '../../config/lines.js';

const withCamera = (camera: Record<string, unknown>) => ({ model: { path: 'yolox-nano' }, cameras: [{ name: 'front', url: 'clips/front.mp4', ...camera }] });
const door = (line: Record<string, unknown>) => withCamera({ lines: { door: { points: [[0.2, 0.5], [0.8, 0.5]], ...line } } });

function configError(raw: unknown): string {
  try {
    parseConfig(raw, { env: {}, baseDir: '/cfg' });
  } catch (err) {
    assert.ok(isLookoutError(err));
    assert.equal(err.code, 'LOOKOUT_ERR_CONFIG');
    return err.message;
  }
  assert.fail('expected the config to be rejected');
}

describe('config: lines and loitering', () => {
  it('a line gets its defaults; zones take loiterSeconds', () => {
    const c = parseConfig(withCamera({ lines: { door: { points: [[0.2, 0.5], [0.8, 0.5]] } }, zones: { porch: { points: [[0, 0], [1, 0], [1, 1]], loiterSeconds: 30 } } }), { env: {} });
    assert.deepEqual(c.cameras[0].lines.door, { points: [[0.2, 0.5], [0.8, 0.5]], direction: 'both', anchor: 'bottom_center', minFrames: 3, minDistance: 0, resetAt: '00:00', show: true });
    assert.equal(c.cameras[0].zones.porch.loiterSeconds, 30);
    assert.deepEqual(parseConfig(withCamera({}), { env: {} }).cameras[0].lines, {});
  });

  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['points missing', { points: undefined }, /cameras\[0\]\.lines\.door\.points: is required/],
    ['one point', { points: [[0.2, 0.5]] }, /cameras\[0\]\.lines\.door\.points: expected exactly 2 points, got 1/],
    ['three points', { points: [[0, 0], [1, 1], [0, 1]] }, /cameras\[0\]\.lines\.door\.points: expected exactly 2 points, got 3/],
    ['not a list', { points: 'across' }, /cameras\[0\]\.lines\.door\.points: expected two \[x, y\] points/],
    ['a bad point', { points: [[0.2, 'x'], [0.8, 0.5]] }, /cameras\[0\]\.lines\.door\.points\[0\]: expected \[x, y\] with two finite numbers/],
    ['negative', { points: [[-0.1, 0.5], [0.8, 0.5]] }, /cameras\[0\]\.lines\.door\.points\[0\]: coordinates must not be negative/],
    ['same point twice', { points: [[0.5, 0.5], [0.5, 0.5]] }, /cameras\[0\]\.lines\.door\.points: the two points must differ/],
    ['a fraction outside the picture', { points: [[0.2, 0.5], [1.2, 0.5]] }, /cameras\[0\]\.lines\.door\.points: mixes fractions \(0\.\.1\) and pixels; fractional points must lie inside the picture/],
    ['unknown direction', { direction: 'up' }, /cameras\[0\]\.lines\.door\.direction: must be one of both, a_to_b, b_to_a, got string "up"/],
    ['unknown anchor', { anchor: 'top' }, /cameras\[0\]\.lines\.door\.anchor: must be one of bottom_center, center/],
    ['minFrames 0', { minFrames: 0 }, /cameras\[0\]\.lines\.door\.minFrames: must be an integer from 1 to 1000, got 0/],
    ['negative minDistance', { minDistance: -5 }, /cameras\[0\]\.lines\.door\.minDistance: must be a number of pixels >= 0, got -5/],
    ['resetAt 24:00', { resetAt: '24:00' }, /cameras\[0\]\.lines\.door\.resetAt: must match HH:MM \(00:00 to 23:59\), got "24:00"/],
    ['unknown key', { colour: 'red' }, /cameras\[0\]\.lines\.door\.colour: unknown setting/],
    ['a label the camera does not track', { labels: ['person', 'car'] }, /cameras\[0\]\.lines\.door\.labels\[1\]: 'car' is not tracked by this camera \(objects\.track: person\)/],
    ['empty labels', { labels: [] }, /cameras\[0\]\.lines\.door\.labels: must have at least 1 item/],
  ];
  for (const [what, line, expected] of cases) {
    it(`rejects ${what}, naming the path`, () => {
      assert.match(configError(door(line)), expected);
    });
  }

  it('rejects a bad line name, a bad loiterSeconds and bad zone distances, naming the path', () => {
    assert.match(configError(withCamera({ lines: { 'Front Door': { points: [[0, 0], [1, 1]] } } })), /cameras\[0\]\.lines\.Front Door: name must match \[a-z0-9_-\]\+/);
    assert.match(configError(withCamera({ zones: { porch: { points: [[0, 0], [1, 0], [1, 1]], loiterSeconds: 0 } } })), /cameras\[0\]\.zones\.porch\.loiterSeconds: must be a number of seconds > 0, got 0/);
    assert.match(configError(withCamera({ zones: { road: { points: [[0, 0], [1, 0], [1, 1]], distances: [5, 5, 5, 5] } } })), /cameras\[0\]\.zones\.road\.distances: needs a zone of exactly 4 points, got 3/);
    assert.match(configError(withCamera({ zones: { road: { points: [[0, 0], [1, 0], [1, 1], [0, 1]], distances: [5, 5, 5] } } })), /cameras\[0\]\.zones\.road\.distances: must have at least 4 item/);
    assert.match(configError(withCamera({ zones: { road: { points: [[0, 0], [1, 0], [1, 1], [0, 1]], distances: [5, 5, 5, 5, 5] } } })), /cameras\[0\]\.zones\.road\.distances: expected 4 lengths, one per edge, got 5/);
    assert.match(configError(withCamera({ zones: { road: { points: [[0, 0], [1, 0], [1, 1], [0, 1]], distances: [5, 0, 5, 5] } } })), /cameras\[0\]\.zones\.road\.distances\[1\]: must be a length in metres > 0, got 0/);
  });

  it('a label tracked by the camera is fine, and pixel lines are fine', () => {
    const c = parseConfig(withCamera({ objects: { track: ['person', 'car'] }, lines: { gate: { points: [[100, 400], [900, 420]], labels: ['car'] } } }), { env: {} });
    assert.deepEqual(c.cameras[0].lines.gate.labels, ['car']);
  });

  it("once the model is loaded: a line counting a label the model does not have is named; unknown model labels check nothing", () => {
    const c = parseConfig(withCamera({ objects: { track: ['person', 'forklift'] }, lines: { dock: { points: [[0, 0.5], [1, 0.5]] }, door: { points: [[0, 0.2], [1, 0.2]], labels: ['person'] } } }), { env: {} });
    assert.deepEqual(lineModelLabelProblems(c.cameras, ['person', 'car']), ["cameras[0].lines.dock.labels: 'forklift' not among the model's labels (person, car)"]);
    assert.deepEqual(lineModelLabelProblems(c.cameras, ['person', 'forklift']), []);
    assert.deepEqual(lineModelLabelProblems(c.cameras, []), []);
  });
});
