import { strict as assert } from 'node:assert';
import { iou } from '../../core/geometry.js';
import { nms, type Scored } from '../../models/nms.js';
import type { Box } from '../../core/types.js';

const det = (score: number, classId: number, box: Box): Scored => ({ score, classId, box });

describe('iou', () => {
  it('is 1 for the same box, 0 for disjoint or touching boxes', () => {
    assert.equal(iou([0, 0, 2, 2], [0, 0, 2, 2]), 1);
    assert.equal(iou([0, 0, 2, 2], [5, 5, 6, 6]), 0);
    assert.equal(iou([0, 0, 2, 2], [2, 0, 4, 2]), 0);
  });

  it('is intersection over union for a partial overlap', () => {
    // given two 2x2 boxes overlapping in a 1x2 strip: intersection 2, union 4 + 4 - 2 = 6
    assert.equal(iou([0, 0, 2, 2], [1, 0, 3, 2]), 1 / 3);
  });

  it('is 0 when a box has no area', () => {
    assert.equal(iou([1, 1, 1, 1], [1, 1, 1, 1]), 0);
  });
});

describe('nms', () => {
  it('drops a same-class box whose overlap with a better one is above the threshold', () => {
    // given two same-class boxes with IoU 1/3
    const a = det(0.9, 0, [0, 0, 2, 2]);
    const b = det(0.8, 0, [1, 0, 3, 2]);
    // when suppressed at 0.3, then only the better one is left
    assert.deepEqual(nms([b, a], 0.3), [a]);
  });

  it('keeps both when the overlap is at or below the threshold, best first', () => {
    const a = det(0.9, 0, [0, 0, 2, 2]);
    const b = det(0.8, 0, [1, 0, 3, 2]);
    assert.deepEqual(nms([b, a], 0.5), [a, b]);
    // IoU exactly at the threshold is not "above" it
    assert.deepEqual(nms([b, a], 1 / 3), [a, b]);
  });

  it('per class: boxes of different classes never suppress each other', () => {
    const person = det(0.9, 0, [0, 0, 10, 10]);
    const dog = det(0.7, 1, [0, 0, 10, 10]);
    assert.deepEqual(nms([dog, person], 0.45), [person, dog]);
  });

  it('class-agnostic: the best box suppresses overlapping boxes of any class', () => {
    const person = det(0.9, 0, [0, 0, 10, 10]);
    const dog = det(0.7, 1, [0, 0, 10, 10]);
    assert.deepEqual(nms([dog, person], 0.45, { classAgnostic: true }), [person]);
  });

  it('a suppressed box does not suppress others (greedy)', () => {
    // given a chain a–b–c where a overlaps b and b overlaps c, but a and c do not overlap
    const a = det(0.9, 0, [0, 0, 4, 4]);
    const b = det(0.8, 0, [2, 0, 6, 4]);
    const c = det(0.7, 0, [4.5, 0, 8.5, 4]);
    // when suppressed at 0.2 (a–b IoU 8/24, b–c IoU 6/26, a–c 0)
    // then b goes, and c stays because only a kept box may suppress
    assert.deepEqual(nms([c, b, a], 0.2), [a, c]);
  });

  it('returns the same objects sorted by score, and stops at maxDetections', () => {
    const items = [det(0.1, 0, [0, 0, 1, 1]), det(0.5, 0, [2, 2, 3, 3]), det(0.3, 0, [4, 4, 5, 5])];
    const kept = nms(items, 0.5);
    assert.deepEqual(kept.map((d) => d.score), [0.5, 0.3, 0.1]);
    assert.equal(kept[0], items[1]);
    assert.deepEqual(nms(items, 0.5, { maxDetections: 2 }).map((d) => d.score), [0.5, 0.3]);
    assert.deepEqual(nms([], 0.5), []);
  });
});
