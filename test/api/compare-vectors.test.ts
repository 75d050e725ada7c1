/** compareVectors: the numbers `parity compare` gives, for vectors in memory or .npy paths. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareVectors } from '../../src/api/compare-vectors.js';
import { InputError } from '../../src/errors.js';
import { readNpy } from '../../src/npy/npy.js';
import { FIXTURE } from '../support/helpers.js';

const golden = readNpy(FIXTURE.golden);
const ids: string[] = JSON.parse(readFileSync(FIXTURE.golden.replace(/\.npy$/, '.meta.json'), 'utf8')).corpus.ids;
const rows = (): number[][] => Array.from({ length: golden.rows }, (_, r) => Array.from(golden.data.subarray(r * golden.dim, (r + 1) * golden.dim)));
/** The golden with one element moved by +1e-3: row 5, dim 7. */
function perturbed(): number[][] {
  const v = rows();
  v[5][7] += 1e-3;
  return v;
}

describe('compareVectors', () => {
  it('two empty arrays are bad input, as in parity compare: nothing compared is never a pass', () => {
    expect(() => compareVectors({ rows: 0, dim: 4, data: new Float32Array(0) }, [])).toThrow(InputError);
    expect(() => compareVectors({ rows: 0, dim: 4, data: new Float32Array(0) }, [])).toThrow(/both hold 0 rows: nothing to compare/);
  });

  it('passes the golden against itself and finds a single moved element, named by text id', () => {
    expect(compareVectors(FIXTURE.golden, rows()).metrics.maxAbs).toBe(0);
    const r = compareVectors(FIXTURE.golden, perturbed());
    expect(r.status).toBe('fail');
    expect(r.metrics.mismatches).toBe(1);
    expect(r.metrics.total).toBe(289 * 64);
    expect(r.metrics.maxAbs).toBeCloseTo(1e-3, 12);
    expect(r.metrics.maxAbsAt).toMatchObject({ row: 5, dim: 7, id: ids[5] });
    expect(r.tolerance).toEqual({ atol: 1e-5, rtol: 1.3e-6, mismatchRatio: 0 });
    expect(compareVectors(FIXTURE.golden, perturbed(), { atol: 2e-3 }).status).toBe('pass');
  });

  it('takes Float32Array rows and {rows, dim, data} matrices; float32 rounding passes fp32 defaults', () => {
    const f32 = rows().map((r) => Float32Array.from(r));
    const r = compareVectors(FIXTURE.golden, f32);
    expect(r.status).toBe('pass');
    expect(r.metrics.maxAbs).toBeGreaterThan(0);
    // Rounding to float32 moves each value by at most half an ulp: |g|·2^-24.
    const maxGolden = golden.data.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    expect(r.metrics.maxAbs).toBeLessThanOrEqual(maxGolden * 2 ** -24);
    expect(compareVectors(golden, { rows: golden.rows, dim: golden.dim, data: golden.data }).metrics.maxAbs).toBe(0);
  });

  it('reports a shape mismatch as a failure and ragged rows as bad input', () => {
    const r = compareVectors(FIXTURE.golden, rows().slice(0, 10));
    expect(r.status).toBe('fail');
    expect(r.verdict.reasons).toEqual(['shape mismatch: backend gives (10, 64), golden is (289, 64) — different corpus or dropped texts?']);
    expect(() => compareVectors(FIXTURE.golden, [[1, 2], [3]])).toThrow(new InputError('actual: row 1 has 1 values, row 0 has 2 (ragged vectors)'));
  });
});
