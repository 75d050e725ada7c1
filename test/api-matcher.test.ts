/** The programmatic compare and expect(...).toMatchGolden(): same numbers and same message as `parity compare`. */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { compareVectors } from '../src/api/compare-vectors.js';
import { InputError } from '../src/errors.js';
import { readNpy, writeNpy } from '../src/npy/npy.js';
import '../src/vitest.js';
import { FIXTURE, parity, tempDir } from './helpers.js';

const dir = tempDir('parity-api-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

describe('expect(vectors).toMatchGolden(path, options)', () => {
  afterEach(() => {
    delete process.env.PARITY_UPDATE_GOLDEN;
  });

  it('passes on the golden, fails with exactly the torch-style lines `parity compare` prints', () => {
    expect(rows()).toMatchGolden(FIXTURE.golden);
    let message = '';
    try {
      expect(perturbed()).toMatchGolden(FIXTURE.golden);
    } catch (error) {
      message = (error as Error).message;
    }
    const actualPath = join(dir, 'perturbed.npy');
    const p = perturbed();
    writeNpy(actualPath, { rows: p.length, dim: 64, data: Float64Array.from(p.flat()) });
    const cli = parity(['compare', FIXTURE.golden, actualPath]);
    expect(cli.code).toBe(1);
    // Same text but for the first line's labels.
    expect(message.split('\n').slice(1).join('\n')).toBe(cli.stdout.trimEnd().split('\n').slice(1).join('\n'));
    expect(message).toMatch(/^FAIL: received vectors vs .*default\.npy \(289×64\)\n {2}1 \/ 18496 elements \(5\.4e-3%\) beyond atol 1\.00e-5/);
    expect(message).toContain(`  Greatest absolute difference: 0.001 at text '${ids[5]}' dim 7`);
    expect(message).toContain('(up to 1.00e-5 allowed)');
  });

  it('honours atol/rtol/cosine and .not', () => {
    expect(perturbed()).toMatchGolden(FIXTURE.golden, { atol: 2e-3 });
    expect(perturbed()).not.toMatchGolden(FIXTURE.golden);
    expect(() => expect(perturbed()).toMatchGolden(FIXTURE.golden, { atol: 2e-3, cosine: 1e-12 })).toThrow(/cosine Δ .* at text '.*' exceeds 1\.00e-12/);
    expect(() => expect(rows()).not.toMatchGolden(FIXTURE.golden)).toThrow(/^expected vectors not to match golden .*default\.npy, but they do:\nPASS: received vectors/);
  });

  it('a missing golden is an error, even under .not; PARITY_UPDATE_GOLDEN=1 writes it from the received vectors', () => {
    const path = join(dir, 'new', 'golden.npy');
    const f32 = rows().map((r) => Float32Array.from(r));
    expect(() => expect(f32).toMatchGolden(path)).toThrow(/golden .*new\/golden\.npy does not exist .*PARITY_UPDATE_GOLDEN=1/);
    expect(() => expect(f32).not.toMatchGolden(path)).toThrow(/does not exist/);
    expect(existsSync(path)).toBe(false);
    process.env.PARITY_UPDATE_GOLDEN = '1';
    expect(f32).toMatchGolden(path);
    const written = readNpy(path);
    expect([written.dtype, written.rows, written.dim]).toEqual(['<f4', 289, 64]);
    delete process.env.PARITY_UPDATE_GOLDEN;
    expect(f32).toMatchGolden(path, { atol: 0, rtol: 0 });
    expect(perturbed()).not.toMatchGolden(path);
  });
});
