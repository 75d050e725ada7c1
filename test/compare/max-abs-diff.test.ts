/**
 * The one max |a − b| (compare/max-abs-diff.ts) and its NaN rule, as each of its users sees it: the
 * sweep's batch-vs-alone, batch invariance and the pairwise agreement all give NaN for a NaN, never
 * Infinity and never the finite rest.
 */
import { describe, expect, it } from 'vitest';
import { compareBatchInvariance } from '../../src/compare/batch-invariance.js';
import { absDiff, maxAbsDiff } from '../../src/compare/max-abs-diff.js';
import { pairwiseMaxAbs, PairwiseMaxAbs } from '../../src/compare/pairwise.js';
import { comparePoint } from '../../src/sweep/judge.js';

const m = (rows: number[][]) => ({ rows: rows.length, dim: rows[0].length, data: Float64Array.from(rows.flat()) });

describe('maxAbsDiff', () => {
  it('is the largest |a - b| over the range asked', () => {
    expect(maxAbsDiff([1, 2, 3], [1, 2.5, 2])).toBe(1);
    expect(maxAbsDiff([9, 1, 2, 3, 9], [0, 1, 2.25, 3, 0], 1, 1, 3)).toBe(0.25);
    expect(maxAbsDiff([9, 0, 5], [0.5, 5.25], 1, 0, 2)).toBe(0.5); // offsets apart: a[1..2] against b[0..1]
    expect(maxAbsDiff([], [])).toBe(0);
  });

  it('equal infinities differ by 0; an infinity against anything else is Infinity; a NaN is NaN and is never hidden', () => {
    expect(absDiff(Infinity, Infinity)).toBe(0);
    expect(absDiff(-Infinity, -Infinity)).toBe(0);
    expect(absDiff(Infinity, -Infinity)).toBe(Infinity);
    expect(absDiff(1, -Infinity)).toBe(Infinity);
    expect(absDiff(NaN, NaN)).toBeNaN();
    expect(maxAbsDiff([Infinity, 1], [Infinity, 1.5])).toBe(0.5);
    expect(maxAbsDiff([Infinity, 1], [1, 1.5])).toBe(Infinity);
    // NaN first, then larger finite differences: the NaN must survive them.
    expect(maxAbsDiff([NaN, 0, 0], [0, 5, 9])).toBeNaN();
    expect(maxAbsDiff([0, 5, 9], [0, 0, NaN])).toBeNaN();
    expect(maxAbsDiff([Infinity, 0], [NaN, 0])).toBeNaN();
  });
});

describe('one NaN rule for every user', () => {
  it('batch invariance keeps a NaN as NaN (not Infinity) in the text, the max, the mean and the worst text', () => {
    const alone = m([[1, 0], [0, 1], [0.6, 0.8]]);
    const batched = m([[1, 0], [NaN, 1], [0.6, 0.9]]);
    const r = compareBatchInvariance(alone, batched, [0, 1, 2], ['a', 'b', 'c']);
    expect(r.perText[0].maxAbs).toBe(0);
    expect(r.perText[1].maxAbs).toBeNaN();
    expect(r.perText[1].cosineDelta).toBeNaN();
    expect(r.perText[2].maxAbs).toBeCloseTo(0.1, 12); // a later, finite text does not replace the NaN
    expect(r.maxAbs).toBeNaN();
    expect(r.meanAbs).toBeNaN();
    expect(r.cosineDeltaMax).toBeNaN();
    expect(r.worstText!.id).toBe('b');
    // Equal infinities alone and batched are the same value.
    const inf = compareBatchInvariance(m([[Infinity, 1]]), m([[Infinity, 1.5]]), [0]);
    expect(inf.maxAbs).toBe(0.5);
  });

  it('pairwise: NaN where a pair has a NaN, kept over later blocks; equal infinities agree', () => {
    const acc = new PairwiseMaxAbs(['a', 'b', 'c']);
    acc.add(new Map([['a', m([[1, NaN]])], ['b', m([[1, 2]])], ['c', m([[1.5, 2]])]]));
    acc.add(new Map([['a', m([[1, 9]])], ['b', m([[1, 2]])], ['c', m([[1, 2]])]]));
    const r = acc.result();
    expect(r.maxAbs[0][1]).toBeNaN();
    expect(r.maxAbs[1][0]).toBeNaN();
    expect(r.maxAbs[0][2]).toBeNaN();
    expect(r.maxAbs[1][2]).toBe(0.5);
    expect(pairwiseMaxAbs([{ name: 'x', vectors: m([[Infinity, 0]]) }, { name: 'y', vectors: m([[Infinity, 0.25]]) }]).maxAbs[0][1]).toBe(0.25);
  });

  it("the sweep's batch-vs-alone and probe-alone figures are NaN for a NaN", () => {
    const tol = { atol: 1e-5, rtol: 1.3e-6, mismatchRatio: 0 };
    const golden = { probe: m([[1, 0, 0]]), companion: m([[0, 1, 0]]) };
    const p = comparePoint(8, tol, golden, m([[NaN, 0, 0]]), m([[0, 1, 0]]), m([[1, 0, 0], [0, 1, 0]]), 1);
    expect(p.batchVsAloneMaxAbs).toBeNaN();
    expect(p.aloneMaxAbs).toBeNaN();
  });
});
