// docs/config.md is generated from the schema: it must be what the generator writes now, and every key needs a line.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configReference, referenceRows, REFERENCE_FILE } from '../../config/reference.js';
import { repoRoot } from '../helpers/assets.js';

describe('configuration reference (docs/config.md)', () => {
  it('is what `npm run docs:config` generates from the schema (regenerate it when this fails)', () => {
    const committed = readFileSync(join(repoRoot, REFERENCE_FILE), 'utf8');
    assert.ok(committed === configReference(), `${REFERENCE_FILE} is stale: run npm run docs:config`);
  });

  it('lists every key with its type and default, sections included (the camera classify section, showAll)', () => {
    const rows = new Map(referenceRows().map((r) => [r.key, r]));
    assert.deepEqual(rows.get('model.threshold'), { key: 'model.threshold', type: 'a number from 0 to 1', default: '0.3', doc: rows.get('model.threshold')!.doc });
    assert.equal(rows.get('model.path')!.default, 'required');
    assert.equal(rows.get('mqtt')!.default, '—');
    assert.equal(rows.get('cameras[].objects.track')!.default, '[person]');
    assert.equal(rows.get('cameras[].objects.showAll')!.default, 'false');
    assert.equal(rows.get('cameras[].classify.<name>.minAttempts')!.type, 'an integer >= 1');
    assert.equal(rows.get('cameras[].transport')!.type, 'one of tcp, udp');
    assert.ok(rows.has('model.preprocess.preset') && rows.has('http.authFailures.windowSeconds'));
    assert.ok([...rows.values()].every((r) => typeof r.doc === 'string' && r.doc.length > 0));
  });
});
