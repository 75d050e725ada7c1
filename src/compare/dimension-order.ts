/**
 * The hypothesis "the backend's dimensions are the golden's in another order" (a permuted or
 * shifted output, a transposed head), tested: each backend dimension is matched with the golden
 * dimension closest to it over the rows. When that match is a permutation other than the identity
 * and every matched pair agrees far better than the backend agrees with the golden as it stands,
 * the order is the difference, and the finding names the moves.
 */
import type { Matrix } from '../numeric/matrix.js';
import type { Metrics } from './metric-types.js';
import type { Finding } from './finding.js';
import { fmt } from '../numeric/format.js';

/** Rows used for the match (the first ones): enough to tell dimensions apart, bounded cost. */
export const ORDER_MAX_ROWS = 64;
/** Dimensions above this are not matched (the test is quadratic in dims). */
export const ORDER_MAX_DIMS = 2048;
/** A matched pair agrees when its max abs is at most this fraction of the unmatched max abs. */
export const ORDER_MATCH_FRACTION = 1e-2;

export function dimensionOrderFinding(golden: Matrix, actual: Matrix, metrics: Metrics): Finding | null {
  const D = actual.dim;
  if (golden.dim !== D || golden.rows !== actual.rows || D < 2 || D > ORDER_MAX_DIMS || !(metrics.maxAbs > 0)) return null;
  const rows = Math.min(actual.rows, ORDER_MAX_ROWS);
  const bound = ORDER_MATCH_FRACTION * metrics.maxAbs;
  const source = new Int32Array(D).fill(-1);
  let worst = 0;
  for (let d = 0; d < D; d++) {
    let best = Infinity;
    let at = -1;
    for (let p = 0; p < D; p++) {
      let m = 0;
      for (let r = 0; r < rows && m < best; r++) m = Math.max(m, Math.abs(actual.data[r * D + d] - golden.data[r * D + p]));
      if (m < best) {
        best = m;
        at = p;
      }
    }
    if (!(best <= bound)) return null;
    source[d] = at;
    worst = Math.max(worst, best);
  }
  if (new Set(source).size !== D) return null;
  const moved: number[] = [];
  for (let d = 0; d < D; d++) if (source[d] !== d) moved.push(d);
  if (moved.length === 0) return null;
  const shift = (source[0] - 0 + D) % D;
  const isShift = moved.length === D && Array.from(source).every((p, d) => p === (d + shift) % D);
  const what = isShift
    ? `every dimension is shifted: backend dim d holds golden dim (d + ${shift}) mod ${D}`
    : `${moved.length} of ${D} dimensions are permuted (${moved.slice(0, 6).map((d) => `backend ${d} = golden ${source[d]}`).join(', ')}${moved.length > 6 ? ', …' : ''})`;
  return {
    cause: 'dimension-order',
    confidence: 'confirmed',
    text: `${what} — the output's dimensions are in another order (a transposed or permuted output, an offset slice)`,
    evidence: `each backend dimension matched to the closest golden dimension over ${rows} rows: every pair within ${fmt(worst)}, against max abs ${fmt(metrics.maxAbs)} unmatched`,
  };
}
