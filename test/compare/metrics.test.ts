import { describe, expect, it } from 'vitest';
import { ComparisonAccumulator } from '../../src/compare/accumulator.js';
import { compareMatrices } from '../../src/compare/metrics.js';
import { judge, torchStyleMessage } from '../../src/compare/verdict.js';
import type { Tolerance } from '../../src/compare/tolerance.js';

const tol = (atol: number, rtol = 0, extra: Partial<Tolerance> = {}): Tolerance => ({ atol, rtol, mismatchRatio: 0, ...extra });
const m = (rows: number, dim: number, values: number[] | ((i: number) => number)) => ({
  rows,
  dim,
  data: Float64Array.from({ length: rows * dim }, (_, i) => (typeof values === 'function' ? values(i) : values[i])),
});

/** Deterministic pseudo-embeddings in [-0.5, 0.5). */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
}

describe('comparator metrics against hand-computed values', () => {
  it('computes every metric on a 2×3 example', () => {
    const g = m(2, 3, [1, 2, 3, 0, 0, 4]);
    const a = m(2, 3, [1, 2.5, 3, 0, 0.1, 4]);
    const { metrics } = compareMatrices(g, a, tol(0.2, 0.1), ['x', 'y']);
    expect(metrics.total).toBe(6);
    expect(metrics.maxAbs).toBeCloseTo(0.5, 15);
    expect(metrics.maxAbsAt).toMatchObject({ row: 0, dim: 1, id: 'x', golden: 2, actual: 2.5 });
    expect(metrics.meanAbs).toBeCloseTo(0.6 / 6, 15);
    // |a-g| > 0.2 + 0.1·|g|: element (0,1): 0.5 > 0.4 mismatches; (1,1): 0.1 > 0.2 does not.
    expect(metrics.mismatches).toBe(1);
    expect(metrics.mismatchRatio).toBeCloseTo(1 / 6, 15);
    expect(metrics.worstRatio).toBeCloseTo(0.5 / 0.4, 12);
    // maxRel only over |g| > atol: 0.5/2 = 0.25 (the 0.1 at g=0 is excluded).
    expect(metrics.maxRel).toBeCloseTo(0.25, 15);
    // minPassingAtol = max(|a-g| - rtol|g|) = max(0.5 - 0.2, 0.1 - 0) = 0.3
    expect(metrics.minPassingAtol).toBeCloseTo(0.3, 15);
    const cos0 = (1 * 1 + 2 * 2.5 + 3 * 3) / (Math.sqrt(14) * Math.sqrt(1 + 6.25 + 9));
    const cos1 = 16 / (4 * Math.sqrt(16.01));
    expect(metrics.cosineDeltaMax).toBeCloseTo(Math.max(1 - cos0, 1 - cos1), 14);
    expect(metrics.cosineDeltaMean).toBeCloseTo((2 - cos0 - cos1) / 2, 14);
    expect(metrics.normDeltaMax).toBeCloseTo(Math.sqrt(16.25) - Math.sqrt(14), 14);
    expect(metrics.normDeltaMaxAt?.id).toBe('x');
    expect(metrics.zeroRows).toBe(0);
    expect(metrics.nonFinite).toBe(0);
  });

  it('passing minPassingAtol as atol makes the comparison pass, and a smaller one fails', () => {
    const next = lcg(3);
    const g = m(10, 8, () => next());
    const a = m(10, 8, (i) => g.data[i] + next() * 1e-3);
    const first = compareMatrices(g, a, tol(1e-6, 1e-3)).metrics;
    const atol = first.minPassingAtol!;
    expect(compareMatrices(g, a, tol(atol, 1e-3)).metrics.mismatches).toBe(0);
    expect(compareMatrices(g, a, tol(atol * 0.999, 1e-3)).metrics.mismatches).toBeGreaterThan(0);
  });
});

describe('comparator edge cases', () => {
  it('zero vectors: both zero is cos 1, one zero is cos 0; zero rows are counted', () => {
    const g = m(2, 2, [0, 0, 1, 0]);
    const a = m(2, 2, [0, 0, 0, 0]);
    const { metrics, details } = compareMatrices(g, a, tol(1e-5));
    expect(details.cosineDelta[0]).toBe(0);
    expect(details.cosineDelta[1]).toBe(1);
    expect(metrics.zeroRows).toBe(2);
    expect(metrics.goldenZeroRows).toBe(1);
    expect(judge(metrics, tol(1e-5)).reasons.join()).toMatch(/2 of 2 rows are all zeros \(golden has 1\)/);
  });

  it('NaN counts as a mismatch, never passes, and is excluded from maxAbs', () => {
    const g = m(1, 3, [1, 2, 3]);
    const a = m(1, 3, [1, NaN, 3.5]);
    const { metrics } = compareMatrices(g, a, tol(1));
    expect(metrics.mismatches).toBe(1);
    expect(metrics.nonFinite).toBe(1);
    expect(metrics.maxAbs).toBe(0.5);
    expect(metrics.minPassingAtol).toBeNull();
    const v = judge(metrics, tol(1));
    expect(v.status).toBe('fail');
    expect(v.reasons[0]).toMatch(/1 non-finite values/);
  });

  it('equal infinities are equal (numpy.isclose), opposite ones are not', () => {
    const g = m(1, 2, [Infinity, Infinity]);
    const a = m(1, 2, [Infinity, -Infinity]);
    const { metrics } = compareMatrices(g, a, tol(1e-5));
    expect(metrics.mismatches).toBe(1);
  });

  it('a single element', () => {
    const { metrics } = compareMatrices(m(1, 1, [0.5]), m(1, 1, [0.5 + 2e-5]), tol(1e-5));
    expect(metrics.mismatches).toBe(1);
    expect(metrics.maxAbs).toBeCloseTo(2e-5, 12);
    expect(metrics.cosineDeltaMax).toBe(0);
    expect(metrics.constantRows).toBe(0); // one value is not "constant output"
  });

  it('1e30 magnitudes: relative tolerance works and cosine stays finite', () => {
    const g = m(1, 3, [1e30, -2e30, 3e30]);
    const a = m(1, 3, [1e30 * (1 + 1e-7), -2e30, 3e30]);
    const { metrics } = compareMatrices(g, a, tol(0, 1e-6));
    expect(metrics.mismatches).toBe(0);
    expect(metrics.maxAbs / 1e23).toBeCloseTo(1, 6);
    expect(Number.isFinite(metrics.cosineDeltaMax)).toBe(true);
    expect(metrics.cosineDeltaMax).toBeLessThan(1e-14);
    // Beyond sqrt(float64 max) the squared norms overflow; rows are rescaled.
    const huge = compareMatrices(m(1, 2, [1e200, 1e200]), m(1, 2, [1e200, -1e200]), tol(0, 1e-6)).metrics;
    expect(huge.cosineDeltaMax).toBeCloseTo(1, 12);
    expect(huge.normDeltaMax).toBe(0);
  });

  it('a shape mismatch is a failed comparison naming both shapes, not a crash', () => {
    const { metrics } = compareMatrices(m(2, 384, () => 0.1), m(2, 768, () => 0.1), tol(1e-5));
    const v = judge(metrics, tol(1e-5));
    expect(v.status).toBe('fail');
    expect(v.reasons[0]).toBe('shape mismatch: backend gives (2, 768), golden is (2, 384) — wrong model or head size?');
  });

  it('constant rows where golden has none fail (the all-zeros / no-output signature)', () => {
    const g = m(2, 3, [0.1, 0.2, 0.3, 0.3, 0.2, 0.1]);
    const a = m(2, 3, [0.5, 0.5, 0.5, 0.3, 0.2, 0.1]);
    const { metrics } = compareMatrices(g, a, tol(1));
    expect(metrics.constantRows).toBe(1);
    expect(judge(metrics, tol(1)).status).toBe('fail');
  });

  it('maxRel ignores exact zeros in the golden (27 zeros made a naive max rel 2e32)', () => {
    const g = m(1, 4, [0, 0, 0.5, 1]);
    const a = m(1, 4, [1e-9, -1e-9, 0.5, 1.000001]);
    const { metrics } = compareMatrices(g, a, tol(1e-5, 1.3e-6));
    expect(metrics.maxRel).toBeCloseTo(1e-6, 12);
  });

  it('streams in chunks to the same result as one pass', () => {
    const next = lcg(11);
    const g = m(50, 16, () => next());
    const a = m(50, 16, (i) => g.data[i] + next() * 1e-4);
    const whole = compareMatrices(g, a, tol(1e-5, 1e-3)).metrics;
    const acc = new ComparisonAccumulator(50, 16, tol(1e-5, 1e-3));
    for (let r = 0; r < 50; r += 7) {
      const n = Math.min(7, 50 - r);
      acc.add(g.data.subarray(r * 16, (r + n) * 16), a.data.subarray(r * 16, (r + n) * 16), r, n);
    }
    const chunked = acc.result().metrics;
    expect(chunked.mismatches).toBe(whole.mismatches);
    expect(chunked.maxAbs).toBe(whole.maxAbs);
    expect(chunked.maxAbsAt).toEqual(whole.maxAbsAt);
    expect(chunked.meanAbs).toBeCloseTo(whole.meanAbs, 15);
    expect(chunked.cosineDeltaMax).toBe(whole.cosineDeltaMax);
  });
});

describe('the seeds: numbers reported by users of embedding runtimes', () => {
  it('Infinity vs sentence-transformers: one element off by 2.65e-5 in 100×384 → 1 mismatch at atol 1e-5, located', () => {
    const next = lcg(2024);
    const ids = Array.from({ length: 100 }, (_, i) => `text-${i}`);
    ids[42] = '2024';
    const g = { rows: 100, dim: 384, data: Float32Array.from({ length: 38400 }, () => next() * 0.1) };
    const a = { rows: 100, dim: 384, data: Float32Array.from(g.data) };
    // The seed document's last dimension: sentence-transformers -0.00783606525510549545 vs Infinity -0.007809564936906099.
    g.data[42 * 384 + 383] = -0.00783606525510549545;
    a.data[42 * 384 + 383] = -0.007809564936906099;
    const fp32 = { atol: 1e-5, rtol: 1.3e-6, mismatchRatio: 0 };
    const { metrics } = compareMatrices(g, a, fp32, ids);
    expect(metrics.mismatches).toBe(1);
    expect(metrics.maxAbs).toBeCloseTo(2.65e-5, 7);
    expect(metrics.maxAbsAt).toMatchObject({ row: 42, dim: 383, id: '2024' });
    const message = torchStyleMessage(metrics, fp32);
    expect(message).toContain('Mismatched elements: 1 / 38400');
    expect(message).toContain("at text '2024' dim 383");
  });

  it('FlashInfer -5e4 mask sentinel: 7 of 4096 elements off by up to 0.00244 → 7 mismatches', () => {
    const next = lcg(7);
    const g = m(4, 1024, () => next());
    const a = m(4, 1024, (i) => g.data[i] + next() * 1e-7);
    const broken = [5, 301, 1024 + 17, 2048 + 900, 3000, 3500, 4095];
    broken.forEach((i, k) => (a.data[i] = g.data[i] + (k === 3 ? -0.00244 : 0.0005 * (k + 1) * 0.5)));
    const fp32 = { atol: 1e-5, rtol: 1.3e-6, mismatchRatio: 0 };
    const { metrics } = compareMatrices(g, a, fp32);
    expect(metrics.mismatches).toBe(7);
    expect(metrics.maxAbs).toBeCloseTo(0.00244, 10);
    expect(metrics.maxAbsAt).toMatchObject({ row: 2, dim: 900 });
    expect(torchStyleMessage(metrics, fp32)).toMatch(/^Mismatched elements: 7 \/ 4096 \(0\.17%\)/);
  });
});
