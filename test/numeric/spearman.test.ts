import { describe, expect, it } from 'vitest';
import { Prng } from '../../src/numeric/prng.js';
import { spearman, spearmanOfPairs } from '../../src/numeric/spearman.js';

/** spearmanOfPairs consumes its inputs: give it copies. */
const fast = (x: number[], y: number[]) => spearmanOfPairs(Float32Array.from(x), Float32Array.from(y));

describe('one Spearman', () => {
  it('both rankings give the same correlation, ties and constant input included', () => {
    const rng = new Prng(7);
    const x = Array.from({ length: 200 }, () => Math.fround(Math.floor(rng.uniform() * 20) / 4));
    const y = x.map((v) => Math.fround(v + rng.uniform() * 2));
    const r = spearman(x, y);
    expect(r).toBeGreaterThan(0.5);
    expect(fast(x, y)).toBeCloseTo(r, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    for (const [a, b, want] of [
      [[2, 2, 2], [5, 5, 5], 1],
      [[2, 2, 2], [1, 2, 3], 0],
      [[1, 2, 3], [7, 7, 7], 0],
      [[3], [9], 1],
    ] as [number[], number[], number][]) {
      expect(spearman(a, b)).toBe(want);
      expect(fast(a, b)).toBe(want);
    }
  });
});
