// Backbone features for many images: one onnxruntime session on the `features` graph, fed in batches (the backbone has
// a dynamic batch). For training and collection, on the calling thread; the service path goes through the detector.
import * as ort from 'onnxruntime-node';
import { BACKBONE } from './backbone.js';

export const EMBED_BATCH = 32;

export class Embedder {
  private closed = false;
  private constructor(private readonly session: ort.InferenceSession) {}

  /** `path`: the backbone with its features output (resolveBackbone().path). */
  static async create(path: string, threads = 2): Promise<Embedder> {
    return new Embedder(await ort.InferenceSession.create(path, { executionProviders: ['cpu'], intraOpNumThreads: threads }));
  }

  /**
   * `images`: count × 224 × 224 × 3 RGB bytes, channels last. Returns count × 1280 features. The normalisation is the
   * one the exported model does in its graph (byte / 255, then ImageNet mean and std).
   */
  async embed(images: Uint8Array, count: number, onProgress?: (done: number, total: number) => void, batch = EMBED_BATCH): Promise<Float32Array> {
    if (this.closed) throw new Error('Embedder: used after close');
    const plane = BACKBONE.width * BACKBONE.height;
    const out = new Float32Array(count * BACKBONE.featureSize);
    const tables = [0, 1, 2].map((c) => Float32Array.from({ length: 256 }, (_, v) => (Math.fround(v / 255) - BACKBONE.mean[c]!) / BACKBONE.std[c]!));
    const tensor = new Float32Array(batch * 3 * plane);
    for (let start = 0; start < count; start += batch) {
      const n = Math.min(batch, count - start);
      for (let i = 0; i < n; i++) {
        const src = (start + i) * plane * 3;
        for (let c = 0; c < 3; c++) {
          const table = tables[c]!;
          const dst = (i * 3 + c) * plane;
          for (let p = 0; p < plane; p++) tensor[dst + p] = table[images[src + p * 3 + c]!]!;
        }
      }
      const input = new ort.Tensor('float32', tensor.subarray(0, n * 3 * plane), [n, 3, BACKBONE.height, BACKBONE.width]);
      const result = await this.session.run({ [BACKBONE.input]: input }, [BACKBONE.features]);
      out.set(result[BACKBONE.features]!.data as Float32Array, start * BACKBONE.featureSize);
      onProgress?.(start + n, count);
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.release();
  }
}
