// Starts tfjs on its wasm backend (XNNPACK, SIMD) from the .wasm files inside node_modules: no network, no native add-on.
// tfjs-node would be faster but downloads a native library at install; the cpu backend trains a small CNN at ~7 images/s.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradients } from './wasm-gradients.js';

/** The folder holding tfjs-backend-wasm's .wasm files, with a trailing slash (setWasmPaths joins names onto it). */
export function wasmFilesDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
}

/** Makes `wasm` the tfjs backend, with the gradients it lacks. Idempotent. */
export async function useWasmBackend(): Promise<void> {
  registerWasmGradients();
  // not tf.getBackend(): asking would start the default (cpu) backend first, which prints tfjs's tfjs-node advert
  if (started) return tf.setBackend('wasm').then(() => undefined);
  // A plain path: in Node the emscripten loader reads the file with fs (a file:// URL would go to fetch).
  setWasmPaths(wasmFilesDir());
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend failed to start');
  await tf.ready();
  started = true;
}
let started = false;
