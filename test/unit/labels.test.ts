import { strict as assert } from 'node:assert';
import { checkLabelCount, labelFor, parseLabels } from '../../models/labels.js';
import { LookoutError } from '../../core/errors.js';

describe('labels', () => {
  describe('parseLabels', () => {
    it('reads one trimmed label a line and drops trailing blank lines', () => {
      // given a file with CRLF endings, padding and blank lines at the end
      const labels = parseLabels('person\r\nbicycle\n  car  \n\n \n');
      // then there is one label per class line, trimmed
      assert.deepEqual(labels, ['person', 'bicycle', 'car']);
    });

    it('keeps blank lines inside the file so class ids do not shift', () => {
      assert.deepEqual(parseLabels('a\n\nc\n'), ['a', '', 'c']);
    });

    it('ignores a byte-order mark and reads an empty file as no labels', () => {
      assert.deepEqual(parseLabels('\uFEFFzero\none'), ['zero', 'one']);
      assert.deepEqual(parseLabels(''), []);
    });
  });

  describe('labelFor', () => {
    it('names a class by its label, else class<N>', () => {
      const labels = ['person', '', 'car'];
      assert.equal(labelFor(labels, 2), 'car');
      // a blank line and an id beyond the file both fall back
      assert.equal(labelFor(labels, 1), 'class1');
      assert.equal(labelFor(labels, 7), 'class7');
      assert.equal(labelFor([], 0), 'class0');
    });
  });

  describe('checkLabelCount', () => {
    it('accepts a matching file and no file at all', () => {
      assert.doesNotThrow(() => checkLabelCount(['a', 'b'], 2, 'm'));
      assert.doesNotThrow(() => checkLabelCount([], 80, 'm'));
    });

    it('throws LOOKOUT_ERR_LABELS naming the model and both counts', () => {
      // given 3 labels for an 80-class model
      // when checked, then the error says which model and how many of each
      assert.throws(
        () => checkLabelCount(['a', 'b', 'c'], 80, 'yolox'),
        (err: unknown) => err instanceof LookoutError && err.code === 'LOOKOUT_ERR_LABELS' && /^yolox: .*3 labels.*80 classes/.test(err.message),
      );
    });
  });
});
