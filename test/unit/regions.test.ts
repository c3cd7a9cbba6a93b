import assert from 'node:assert/strict';
import type { Box } from '../../core/types.js';
import { planRegions, type RegionOptions } from '../../pipeline/regions.js';

const hd: RegionOptions = { modelSize: 416, srcWidth: 1920, srcHeight: 1080 };
const regionsOf = (boxes: Box[], opts = hd): Box[] => {
  const plan = planRegions(boxes, opts);
  assert.equal(plan.full, false, 'expected regions, got a full-frame plan');
  return plan.full ? [] : plan.regions;
};

describe('planRegions', () => {
  it('nothing to look at: no regions', () => {
    assert.deepEqual(regionsOf([]), []);
  });

  it('a small box gets one model-sized square centred on it, at source scale', () => {
    assert.deepEqual(regionsOf([[900, 500, 940, 580]]), [[712, 332, 1128, 748]]);
  });

  it('a region near an edge is shifted inside the frame, keeping its size', () => {
    assert.deepEqual(regionsOf([[0, 1040, 30, 1080]]), [[0, 664, 416, 1080]]);
    assert.deepEqual(regionsOf([[1900, 0, 1920, 20]]), [[1504, 0, 1920, 416]]);
  });

  it('a box bigger than the model input gets a square around it with a margin', () => {
    const [r] = regionsOf([[400, 200, 900, 700]]);
    assert.equal(r[2] - r[0], 600);
    assert.equal(r[3] - r[1], 600);
    assert.ok(r[0] <= 400 && r[1] <= 200 && r[2] >= 900 && r[3] >= 700, `${r} holds the box`);
  });

  it('merges overlapping regions into one square around both; keeps distant ones apart', () => {
    const near = regionsOf([[800, 500, 840, 560], [1000, 520, 1040, 580]]);
    assert.equal(near.length, 1);
    const [r] = near;
    assert.ok(r[0] <= 800 && r[2] >= 1040 && r[2] - r[0] === r[3] - r[1], `one square ${r} holds both`);
    assert.equal(regionsOf([[100, 100, 140, 160], [1700, 900, 1740, 960]]).length, 2);
  });

  it('falls back to one full-frame inference when regions would cover most of the frame, or a box fits no square', () => {
    const spread: Box[] = [[100, 100, 140, 140], [700, 100, 740, 140], [1300, 100, 1340, 140], [100, 800, 140, 840], [700, 800, 740, 840], [1300, 800, 1340, 840]];
    // six separate 416² squares: half of a 1920×1080 frame
    assert.deepEqual(planRegions(spread, { ...hd, fullFraction: 0.45 }), { full: true });
    const apart = planRegions(spread, { ...hd, fullFraction: 0.55 });
    assert.equal(apart.full ? 0 : apart.regions.length, 6);
    assert.deepEqual(planRegions([[0, 0, 1900, 300]], hd), { full: true });
  });

  it('a picture smaller than the model input: regions are its short side', () => {
    assert.deepEqual(regionsOf([[10, 10, 20, 20]], { modelSize: 416, srcWidth: 320, srcHeight: 240, fullFraction: 1 }), [[0, 0, 240, 240]]);
  });

  it('refuses sizes that are not positive', () => {
    assert.throws(() => planRegions([], { ...hd, modelSize: 0 }), RangeError);
  });
});
