// The built-in model adapters by the name config uses for them.
import { LookoutError } from '../../core/errors.js';
import type { AdapterFactory, AdapterOptions, ModelAdapter, ModelIO } from '../adapter.js';
import { classifier } from './classifier.js';
import { fastestdet } from './fastestdet.js';
import { ultraface } from './ultraface.js';
import { ultralytics } from './ultralytics.js';
import { yolox } from './yolox.js';

import { ADAPTER_NAMES, type AdapterName } from '../../config/defaults.js';

export { ADAPTER_NAMES, type AdapterName };

const FACTORIES: Readonly<Record<AdapterName, AdapterFactory>> = { yolox, fastestdet, ultralytics, ultraface, classifier };

/** The names this registry has a factory for (a unit test checks they are config's ADAPTER_NAMES). */
export function builtInAdapterNames(): string[] {
  return Object.keys(FACTORIES);
}

export function isAdapterName(name: string): name is AdapterName {
  return (ADAPTER_NAMES as readonly string[]).includes(name);
}

function checkOptions(options: AdapterOptions): void {
  const unit = (name: 'threshold' | 'iou') => {
    const v = options[name];
    if (!(typeof v === 'number' && v >= 0 && v <= 1)) throw new RangeError(`options.${name}: expected a number in 0..1, got ${v}`);
  };
  unit('threshold');
  unit('iou');
  if (!(Number.isInteger(options.topK) && options.topK >= 1)) throw new RangeError(`options.topK: expected a positive integer, got ${options.topK}`);
  if (!Array.isArray(options.labels)) throw new TypeError('options.labels: expected an array of strings');
}

/** Builds the adapter `name` for a model with these inputs and outputs; throws a coded error when they do not fit it. */
export function createAdapter(name: string, io: ModelIO, options: AdapterOptions): ModelAdapter {
  if (!isAdapterName(name)) {
    throw new LookoutError('LOOKOUT_ERR_ADAPTER', `unknown model adapter "${name}"; known adapters: ${ADAPTER_NAMES.join(', ')}`);
  }
  checkOptions(options);
  return FACTORIES[name](io, options);
}
