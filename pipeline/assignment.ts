// Optimal one-to-one assignment (Hungarian / Kuhn–Munkres with potentials, O(n²·m)). The tracker uses it instead of
// greedy matching because greedy takes the single best IoU pair first and can then strand a second track whose only
// candidate was that detection — exactly what happens when two objects cross.

/**
 * Pairs rows with columns so that the summed weight of the kept pairs is as large as possible.
 * `weights[r][c]` must be finite; pairs whose weight is at most `minWeight` are never returned (they add nothing, so
 * dropping them after the solve keeps the optimum over the valid pairs). Returns `rowToCol`, -1 for an unpaired row.
 * Deterministic: the same matrix always gives the same pairs.
 */
export function assignMaxWeight(weights: readonly (readonly number[])[], minWeight = 0): number[] {
  const rows = weights.length;
  const cols = rows === 0 ? 0 : weights[0].length;
  const rowToCol = new Array<number>(rows).fill(-1);
  if (rows === 0 || cols === 0) return rowToCol;
  for (const row of weights) {
    if (row.length !== cols) throw new RangeError('weights: every row must have the same length');
  }
  // The solver needs rows <= cols; solve the transpose when there are more rows.
  const transposed = rows > cols;
  const n = transposed ? cols : rows;
  const m = transposed ? rows : cols;
  const cost = (i: number, j: number): number => {
    const w = transposed ? weights[j][i] : weights[i][j];
    return w > minWeight ? -w : 0;
  };

  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1); // p[j]: row (1-based) assigned to column j, 0 = none
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Number.POSITIVE_INFINITY);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Number.POSITIVE_INFINITY;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = cost(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]] = u[p[j]] + delta;
          v[j] = v[j] - delta;
        } else {
          minv[j] = minv[j] - delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }

  for (let j = 1; j <= m; j++) {
    const i = p[j];
    if (i === 0) continue;
    const r = transposed ? j - 1 : i - 1;
    const c = transposed ? i - 1 : j - 1;
    if (weights[r][c] > minWeight) rowToCol[r] = c;
  }
  return rowToCol;
}
