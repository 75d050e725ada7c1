/**
 * The llama-cpp runtime on the real all-MiniLM-L6-v2 GGUFs that `npm run models` converts with
 * llama.cpp's own convert_hf_to_gguf.py. In CI node-llama-cpp (a dev dependency) and the model must
 * be there: a missing install fails instead of skipping. Every number asserted is computed here.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBackends } from '../../../src/backends/registry.js';
import { ModelContexts } from '../../../src/tokenize/model-context.js';
import { embedWithBackend } from '../../../src/run/embed-with-backend.js';
import { REAL_MINILM_DIR, requireInstall, requireRealModel } from '../../support/installs.js';

const resolvable = (() => {
  try {
    createRequire(import.meta.url).resolve('node-llama-cpp');
    return true;
  } catch {
    return false;
  }
})();
const nodeLlamaCpp = requireInstall('node-llama-cpp', resolvable, 'npm ci (a dev dependency)');
const model = requireRealModel();
/** PARITY_LLAMA_MODEL_DIR: another all-MiniLM-L6-v2 folder made by python/make_models.py --out. */
const MODEL_DIR = process.env.PARITY_LLAMA_MODEL_DIR ?? REAL_MINILM_DIR;
const gguf = requireInstall(`the GGUF files (${MODEL_DIR}/gguf)`, existsSync(join(MODEL_DIR, 'gguf', 'model-f32.gguf')), 'npm run setup:python && npm run models');

async function embed(texts: string[], options: Record<string, unknown>) {
  const [backend] = createBackends([{ name: 'llama', runtime: 'llama-cpp', modelDir: MODEL_DIR, options: { threads: 1, ...options } }]);
  return embedWithBackend({ backend, modelDir: MODEL_DIR, texts, batchSize: 4, timeoutMs: 120_000, contexts: new ModelContexts() });
}

describe.skipIf(!nodeLlamaCpp.present || !model.present || !gguf.present)(gguf.title(model.title(nodeLlamaCpp.title('llama-cpp runtime'))), () => {
  it('embeds through each GGUF and records what llama.cpp read from it', async () => {
    for (const [file, fileType] of [['f32', 'ALL_F32'], ['f16', 'MOSTLY_F16'], ['q8_0', 'MOSTLY_Q8_0']]) {
      const o = await embed(['hello world'], { model: `gguf/model-${file}.gguf` });
      if (o.status !== 'ok') throw new Error(`${file}: ${o.status} ${o.reason}`);
      expect(o.vectors.dim).toBe(384);
      // The harness applied the model's Normalize module: a unit vector.
      const norm = Math.hypot(...o.vectors.data);
      expect(Math.abs(norm - 1)).toBeLessThan(1e-6);
      const env = o.environment as Record<string, any>;
      expect(env.fileType).toBe(fileType);
      expect(env.architecture).toBe('bert');
      expect(env.pooling).toEqual({ llamaCpp: 'mean', model: 'mean', matches: true });
      expect(env.nodeLlamaCpp).toBe('3.21.1');
      expect(env.threads).toBe(1);
      expect(env.tokenizer).toMatchObject({ texts: 1, disagreeing: 0, diagnosis: null });
      // What llama.cpp's own log said it did with node-llama-cpp's default flash attention.
      expect(env.flashAttention.llamaCpp).toMatch(/^auto -> (enabled|disabled)$/);
    }
  }, 120_000);

  it('finds where llama.cpp tokenizes differently from the Hugging Face tokenizer, and names it', async () => {
    // Two found disagreements: llama.cpp's WordPiece drops Hangul's medial vowel jamo after NFD
    // (한 = ᄒ ᅡ ᆫ keeps only ᄒ), and a literal "[MASK]" is one special token to tokenizer.json
    // but plain text "[", "mask", "]" to llama.cpp.
    const o = await embed(['hello world', '한국어', 'a [MASK] b'], {});
    if (o.status !== 'ok') throw new Error(`${o.status} ${o.reason}`);
    const t = (o.environment as Record<string, any>).tokenizer;
    expect([t.texts, t.disagreeing]).toEqual([3, 2]);
    expect(t.examples[0]).toMatchObject({ row: 1, text: '한국어', position: 2, ours: { id: 29991, token: 'ᄀ' }, theirs: { id: 30006, token: '##ᅡ' } });
    expect(t.examples[1]).toMatchObject({ row: 2, text: 'a [MASK] b', position: 2, ours: { id: 1031 }, theirs: { id: 103, token: '[MASK]' } });
    expect(t.diagnosis).toContain('llama.cpp tokenizes 2 of 3 texts differently from the Hugging Face tokenizer');
    expect(t.diagnosis).toContain('text 1 "한국어" at position 2');
  }, 120_000);

  it("the 1e-4 is ggml's GELU: llama.cpp is far closer to the float64 model computed with ggml's fp16-table tanh GELU than to the erf one", async () => {
    // README "What it found in llama.cpp". Flash attention off, so that its fp16 K/V stays out of it.
    const texts = ['hello world', '2024', 'The quick brown fox jumps over the lazy dog.', 'Embeddings from two runtimes should agree.'];
    const vectors = async (runtime: string, options: Record<string, unknown>) => {
      const [backend] = createBackends([{ name: runtime, runtime, modelDir: MODEL_DIR, options }]);
      const o = await embedWithBackend({ backend, modelDir: MODEL_DIR, texts, batchSize: 4, timeoutMs: 300_000, contexts: new ModelContexts() });
      if (o.status !== 'ok') throw new Error(`${runtime}: ${o.status} ${o.reason}`);
      return o.vectors.data;
    };
    const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
    const erf = await vectors('reference', {});
    const ggml = await vectors('reference', { gelu: 'ggml-cpu' });
    const llama = await vectors('llama-cpp', { threads: 1, flashAttention: false });
    const toErf = maxAbs(llama, erf);
    const toGgml = maxAbs(llama, ggml);
    console.log(`llama.cpp f32 vs float64 erf GELU ${toErf.toExponential(3)}, vs ggml GELU ${toGgml.toExponential(3)}; ggml vs erf GELU ${maxAbs(ggml, erf).toExponential(3)}`);
    // Measured 2.43e-4, 3.77e-5 and 2.50e-4.
    expect(toErf).toBeGreaterThan(1e-4);
    expect(maxAbs(ggml, erf)).toBeGreaterThan(1e-4);
    expect(toGgml).toBeLessThan(toErf / 4);
  }, 300_000);

  it('a text longer than the context is a named error, never cut silently', async () => {
    const o = await embed(['hello world', 'one two three four five six seven eight nine ten'], { contextSize: 8, truncate: false });
    expect(o.status).toBe('error');
    expect(o.status === 'error' && o.reason).toMatch(/text 1 is 12 tokens in llama.cpp's tokenization, more than its context of 8 takes/);
  }, 120_000);

  it('without the GGUF file it is skipped with the command that makes it', async () => {
    const o = await embed(['x'], { model: 'gguf/missing.gguf' });
    expect(o.status).toBe('skipped');
    expect(o.status === 'skipped' && o.reason).toContain('npm run models');
  });
});
