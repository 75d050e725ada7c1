/**
 * Suspected faults tested by re-embedding: the caller re-embeds a few texts with a trusted model
 * under each hypothesis (CLS pooling instead of mean, token_type_ids of ones, the attention mask
 * ignored, position ids offset, the text cut shorter, …) and this module judges which, if any, the
 * backend's rows match. A hypothesis is confirmed when the backend agrees with its vectors far
 * better than with the golden's; only the best one is named, and only when it is clearly best.
 */
import type { Matrix } from '../numeric/matrix.js';
import type { Cause, Finding } from './finding.js';
import { fmt } from '../numeric/format.js';

export interface HypothesisVectors {
  cause: Cause;
  /** The fault in words, e.g. "CLS pooling instead of mean". */
  label: string;
  /** Rows of the run (indices into the backend's matrix) that were re-embedded. */
  rows: readonly number[];
  /** Their vectors under the hypothesis, one row each, in `rows` order. */
  vectors: Matrix;
}

/** Confirmed when max abs to the hypothesis is at most this fraction of max abs to the golden. */
export const HYPOTHESIS_MATCH_FRACTION = 1e-2;
/** ...and the runner-up's fraction is at least this many times the best one's. */
export const HYPOTHESIS_MARGIN = 10;

function rowsMaxAbs(a: Matrix, rows: readonly number[], b: Matrix): number {
  let m = 0;
  rows.forEach((r, k) => {
    for (let d = 0; d < a.dim; d++) {
      const x = Math.abs(a.data[r * a.dim + d] - b.data[k * b.dim + d]);
      m = Number.isNaN(x) ? Infinity : Math.max(m, x);
    }
  });
  return m;
}

export function hypothesisFindings(actual: Matrix, golden: Matrix | undefined, hypotheses: readonly HypothesisVectors[]): Finding[] {
  if (!golden) return [];
  const scored = hypotheses
    .filter((h) => h.vectors.dim === actual.dim && h.rows.length > 0 && h.rows.every((r) => r < actual.rows))
    .map((h) => {
      const toHypothesis = rowsMaxAbs(actual, h.rows, h.vectors);
      const goldenRows: Matrix = { rows: h.rows.length, dim: golden.dim, data: Float64Array.from(h.rows.flatMap((r) => Array.from(golden.data.subarray(r * golden.dim, (r + 1) * golden.dim)))) };
      const toGolden = rowsMaxAbs(actual, h.rows, goldenRows);
      return { h, toHypothesis, toGolden, fraction: toGolden > 0 ? toHypothesis / toGolden : Infinity };
    })
    .sort((a, b) => a.fraction - b.fraction);
  const [best, next] = scored;
  if (!best || !(best.fraction <= HYPOTHESIS_MATCH_FRACTION)) return [];
  if (next && !(next.fraction >= HYPOTHESIS_MARGIN * best.fraction)) return [];
  return [
    {
      cause: best.h.cause,
      confidence: 'confirmed',
      text: `the backend behaves like the model with ${best.h.label}`,
      evidence: `${best.h.rows.length} texts re-embedded under ${scored.length} hypotheses: the backend is within ${fmt(best.toHypothesis)} of "${best.h.label}", ${fmt(best.toGolden)} of the golden${next ? `; next best "${next.h.label}" ${fmt(next.toHypothesis)}` : ''}`,
    },
  ];
}
