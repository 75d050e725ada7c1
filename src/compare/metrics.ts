/**
 * The comparator: pure functions over typed arrays, one pass over every element, no backend imports.
 * `compareMatrices` here compares two whole matrices; the pass itself is ComparisonAccumulator
 * (accumulator.ts) with its kernels (scalar-kernel.ts, kernel.wat via wasm-kernel.ts) and the error
 * histogram (histogram.ts); what it yields is typed in metric-types.ts.
 *
 * Feed it row blocks (golden and actual side by side) with `add`, then read `result()`. The same
 * accumulator serves a whole in-memory matrix, a file streamed in chunks (stream-compare.ts), or
 * row ranges accumulated apart and joined with `merge`. Results do not depend on how rows are
 * split into `add` calls; `merge` changes only the rounding of the sums behind meanAbs and
 * cosineDeltaMean.
 *
 * Speed: float32 rows with dims a multiple of 4 go through kernel.wat (WebAssembly SIMD, see
 * wasm-kernel.ts), everything else through `segmentKernel` (plain JavaScript); both follow the
 * rules below exactly and hand the rare elements (non-finite, or possibly among the worst) to
 * `rareElement`. The two add their sums in different orders, so they agree to rounding.
 *
 * Edge cases, decided once:
 * - An element mismatches when |a - g| > atol + rtol·|g| (numpy.isclose / torch allclose). A NaN on
 *   either side is a mismatch; equal infinities are equal (numpy's rule); other non-finite pairs
 *   mismatch.
 * - maxAbs, meanAbs, maxRel and worstRatio are taken over pairs where both values are finite; the
 *   non-finite ones are counted in `nonFinite` (actual) / `goldenNonFinite` and always mismatch.
 * - maxRel is over elements with |g| > atol only: a handful of exact zeros in a golden would
 *   otherwise make relative error meaningless (27 zeros in a 500k×384 golden gave 2e32).
 * - Cosine of two zero vectors is 1 (Δ 0); of a zero and a non-zero vector 0 (Δ 1). Rows are
 *   rescaled when their squared norms would overflow float64 (|x| beyond ~1e150).
 * - minPassingAtol is the smallest atol that passes every element at the given rtol:
 *   max(|a-g| - rtol·|g|, 0); null when a non-finite mismatch means no atol can pass.
 */
import { ComparisonAccumulator } from './accumulator.js';
import type { Comparison } from './metric-types.js';
import type { Tolerance } from './tolerance.js';

type FloatArray = Float32Array | Float64Array;

/** Compares two whole matrices; a shape mismatch is a result (see verdict.ts), not an exception. */
export function compareMatrices(
  golden: { rows: number; dim: number; data: FloatArray },
  actual: { rows: number; dim: number; data: FloatArray },
  tolerance: Pick<Tolerance, 'atol' | 'rtol'>,
  ids: readonly string[] = [],
): Comparison {
  if (golden.rows !== actual.rows || golden.dim !== actual.dim) {
    const empty = new ComparisonAccumulator(0, 0, tolerance, ids).result();
    empty.metrics.shape = [actual.rows, actual.dim];
    empty.metrics.goldenShape = [golden.rows, golden.dim];
    empty.metrics.minPassingAtol = null;
    return empty;
  }
  const acc = new ComparisonAccumulator(golden.rows, golden.dim, tolerance, ids);
  acc.add(golden.data, actual.data, 0, golden.rows);
  return acc.result();
}
