/** Max |a - b| between every pair of vector sets: shows which backends agree with each other, not only with golden. */
import type { Matrix } from '../backends/backend.js';

/** Symmetric matrix of max abs differences; NaN where shapes differ or a value is not finite. */
export function pairwiseMaxAbs(sets: readonly { name: string; vectors: Matrix }[]): { names: string[]; maxAbs: number[][] } {
  const n = sets.length;
  const maxAbs = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = sets[i].vectors;
      const b = sets[j].vectors;
      let m = 0;
      if (a.rows !== b.rows || a.dim !== b.dim) m = NaN;
      else {
        for (let k = 0; k < a.data.length; k++) {
          const d = Math.abs(a.data[k] - b.data[k]);
          if (!(d <= m)) m = Number.isNaN(d) ? NaN : d;
          if (Number.isNaN(m)) break;
        }
      }
      maxAbs[i][j] = maxAbs[j][i] = m;
    }
  }
  return { names: sets.map((s) => s.name), maxAbs };
}
