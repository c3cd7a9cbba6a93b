import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, exitCodeFor, LookoutError } from '../../core/errors.js';

const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

describe('error codes', () => {
  it('are unique, prefixed and documented in docs/errors.md', () => {
    const codes = Object.keys(ERROR_CODES);
    assert.equal(new Set(codes).size, codes.length);
    for (const code of codes) {
      assert.match(code, /^LOOKOUT_ERR_[A-Z_]+$/);
      assert.ok(docs.includes(`\`${code}\``), `${code} is documented`);
    }
  });
  it('documents no code that does not exist', () => {
    const documented = [...docs.matchAll(/`(LOOKOUT_ERR_[A-Z_]+)`/g)].map((m) => m[1]);
    for (const code of documented) assert.ok(code in ERROR_CODES, `${code} exists`);
  });
  it('map usage and config errors to exit 2, the rest to 1', () => {
    assert.equal(exitCodeFor('LOOKOUT_ERR_CONFIG'), 2);
    assert.equal(exitCodeFor('LOOKOUT_ERR_USAGE'), 2);
    assert.equal(exitCodeFor('LOOKOUT_ERR_MODEL_LOAD'), 1);
    const e = new LookoutError('LOOKOUT_ERR_MEDIA', 'x');
    assert.equal(e.code, 'LOOKOUT_ERR_MEDIA');
    assert.ok(e instanceof Error);
  });
});
