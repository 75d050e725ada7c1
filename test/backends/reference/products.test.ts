/**
 * The float64 reference's WebAssembly SIMD products are bit-identical to its plain loops: every
 * element is the same sum in the same order (gemm.wat), so not one bit may differ — on odd shapes
 * (rows and columns that are not multiples of 4), and through whole forward passes of every fixture
 * family, intermediate tensors included, and past the attention's block of query rows.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BertFloat64 } from '../../../src/backends/reference/bert-f64.js';
import { LoopProducts } from '../../../src/backends/reference/products.js';
import { WasmProducts } from '../../../src/backends/reference/wasm-products.js';
import { loadModelInfo } from '../../../src/model/model-folder.js';
import { readSafetensors } from '../../../src/model/safetensors.js';
import { Prng } from '../../../src/numeric/prng.js';
import { ROOT } from '../../support/helpers.js';

/** Values spread over orders of magnitude and both signs, so that sum order shows in the last bits. */
function values(rng: Prng, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * 10 ** (3 * rng.uniform() - 1.5);
  return out;
}

/** Counts elements that differ in any bit (Object.is: -0 and +0 differ, NaN equals NaN). */
function differing(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

describe('reference products: WebAssembly SIMD vs plain loops', () => {
  it.each([
    [1, 5, 3],
    [3, 7, 6],
    [4, 384, 384],
    [13, 64, 130],
    [9, 1536, 384],
  ])('linear and product on %i rows, k %i, n %i: bit-identical', (rows, k, n) => {
    const rng = new Prng(rows * 1000 + k + n);
    const x = values(rng, rows * k);
    const w = values(rng, n * k);
    const b = values(rng, n);
    const loops = new LoopProducts();
    const wasm = new WasmProducts();
    const expected = loops.linear(x, rows, loops.linearWeights(w, b, n, k));
    const got = wasm.linear(x, rows, wasm.linearWeights(w, b, n, k));
    expect(differing(got, expected)).toBe(0);
    // Not a vacuous match: the sums are real, and adding in another order would change some bits.
    let reordered = 0;
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < n; o++) {
        let acc = b[o];
        for (let i = k - 1; i >= 0; i--) acc += x[r * k + i] * w[o * k + i];
        if (acc !== expected[r * n + o]) reordered++;
      }
    }
    if (k >= 64) expect(reordered).toBeGreaterThan(0);
    expect(differing(wasm.product(x, rows, k, w, n), loops.product(x, rows, k, w, n))).toBe(0);
  });

  it.each([
    ['tiny-bert', [1, 7, 40, 128]],
    ['tiny-alibi', [3, 40, 200]],
    ['tiny-alibi-causal', [3, 40, 1030]],
    ['tiny-rotary', [3, 40, 200]],
  ])('%s: forward passes bit-identical at %j tokens, every probed tensor included', (folder, lengths) => {
    const dir = join(ROOT, 'fixtures/models', folder);
    const info = loadModelInfo(dir);
    const tensors = readSafetensors(join(dir, 'model.safetensors'));
    const wasm = new BertFloat64(info.config, tensors);
    const loops = new BertFloat64(info.config, tensors, { kernel: 'loops' });
    for (const S of lengths) {
      const ids = Array.from({ length: S }, (_, t) => 5 + ((t * 37) % (info.config.vocab_size - 5)));
      const types = ids.map((_, t) => (t < S / 2 ? 0 : 1));
      // 1030 tokens: attention goes in blocks of 1016 query rows, 1030 keys are not a multiple of 4,
      // and causal rows add exact zeros for the keys past them (the loops of one model are enough).
      const probed = (model: BertFloat64) => {
        const seen: [string, Float64Array][] = [];
        const out = model.forward(ids, types, S <= 128 ? (name, data) => seen.push([name, data.slice()]) : undefined);
        return { out, seen };
      };
      const a = probed(wasm);
      const b = probed(loops);
      expect(differing(a.out, b.out), `${folder} ${S} tokens`).toBe(0);
      expect(a.seen.map(([n]) => n)).toEqual(b.seen.map(([n]) => n));
      a.seen.forEach(([name, data], i) => expect(differing(data, b.seen[i][1]), `${folder} ${S} tokens ${name}`).toBe(0));
      // A real forward pass: finite, not all zeros, layer-normed rows (mean of |x| of order 1).
      let abs = 0;
      for (const v of a.out) {
        expect(Number.isFinite(v)).toBe(true);
        abs += Math.abs(v);
      }
      expect(abs / a.out.length).toBeGreaterThan(0.05);
    }
  }, 120_000);
});
