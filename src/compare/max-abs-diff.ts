/**
 * The one max |a − b| outside the comparator's pass, for the figures that compare two vector sets
 * without a tolerance: the sweep's batch-vs-alone and probe-alone, batch invariance, and the
 * pairwise agreement between backends. One rule for non-finite values, the comparator's
 * (metrics.ts: equal infinities are equal, as numpy.isclose says):
 * - equal infinities differ by 0;
 * - a NaN on either side makes the difference NaN, and a NaN is never hidden: the max of anything
 *   with a NaN is NaN (as Math.max), so a finite difference after it cannot replace it;
 * - any other infinite difference (an infinity against a finite value or the opposite infinity) is
 *   Infinity.
 */

/** |a − b| by the rule above. */
export function absDiff(a: number, b: number): number {
  return a === b ? 0 : Math.abs(a - b);
}

/**
 * The largest |a[aOffset + i] − b[bOffset + i]| for i < count (default: the whole of `a`); 0 for
 * no elements, NaN when any pair has a NaN.
 */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, aOffset = 0, bOffset = 0, count = a.length - aOffset): number {
  let m = 0;
  for (let i = 0; i < count; i++) {
    const d = absDiff(a[aOffset + i], b[bOffset + i]);
    // Every comparison with NaN is false, so `d > m` alone would let a later finite d hide it.
    if (Number.isNaN(d)) return NaN;
    if (d > m) m = d;
  }
  return m;
}
