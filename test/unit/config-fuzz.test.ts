// Fuzzing the config loader (issue 18): random and mutated YAML/JSON documents through the parser and validator. The
// only thing that may come out of a bad document is a LookoutError with a config code: never another exception, never
// a hang. A few seconds each; `LOOKOUT_FUZZ_SEED=<n>` replays a run (fast-check prints the seed of a failure).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseConfigText } from '../../config/load.js';
import { isLookoutError } from '../../core/errors.js';

const seed = process.env.LOOKOUT_FUZZ_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.LOOKOUT_FUZZ_SEED);
const BUDGET_MS = Number(process.env.LOOKOUT_FUZZ_MS ?? 3000);

/** A config using most of the schema, so that mutations land on real paths. */
const VALID = {
  model: { path: 'm.onnx', adapter: 'ultralytics', labels: 'labels.txt', threshold: 0.5, providers: ['cpu'], batch: { maxSize: 2, maxWaitMs: 10 } },
  cameras: [
    {
      name: 'door',
      url: 'rtsp://user:${CAM_PW}@10.0.0.5/live',
      fps: 5,
      inputArgs: ['-headers', 'Authorization: Bearer x'],
      objects: { track: ['person'] },
      zones: { porch: { points: [[0, 0], [0.5, 0], [0.5, 1]] } },
      tracker: { maxDisappearedSeconds: 2 },
    },
    { name: 'yard', url: 'clips/yard.mp4', loop: true },
  ],
  mqtt: { url: 'mqtt://127.0.0.1:1883', username: 'u', password: '${MQTT_PW}', commands: { acceptRetained: false }, discovery: { enabled: true } },
  http: { host: '127.0.0.1', port: 8080 },
  websocket: { port: 8081 },
  log: { level: 'info' },
};
const ENV = { CAM_PW: 'pw', MQTT_PW: 'pw2' };

/** Every path into VALID (objects and arrays), for mutations. */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (v === null || typeof v !== 'object') return [prefix];
  const keys: (string | number)[] = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  return [prefix, ...keys.flatMap((k) => paths((v as Record<string | number, unknown>)[k], [...prefix, k]))];
}
const PATHS = paths(VALID).filter((p) => p.length > 0);

function setPath(root: unknown, path: (string | number)[], value: unknown, remove: boolean): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let at = copy;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (remove) delete at[last];
  else at[last] = value;
  return copy;
}

/** Runs `text` through the loader; anything but a Config or a config LookoutError fails the property. */
function load(text: string): void {
  try {
    parseConfigText(text, '/fuzz/lookout.yaml', ENV);
  } catch (err) {
    if (isLookoutError(err) && (err.code === 'LOOKOUT_ERR_CONFIG' || err.code === 'LOOKOUT_ERR_CONFIG_READ')) {
      assert.ok(err.message.length < 100_000, 'a bounded message');
      return;
    }
    throw err;
  }
}

// values that reach odd corners: prototype keys, huge and negative numbers, NaN-ish strings, ${} references
const nasty = fc.oneof(
  fc.anything({ maxDepth: 3, withObjectString: true, withNullPrototype: true }),
  fc.constantFrom('__proto__', 'constructor', '${', '${UNSET}', '$${X}', 'NaN', '-0', '1e400', '', ' ', '\u0000', 'rtsp://', 'mqtt://:@'),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 0, 1e308, -1e308, 0.5),
  fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'x'), fc.jsonValue(), { maxKeys: 3 }),
);

function run(name: string, arb: fc.Arbitrary<string>): void {
  let count = 0;
  const started = performance.now();
  fc.assert(
    fc.property(arb, (text) => {
      count++;
      load(text);
    }),
    { seed, numRuns: 1_000_000, interruptAfterTimeLimit: BUDGET_MS },
  );
  const secs = (performance.now() - started) / 1000;
  console.log(`      ${name}: ${count} documents in ${secs.toFixed(1)} s (${Math.round(count / secs)}/s, seed ${seed})`);
  assert.ok(count > 10, 'the fuzzer ran');
}

describe('config fuzz (random and mutated YAML/JSON through the loader and validator)', function () {
  this.timeout(4 * BUDGET_MS + 20000);

  it('the valid base document loads (so mutations start from something real)', () => {
    assert.equal(parseConfigText(JSON.stringify(VALID), '/fuzz/lookout.yaml', ENV).cameras.length, 2);
  });

  it('random JSON values and random text: only config errors', () => {
    run('random', fc.oneof(fc.json({ maxDepth: 4 }), fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 })));
  });

  it('the valid config with one or more paths replaced or removed: only config errors', () => {
    const mutation = fc.record({ path: fc.constantFrom(...PATHS), value: nasty, remove: fc.boolean() });
    const arb = fc.array(mutation, { minLength: 1, maxLength: 4 }).chain((ms) =>
      fc.constantFrom('json', 'yaml').map((fmt) => {
        let doc: unknown = VALID;
        for (const m of ms) {
          try {
            doc = setPath(doc, m.path, m.value, m.remove);
          } catch {
            // an earlier mutation removed the parent: keep the document as it is
          }
        }
        try {
          return fmt === 'json' ? JSON.stringify(doc) : stringify(doc);
        } catch {
          return String(doc);
        }
      }),
    );
    run('mutated values', arb);
  });

  it('the valid YAML text with bytes inserted, deleted or replaced, and YAML bombs: only config errors', () => {
    const text = stringify(VALID);
    const edit = fc.record({ at: fc.nat({ max: text.length }), del: fc.nat({ max: 8 }), ins: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(':', '- ', '{', '[', '&a ', '*a', '!!binary ', '<<: *a', '\t', '"', '\n  ', '%YAML 1.1\n---\n')) });
    const mutated = fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => edits.reduce((t, e) => t.slice(0, e.at) + e.ins + t.slice(e.at + e.del), text));
    // anchors that expand exponentially, and deep nesting: must be refused, not expanded
    const bomb = fc.nat({ max: 12 }).map((n) => ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: n }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`), 'model: { path: m.onnx }', 'cameras: []'].join('\n'));
    const deep = fc.nat({ max: 1000 }).map((n) => `model: ${'['.repeat(n)}${']'.repeat(n)}\n`);
    run('mutated text', fc.oneof(mutated, bomb, deep));
  });
});
