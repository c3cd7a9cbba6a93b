import assert from 'node:assert/strict';
import { computedScore, DetectionFilter, labelFilter, median } from '../../pipeline/filters.js';
import { Zones } from '../../pipeline/zones.js';
import type { Box, Detection } from '../../core/types.js';

const det = (label: string, score: number, box: Box = [0, 0, 100, 100]): Detection => ({ label, classId: 0, score, box });

describe('filters', () => {
  it('median of odd and even counts, and of nothing', () => {
    assert.equal(median([0.9, 0.1, 0.5]), 0.5);
    assert.equal(median([0.2, 0.8, 0.4, 0.6]), 0.5);
    assert.equal(median([]), 0);
  });

  it('computedScore pads short histories with zeros, so one good frame is not enough', () => {
    assert.equal(computedScore([0.95]), 0);
    assert.equal(computedScore([0.95, 0.9]), 0.9);
    assert.equal(computedScore([0.95, 0, 0, 0.9]), 0.45);
  });

  it('labelFilter fills what a label leaves out from the defaults', () => {
    assert.deepEqual(labelFilter({ track: ['car'], filters: { car: { threshold: 0.8 } } }, 'car'), {
      threshold: 0.8,
      minScore: 0.5,
      minArea: 0,
      maxArea: 24_000_000,
    });
  });

  it('drops untracked labels, splits by minScore/lowScore, and applies the area range (pixels or fractions)', () => {
    const filter = new DetectionFilter(
      { track: ['person', 'car'], filters: { person: { minScore: 0.6, minArea: 1000 }, car: { maxArea: 0.5 } } },
      0.2,
    );
    const { high, low } = filter.split(
      [
        det('dog', 0.99),
        det('person', 0.7),
        det('person', 0.5), // low: 0.2 <= 0.5 < 0.6
        det('person', 0.1), // under lowScore: gone
        det('person', 0.9, [0, 0, 20, 20]), // 400 px < minArea
        det('car', 0.9, [0, 0, 1000, 700]), // 700 000 px > half of 1280x720
        det('car', 0.9, [0, 0, 600, 500]),
      ],
      1280,
      720,
    );
    assert.deepEqual(high.map((d) => [d.label, d.score, d.box[2]]), [['person', 0.7, 100], ['car', 0.9, 600]]);
    assert.deepEqual(low.map((d) => [d.label, d.score]), [['person', 0.5]]);
  });

  it('drops detections whose bottom-centre is in a mask, high or low', () => {
    const zones = new Zones({}, [[[0, 0], [200, 0], [200, 720], [0, 720]]]);
    const filter = new DetectionFilter({ track: ['person'], filters: {} }, 0.1, zones);
    const { high, low } = filter.split([det('person', 0.9, [50, 0, 150, 100]), det('person', 0.3, [50, 0, 150, 100]), det('person', 0.9, [300, 0, 400, 100])], 1280, 720);
    assert.deepEqual(high.map((d) => d.box[0]), [300]);
    assert.equal(low.length, 0);
  });
});
