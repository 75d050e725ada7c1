/**
 * Batch invariance, the pure part: the same texts embedded alone (a batch of one, no padding) and
 * inside padded mixed-length batches. A backend whose kernels are batch-invariant gives identical
 * vectors; rounding-level differences come from different reduction orders/tiles for the padded
 * shape; anything larger means padding leaks (mask ignored, pooling counts pad tokens, attention
 * mask value too weak) — a bug that golden comparisons at one batch size can miss.
 */
import type { Matrix } from '../numeric/matrix.js';

export interface BatchInvarianceText {
  /** Corpus row. */
  row: number;
  id: string;
  /** max |batched - alone| over the text's vector. */
  maxAbs: number;
  /** 1 - cos(batched, alone). */
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
 * are indexed by corpus row). A NaN on either side makes that text's difference Infinity.
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
    let m = 0;
    let dot = 0;
    let na = 0;
    let nb = 0;
    let same = true;
    for (let d = 0; d < dim; d++) {
      const a = alone.data[k * dim + d];
      const b = batched.data[k * dim + d];
      if (!Object.is(a, b)) same = false;
      let diff = Math.abs(a - b);
      if (Number.isNaN(diff)) diff = a === b ? 0 : Infinity;
      if (diff > m) m = diff;
      sum += diff;
      count++;
      dot += a * b;
      na += a * a;
      nb += b * b;
    }
    const cos = na === 0 && nb === 0 ? 1 : na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
    const cosineDelta = Number.isNaN(cos) ? Infinity : Math.max(0, 1 - cos);
    const entry: BatchInvarianceText = { row, id: ids[row] ?? String(row), maxAbs: m, cosineDelta };
    if (lengths) entry.length = lengths[row];
    perText.push(entry);
    if (same) identical++;
    if (worst === null || m > worst.maxAbs) worst = entry;
    if (m > maxAbs) maxAbs = m;
    if (cosineDelta > cosMax) cosMax = cosineDelta;
  });
  return { texts: rows.length, maxAbs, meanAbs: count ? sum / count : 0, cosineDeltaMax: cosMax, worstText: worst, identical, perText };
}
