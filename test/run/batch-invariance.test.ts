import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.js';
import { createBackends } from '../../src/backends/registry.js';
import { compareBatchInvariance } from '../../src/compare/batch-invariance.js';
import { loadConfig } from '../../src/config/config.js';
import { loadCorpus } from '../../src/corpus/corpus.js';
import { measureBatchInvariance, sampleByLength } from '../../src/run/batch-invariance.js';
import { ModelContexts } from '../../src/tokenize/model-context.js';
import { ROOT } from '../support/helpers.js';
import { BackendError } from '../../src/errors.js';

describe('compareBatchInvariance (pure)', () => {
  it('max/mean abs, worst text, identical count', () => {
    const alone = { rows: 3, dim: 2, data: Float64Array.of(1, 0, 0, 1, 0.6, 0.8) };
    const batched = { rows: 3, dim: 2, data: Float64Array.of(1, 0, 0, 1.5, 0.6, 0.7) };
    const r = compareBatchInvariance(alone, batched, [4, 7, 9], Array.from({ length: 10 }, (_, i) => `t${i}`), Array.from({ length: 10 }, (_, i) => i * 2));
    expect(r.texts).toBe(3);
    expect(r.maxAbs).toBe(0.5);
    expect(r.meanAbs).toBeCloseTo(0.6 / 6, 15);
    expect(r.identical).toBe(1);
    expect(r.worstText).toEqual({ row: 7, id: 't7', maxAbs: 0.5, cosineDelta: 0, length: 14 });
    expect(r.perText[2].cosineDelta).toBeCloseTo(1 - (0.36 + 0.56) / Math.sqrt(0.36 + 0.49), 12);
    expect(() => compareBatchInvariance(alone, batched, [1, 2])).toThrow(RangeError);
  });

  it('samples evenly over length, shortest first, without the excluded row', () => {
    const lengths = [5, 1, 9, 3, 7, 2, 8];
    expect(sampleByLength(lengths, 3, 2)).toEqual([1, 0, 6]); // sorted: 1(1) 5(2) 3(3) 0(5) 4(7) 6(8); positions 0, 3, 5
    expect(sampleByLength(lengths, 10, 2)).toEqual([1, 5, 3, 0, 4, 6]);
  });
});

describe('measureBatchInvariance with a fake backend', () => {
  it('a backend that returns the wrong shape is a BackendError naming it, as in run.ts (not bad input)', async () => {
    const backend = (rowsFor: (n: number) => number): Backend => ({
      name: 'short',
      availability: async () => ({ available: true }),
      open: async () => {},
      environment: () => ({}),
      close: async () => {},
      embed: async (texts) => ({ rows: rowsFor(texts.length), dim: 2, data: new Float64Array(rowsFor(texts.length) * 2) }),
    });
    const texts = ['aaaa', 'a', 'aa', 'aaa'];
    const ids = texts.map((_, i) => `t${i}`);
    // One vector short in the padded batch.
    const batched = measureBatchInvariance(backend((n) => (n > 1 ? n - 1 : n)), texts, ids, { sample: 3, batchSize: 4 });
    await expect(batched).rejects.toBeInstanceOf(BackendError);
    await expect(batched).rejects.toThrow(/^short: returned 3×2 for 4 texts of dim 2$/);
    // Two vectors for one text alone.
    await expect(measureBatchInvariance(backend((n) => n + 1), texts, ids, { sample: 3, batchSize: 4 })).rejects.toThrow(/^short: returned 2×2 for 1 text of dim 2$/);
  });

  it('builds batches that start with the longest text and catches a vector that depends on its batch', async () => {
    const calls: string[][] = [];
    // A "leaky" backend: each vector gets 1e-3 x the longest text in its batch of 4 (padding leaking in).
    const leaky: Backend = {
      name: 'leaky',
      availability: async () => ({ available: true }),
      open: async () => {},
      environment: () => ({}),
      close: async () => {},
      embed: async (texts) => {
        calls.push([...texts]);
        const data = new Float64Array(texts.length * 2);
        for (let start = 0; start < texts.length; start += 4) {
          const chunk = texts.slice(start, start + 4);
          const pad = Math.max(...chunk.map((t) => t.length));
          chunk.forEach((t, k) => data.set([t.length, 1e-3 * pad], (start + k) * 2));
        }
        return { rows: texts.length, dim: 2, data };
      },
    };
    const texts = ['aaaaaaaaaa', 'a', 'aa', 'aaa', 'aaaa', 'aaaaa', 'aaaaaa'];
    const ids = texts.map((_, i) => `t${i}`);
    const r = await measureBatchInvariance(leaky, texts, ids, { sample: 5, batchSize: 4 });
    expect(r.longest).toEqual({ row: 0, id: 't0', length: 10 });
    expect(r.lengthUnit).toBe('characters');
    expect(calls.slice(0, 5).every((c) => c.length === 1)).toBe(true); // alone: one text per call
    // One call per batch: [longest + 3 samples], [longest + 2 samples].
    expect(calls.slice(5).map((c) => c.length)).toEqual([4, 3]);
    expect(calls.slice(5).map((c) => c[0])).toEqual([texts[0], texts[0]]);
    expect(r.batches).toBe(2);
    // Text 'a' alone: pad 1 → 1e-3; batched next to the 10-char text: 1e-2. Difference 9e-3.
    expect(r.perText.find((t) => t.id === 't1')!.maxAbs).toBeCloseTo(9e-3, 12);
    expect(r.worstText!.id).toBe('t1');
    expect(r.identical).toBe(0);
  });
});

describe('measureBatchInvariance on the fixture model', () => {
  process.chdir(ROOT);
  const config = loadConfig(join(ROOT, 'parity.config.json'));
  const corpus = loadCorpus(config.corpus);
  const contexts = new ModelContexts();

  async function measure(name: string) {
    const spec = config.backends.find((b) => b.name === name)!;
    const [backend] = createBackends([spec]);
    const ctx = await contexts.get(spec.modelDir);
    await backend.open({ model: ctx.model, tokenizer: ctx.tokenizer, batchSize: 16 });
    try {
      const lengths = corpus.texts.map((t) => ctx.tokenizer.encode(t).ids.length);
      return await measureBatchInvariance(backend, corpus.texts, corpus.ids, { sample: 32, batchSize: 16, lengths });
    } finally {
      await backend.close();
    }
  }

  it('cpu-fp32 and cpu-fp16: a text gives the same vector alone and next to the longest text, within rounding', async () => {
    const fp32 = await measure('cpu-fp32');
    const fp16 = await measure('cpu-fp16');
    for (const [name, r] of [['cpu-fp32', fp32], ['cpu-fp16', fp16]] as const) {
      console.log(
        `${name}: ${r.texts} texts in ${r.batches} batches of ${r.batchSize} padded to '${r.longest.id}' (${r.longest.length} tokens): ` +
          `max abs ${r.maxAbs.toExponential(3)} at '${r.worstText!.id}' (${r.worstText!.length} tokens), mean abs ${r.meanAbs.toExponential(3)}, ` +
          `cos Δ max ${r.cosineDeltaMax.toExponential(3)}, bit-identical ${r.identical}/${r.texts}`,
      );
    }
    expect(fp32.texts).toBe(32);
    expect(fp32.lengthUnit).toBe('tokens');
    expect(fp32.batches).toBe(Math.ceil(32 / 15));
    expect(fp32.sampleRows).not.toContain(fp32.longest.row);
    // The fp32 tolerance against golden is atol 1e-5: padding must cost far less than that.
    expect(fp32.maxAbs).toBeLessThan(1e-6);
    const fp16Tol = config.backends.find((b) => b.name === 'cpu-fp16')!.tolerance;
    expect(fp16.maxAbs).toBeLessThan(fp16Tol.atol);
    expect(fp16.cosineDeltaMax).toBeLessThan(fp16Tol.cosine!);
  }, 120_000);
});
