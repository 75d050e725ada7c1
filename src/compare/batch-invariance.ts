/**
 * Batch invariance, the pure part: the same texts embedded alone (a batch of one, no padding) and
 * inside padded mixed-length batches. A backend whose kernels are batch-invariant gives identical
 * vectors; rounding-level differences come from different reduction orders/tiles for the padded
 * shape; anything larger means padding leaks (mask ignored, pooling counts pad tokens, attention
 * mask value too weak) — a bug that golden comparisons at one batch size can miss.
 */
import type { Matrix } from '../numeric/matrix.js';
import { absDiff, maxAbsDiff } from './max-abs-diff.js';

export interface BatchInvarianceText {
  /** Corpus row. */
  row: number;
  id: string;
  /** max |batched - alone| over the text's vector (NaN when either side has a NaN: max-abs-diff.ts). */
  maxAbs: number;
  /** 1 - cos(batched, alone); NaN when either vector has a NaN. */
  cosineDelta: number;
  /** Token count, when known. */
  length?: number;
}

export interface BatchInvariance {
  /** Texts compared. */
  texts: number;
  maxAbs: number;
  meanAbs: number;
  cosineDeltaMax: number;
  /** The text with the largest max abs difference; null when no texts. */
  worstText: BatchInvarianceText | null;
  /** Texts whose two vectors are bit-for-bit identical. */
  identical: number;
  /** One entry per compared text, in the order given. */
  perText: BatchInvarianceText[];
}

/** A measured batch-invariance check as reports carry it: the comparison and how it was sampled. */
export interface BatchInvarianceResult extends BatchInvariance {
  batchSize: number;
  /** Corpus rows of the sampled texts, in the order compared. */
  sampleRows: number[];
  /** The text every batch is padded against. */
  longest: { row: number; id: string; length: number };
  /** Batched calls' number of batches. */
  batches: number;
  /** Whether `lengths` were token counts (given) or character counts. */
  lengthUnit: 'tokens' | 'characters';
}

/**
 * Compares `alone` and `batched`, whose row k is the vector of corpus row `rows[k]` (ids and lengths
 * are indexed by corpus row). Non-finite values follow compare/max-abs-diff.ts: a NaN on either side
 * makes that text's difference NaN, and the NaN reaches maxAbs, meanAbs and the worst text.
 */
export function compareBatchInvariance(
  alone: Matrix,
  batched: Matrix,
  rows: readonly number[],
  ids: readonly string[] = [],
  lengths?: readonly number[],
): BatchInvariance {
  if (alone.rows !== rows.length || batched.rows !== rows.length || alone.dim !== batched.dim) {
    throw new RangeError(
      `compareBatchInvariance: alone is ${alone.rows}×${alone.dim}, batched ${batched.rows}×${batched.dim}, for ${rows.length} texts`,
    );
  }
  const dim = alone.dim;
  const perText: BatchInvarianceText[] = [];
  let sum = 0;
  let count = 0;
  let maxAbs = 0;
  let cosMax = 0;
  let identical = 0;
  let worst: BatchInvarianceText | null = null;
  rows.forEach((row, k) => {
    let dot = 0;
    let na = 0;
    let nb = 0;
    let same = true;
    for (let d = 0; d < dim; d++) {
      const a = alone.data[k * dim + d];
      const b = batched.data[k * dim + d];
      if (!Object.is(a, b)) same = false;
      sum += absDiff(a, b);
      count++;
      dot += a * b;
      na += a * a;
      nb += b * b;
    }
    const m = maxAbsDiff(alone.data, batched.data, k * dim, k * dim, dim);
    const cos = na === 0 && nb === 0 ? 1 : na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
    const cosineDelta = Number.isNaN(cos) ? NaN : Math.max(0, 1 - cos);
    const entry: BatchInvarianceText = { row, id: ids[row] ?? String(row), maxAbs: m, cosineDelta };
    if (lengths) entry.length = lengths[row];
    perText.push(entry);
    if (same) identical++;
    if (worst === null || worse(m, worst.maxAbs)) worst = entry;
    // Math.max keeps a NaN once it has one.
    maxAbs = Math.max(maxAbs, m);
    cosMax = Math.max(cosMax, cosineDelta);
  });
  return { texts: rows.length, maxAbs, meanAbs: count ? sum / count : 0, cosineDeltaMax: cosMax, worstText: worst, identical, perText };
}

/** a is worse than b: a NaN beats every number, then the larger. */
function worse(a: number, b: number): boolean {
  return Number.isNaN(a) ? !Number.isNaN(b) : a > b;
}
