// A camera's `classify`, `states` and `collect` sections: which tracked objects get a second-stage classifier (sub-labels),
// which fixed crops are classified as states, and which crops are saved for teaching. This file only says what a valid
// section is and its defaults; the work is done in pipeline/ (classification) and sinks/ (collection).
import { DEFAULTS } from './defaults.js';
import { bool, checked, fraction, list, num, obj, optional, record, str, withDefault } from './schema-kit.js';

const C = DEFAULTS.classify;
const S = DEFAULTS.state;
const K = DEFAULTS.collect;

const count = (min: number, what = `an integer >= ${min}`) => num({ min, integer: true, what });
const seconds = (min: number, max: number) => num({ min, max, what: `a number of seconds from ${min} to ${max}` });

/** `classify.<label>`: the model that gives tracked objects of <label> their sub-label, and the consensus rule. */
export const classifyEntrySchema = obj({
  /** a classifier: a path to an .onnx file (labels beside it as NAME.labels.txt) or the name of a trained model */
  model: str(),
  threshold: withDefault(fraction(), C.threshold),
  minAttempts: withDefault(count(1), C.minAttempts),
  minAgree: withDefault(fraction(), C.minAgree),
  maxAttempts: withDefault(count(1), C.maxAttempts),
  /** stream seconds between attempts on later frames while the consensus is undecided */
  intervalSeconds: withDefault(seconds(0, 3600), C.intervalSeconds),
});

/** A box in the camera's source pixels: [x1, y1, x2, y2] with x1 < x2 and y1 < y2. */
export type PixelBox = [number, number, number, number];
const pixelBox = () =>
  checked<PixelBox>((v, path) => {
    const ok = Array.isArray(v) && v.length === 4 && v.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0);
    if (!ok) return [`${path}: expected [x1, y1, x2, y2], four pixel coordinates >= 0`];
    const [x1, y1, x2, y2] = v as number[];
    return x1 < x2 && y1 < y2 ? [] : [`${path}: expected x1 < x2 and y1 < y2, got [${(v as number[]).join(', ')}]`];
  }, '[x1, y1, x2, y2] in source pixels');

/** `states.<name>`: a fixed crop of the camera whose class is a state (gate open/closed). */
export const stateSchema = obj({
  box: pixelBox(),
  /** the classifier; without one the crop is only collected (see `collect`) */
  model: optional(str()),
  intervalSeconds: withDefault(seconds(0.1, 86_400), S.intervalSeconds),
  /** identical results in a row before a change is published */
  consecutive: withDefault(count(1), S.consecutive),
  /** also classify (and collect) when motion touches the crop */
  onMotion: withDefault(bool(), S.onMotion),
});

const NAME = { keyPattern: /^[a-z0-9_-]+$/, keyText: '[a-z0-9_-]+' };
const LABEL = { keyPattern: /^[A-Za-z0-9_ -]+$/, keyText: 'letters, digits, spaces, _ or -' };

export const classifySchema = record(classifyEntrySchema, LABEL);
export const statesSchema = record(stateSchema, NAME);

/** `collect`: crops of tracked objects (and state crops) saved as JPEG + JSON sidecar under `<dir>/unlabelled/`. */
export const collectSchema = obj({
  enabled: withDefault(bool(), K.enabled),
  /** labels whose objects are collected (default: the camera's tracked labels) */
  labels: optional(list(str({ pattern: /^[A-Za-z0-9_ -]+$/, patternText: 'letters, digits, spaces, _ or -' }))),
  dir: withDefault(str(), K.dir),
  maxPerClass: withDefault(count(1), K.maxPerClass),
  maxBytes: withDefault(count(0, 'a number of bytes >= 0 (0: no limit)'), K.maxBytes),
  margin: withDefault(num({ min: 0, max: 2, what: 'a number from 0 to 2' }), K.margin),
  stateIntervalSeconds: withDefault(seconds(1, 86_400), K.stateIntervalSeconds),
  duplicateSimilarity: withDefault(fraction(), K.duplicateSimilarity),
});

export const defaultCollect = () => ({ ...K });
