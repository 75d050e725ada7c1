import { describe, expect, it } from 'vitest';
import type { Matrix } from '../../src/numeric/matrix.js';
import { diagnose } from '../../src/compare/diagnosis.js';
import { compareMatrices } from '../../src/compare/metrics.js';

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
}
const ROWS = 100;
const DIM = 64;
/** Unit-norm random rows, like a normalized golden. */
function unitRows(rows = ROWS, dim = DIM, seed = 1): Matrix {
  const r = lcg(seed);
  const data = Float64Array.from({ length: rows * dim }, r);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += data[i * dim + d] ** 2;
    for (let d = 0; d < dim; d++) data[i * dim + d] /= Math.sqrt(s);
  }
  return { rows, dim, data };
}
const golden = unitRows();
const lengths = Array.from({ length: ROWS }, (_, i) => 3 + ((i * 37) % 150)); // 3..152 tokens, shuffled
/** golden + uniform noise of amplitude `amp` (scaled per row by rowScale), as float32 like a runtime. */
function noisy(amp: number, seed = 2, rowScale: (row: number) => number = () => 1): Matrix {
  const r = lcg(seed);
  return { rows: ROWS, dim: DIM, data: Float32Array.from(golden.data, (x, i) => x + amp * rowScale(Math.floor(i / DIM)) * r()) };
}
function run(actual: Matrix, opts: { g?: Matrix; atol?: number; rtol?: number; withContext?: boolean } = {}) {
  const g = opts.g ?? golden;
  const { metrics, details } = compareMatrices(g, actual, { atol: opts.atol ?? 1e-5, rtol: opts.rtol ?? 1.3e-6 });
  return diagnose(metrics, details, opts.withContext === false ? undefined : { golden: g, actual, lengths });
}

describe('diagnose', () => {
  it('says nothing about clean rounding noise (fp32-like and fp16-like within tolerance)', () => {
    expect(run(noisy(2e-7))).toEqual([]);
    expect(run(noisy(2e-7), { withContext: false })).toEqual([]);
    expect(run(noisy(2e-3, 3), { atol: 5e-3, rtol: 1e-3 })).toEqual([]);
    expect(run(golden)).toEqual([]);
  });

  it('directions agree but norms differ: names the side that is not normalized', () => {
    const scaled = (m: Matrix) => ({ ...m, data: m.data.map((x, i) => x * (3 + Math.floor(i / DIM) * 0.01)) });
    const unnormalized = scaled(golden);
    const [a] = run(unnormalized);
    expect(a).toMatch(/^directions agree .* but norms differ: golden is unit-norm, the backend's norms are 3\.\.3\.99 — /);
    expect(a).toMatch(/does not L2-normalize/);
    expect(run(unnormalized)).toHaveLength(1);
    const [b] = run(golden, { g: unnormalized });
    expect(b).toMatch(/the backend is unit-norm, golden's norms are .* made without normalization/);
    const g2 = { ...golden, data: golden.data.map((x, i) => x * (1 + Math.floor(i / DIM) * 0.1)) };
    const [c] = run({ ...g2, data: g2.data.map((x) => 2 * x) }, { g: g2 });
    expect(c).toMatch(/every row is scaled by the same factor 2 /);
    const [d] = run(unnormalized, { withContext: false });
    expect(d).toMatch(/norms differ by up to .* one side is not normalized/);
  });

  it('all rows zero or constant: the backend produced no output, and nothing else is said', () => {
    expect(run({ rows: ROWS, dim: DIM, data: new Float32Array(ROWS * DIM) })).toEqual([
      expect.stringMatching(/^every row is all zeros — the backend produced no output/),
    ]);
    expect(run({ rows: ROWS, dim: DIM, data: new Float32Array(ROWS * DIM).fill(0.125) })).toEqual([
      expect.stringMatching(/^every row is constant — the backend produced no output/),
    ]);
    const some = noisy(1e-7);
    some.data.fill(0, 5 * DIM, 7 * DIM);
    expect(run(some)[0]).toMatch(/^2 of 100 rows are all zeros \(golden has 0\)/);
  });

  it('NaN/Inf in the output: overflow, fp16', () => {
    const a = noisy(1e-7);
    a.data[3] = NaN;
    a.data[10 * DIM + 4] = Infinity;
    const out = run(a);
    expect(out[0]).toMatch(/^1 NaN and 1 ±Inf values in 2 of 100 rows in the output \(golden has 0\) — an overflow: fp16 tops out at 65504/);
  });

  it('a few elements far off, the rest exact: masking or a special value', () => {
    const a = noisy(1e-7);
    a.data[7 * DIM + 3] += 0.5;
    a.data[40 * DIM + 20] -= 0.25;
    a.data[41 * DIM + 60] += 0.1;
    const out = run(a);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^a few elements are far off, the rest agree: 3 of 6400 elements mismatch in 3 texts \('7', '40', '41'\) \(max abs 0\.5 at text '7' dim 3\), every other element within 1\.\d+e-7 — look at masking/);
    // Errors spread out (a tenth of the elements off by 1e-4): not "a few".
    const spread = noisy(1e-7);
    for (let i = 0; i < spread.data.length; i += 10) spread.data[i] += 1e-4;
    expect(run(spread).join('\n')).not.toMatch(/a few elements/);
  });

  it('error grows with sequence length', () => {
    const a = noisy(1e-4, 6, (row) => lengths[row] / 150);
    const out = run(a);
    expect(out).toEqual([expect.stringMatching(/^error grows with sequence length \(Spearman [01]\.\d\d between token count and max abs error per text; the longest quarter's mean error is \d+(\.\d+)?x the shortest quarter's\)/)]);
    // Same errors, shuffled with respect to length: no diagnosis.
    expect(run(noisy(1e-4, 6, (row) => lengths[(row * 53) % ROWS] / 150 + 0.2))).toEqual([]);
  });

  it('error only in the longest texts: truncation', () => {
    const a = noisy(1e-7);
    for (let r = 0; r < ROWS; r++) if (lengths[r] > 128) a.data[r * DIM + (r % DIM)] += 0.02 + r * 1e-4;
    const long = lengths.filter((l) => l > 128).length;
    const maxShort = Math.max(...lengths.filter((l) => l <= 128));
    const minLong = Math.min(...lengths.filter((l) => l > 128));
    const out = run(a);
    expect(out).toContainEqual(
      expect.stringMatching(new RegExp(`^error appears only in the ${long} longest texts \\(${minLong}\\+ tokens; max abs .* vs at most .* in texts of ${maxShort} tokens or fewer\\) — truncation`)),
    );
  });

  it('error concentrated in a few dimensions', () => {
    const a = noisy(1e-7);
    for (let r = 0; r < ROWS; r++) {
      a.data[r * DIM + 17] += 0.01;
      a.data[r * DIM + 5] -= 0.003;
    }
    const out = run(a);
    expect(out).toEqual([expect.stringMatching(/^error concentrated in dimensions 5, 17: max abs 0\.01 there, at most \d\.\d+e-[78] in the other 62 — a per-channel difference/)]);
  });

  it('golden and backend dims differ', () => {
    const wide = unitRows(ROWS, 128, 9);
    expect(run(wide)).toEqual([expect.stringMatching(/^golden and backend dims differ \(64 vs 128\) — wrong model/)]);
    expect(run(unitRows(50, DIM)).join('\n')).toMatch(/golden has 100 rows, the backend 50/);
  });
});
