/** expect(vectors).toMatchGolden(): the same verdict and the same text as `parity compare`. */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../src/npy/npy.js';
import '../src/vitest.js';
import { FIXTURE, parity, tempDir } from './support/helpers.js';

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
    expect(message).toMatch(/^FAIL: received vectors vs .*default\.npy \(289×64\)\n {2}1 \/ 18496 elements \(0\.0054%\) beyond atol 1\.00e-5/);
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
