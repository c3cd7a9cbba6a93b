// The arg-max over a run of class scores, shared by the decoders whose rows are `[box…, obj, class scores…]`.

/** Index (0-based, relative to `from`) of the highest of `d[from] … d[from + classes - 1]`; the first on ties. */
export function bestClass(d: Float32Array, from: number, classes: number): number {
  let best = 0;
  let top = -Infinity;
  for (let c = 0; c < classes; c++) {
    const v = d[from + c]!;
    if (v > top) {
      top = v;
      best = c;
    }
  }
  return best;
}
