import { describe, expect, it } from 'vitest';
import { downstreamImpact, sampleRows } from '../../src/compare/downstream.js';
import { spearmanOfPairs } from '../../src/numeric/spearman.js';

const deg = Math.PI / 180;
/** Unit vectors in 2-D at the given angles (degrees). */
const angles = (...a: number[]) => ({ rows: a.length, dim: 2, data: Float64Array.from(a.flatMap((x) => [Math.cos(x * deg), Math.sin(x * deg)])) });

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
}
const random = (rows: number, dim: number, seed: number) => {
  const r = lcg(seed);
  return { rows, dim, data: Float64Array.from({ length: rows * dim }, r) };
};

describe('downstreamImpact', () => {
  it('identical vectors: every neighbour kept, spearman 1, no flips, zero delta', () => {
    const g = random(50, 16, 1);
    const d = downstreamImpact(g, { ...g, data: Float32Array.from(g.data) });
    expect(d).toMatchObject({ n: 50, rows: 50, sampled: false, top1Overlap: 1, top5Overlap: 1, top10Overlap: 1, rankFlips: 0, pairs: 1225 });
    expect(d.spearman).toBe(1);
    expect(d.maxPairwiseDelta).toBeLessThan(1e-7); // float32 copy of the same vectors
    expect(d.rankFlipsPossible).toBe(50 * 45);
    const exact = downstreamImpact(g, g);
    expect(exact.maxPairwiseDelta).toBe(0);
    expect(exact.spearman).toBe(1);
  });

  it('two rows swapped: numbers computed by hand', () => {
    // Golden at 0°, 10°, 30°, 70°; the backend returns rows 0 and 1 swapped (10°, 0°, 30°, 70°).
    const d = downstreamImpact(angles(0, 10, 30, 70), angles(10, 0, 30, 70));
    // Nearest neighbour of row 2 (30°) is row 1 (20° away) in golden, row 0 (20° away) in the backend.
    expect(d.top1Overlap).toBe(0.75);
    expect(d.top5Overlap).toBe(1); // k capped at n-1 = 3: all other rows
    expect(d.top10Overlap).toBe(1);
    // Pair angles golden (01,02,03,12,13,23) = 10,30,70,20,60,40 → ranks 6,4,1,5,2,3;
    // backend 10,20,60,30,70,40 → ranks 6,5,2,4,1,3; Σd² = 4; 1 - 6·4/(6·35).
    expect(d.spearman).toBeCloseTo(1 - 24 / 210, 12);
    expect(d.maxPairwiseDelta).toBeCloseTo(Math.cos(60 * deg) - Math.cos(70 * deg), 12);
    expect([0, 1]).toContain(d.maxPairwiseDeltaAt!.i);
    expect(d.maxPairwiseDeltaAt!.j).toBe(3);
    // Anchor 2: golden order [1, 0, 3] becomes [0, 1, 3]; anchor 3: [2, 1, 0] becomes [2, 0, 1].
    expect(d.rankFlips).toBe(2);
    expect(d.anchorsWithFlips).toBe(2);
    expect(d.rankFlipsPossible).toBe(12);
    expect(d.pairs).toBe(6);
  });

  it('small noise moves some neighbours but keeps the ordering mostly', () => {
    const g = random(200, 8, 2);
    const noise = lcg(3);
    const a = { ...g, data: g.data.map((x) => x + 0.05 * noise()) };
    const d = downstreamImpact(g, a, { blockRows: 7 });
    expect(d.top10Overlap).toBeLessThan(1);
    expect(d.top10Overlap).toBeGreaterThan(0.5);
    expect(d.top1Overlap).toBeLessThan(1);
    expect(d.spearman).toBeLessThan(1);
    expect(d.spearman).toBeGreaterThan(0.9);
    expect(d.rankFlips).toBeGreaterThan(0);
    expect(d.maxPairwiseDelta).toBeGreaterThan(0);
    // Blocking does not change the result.
    const unblocked = downstreamImpact(g, a, { blockRows: 1000 });
    expect({ ...unblocked, meanPairwiseDelta: 0 }).toEqual({ ...d, meanPairwiseDelta: 0 }); // only the summation order differs
    expect(unblocked.meanPairwiseDelta).toBeCloseTo(d.meanPairwiseDelta, 12);
  });

  it('needs equal row counts; dims may differ (each side in its own space)', () => {
    const g = angles(0, 10, 30, 70);
    const wide = { rows: 4, dim: 3, data: Float64Array.from([...g.data].flatMap((x, i) => (i % 2 ? [x, 0] : [x]))) };
    const d = downstreamImpact(g, wide);
    expect(d.top1Overlap).toBe(1);
    expect(d.spearman).toBe(1);
    expect(() => downstreamImpact(g, angles(0, 1))).toThrow(/rows/);
  });

  it('samples maxN rows deterministically above maxN', () => {
    const g = random(300, 8, 4);
    const d = downstreamImpact(g, g, { maxN: 100 });
    expect(d).toMatchObject({ n: 100, rows: 300, sampled: true, top10Overlap: 1, spearman: 1, pairs: 4950 });
    const rows = sampleRows(300, 100, 1);
    expect(rows).toEqual(sampleRows(300, 100, 1));
    expect(new Set(rows).size).toBe(100);
    expect(rows).toEqual([...rows].sort((x, y) => x - y));
    expect(sampleRows(300, 100, 2)).not.toEqual(rows);
  });

  it('zero and NaN rows do not crash: a NaN cosine is an infinite delta', () => {
    const g = angles(0, 10, 30, 70);
    const a = { ...g, data: Float64Array.from(g.data) };
    a.data[2] = NaN;
    const d = downstreamImpact(g, a);
    expect(d.maxPairwiseDelta).toBe(Infinity);
    const z = { ...g, data: Float64Array.from(g.data) };
    z.data[0] = z.data[1] = 0;
    expect(Number.isFinite(downstreamImpact(g, z).spearman)).toBe(true);
  });
});

describe('spearmanOfPairs', () => {
  it('handles ties, negatives and reversed order', () => {
    expect(spearmanOfPairs(Float32Array.of(1, 2, 2, 3), Float32Array.of(1, 2, 2, 3))).toBe(1);
    expect(spearmanOfPairs(Float32Array.of(-3, -1, 0, 2), Float32Array.of(-2, -1.5, 1, 5))).toBe(1);
    expect(spearmanOfPairs(Float32Array.of(1, 2, 3, 4), Float32Array.of(4, 3, 2, 1))).toBeCloseTo(-1, 12);
    // Ties: x ranks (1, 2.5, 2.5, 4), y ranks (1, 2, 3, 4): Pearson of those.
    const r = spearmanOfPairs(Float32Array.of(1, 2, 2, 3), Float32Array.of(1, 2, 3, 4));
    expect(r).toBeCloseTo(4.5 / Math.sqrt(4.5 * 5), 12);
    expect(spearmanOfPairs(Float32Array.of(1, 1, 1), Float32Array.of(1, 2, 3))).toBe(0);
    expect(spearmanOfPairs(Float32Array.of(5), Float32Array.of(1))).toBe(1);
  });
});
