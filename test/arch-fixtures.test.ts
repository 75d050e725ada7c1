/**
 * Embedding models beyond BERT, end to end: the seeded fixtures of scripts/make_arch_fixtures.py
 * (MPNet, XLM-RoBERTa, ModernBERT, a Qwen3 decoder with left padding and last-token pooling) run on
 * cpu-fp32 (onnxruntime-node) and wasm-fp32 (onnxruntime-web) through the harness tokenizer, feeds
 * and pooling, and must equal sentence-transformers run in float64 on PyTorch within torch.testing's
 * fp32 tolerance (atol 1e-5, rtol 1.3e-6), for every pooling mode, prompt and truncate_dim the
 * goldens were made with.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, Matrix } from '../src/backends/backend.js';
import { OrtNodeBackend } from '../src/backends/onnxruntime-node/runner.js';
import { OrtWebBackend } from '../src/backends/onnxruntime-web/runner.js';
import { loadCorpus } from '../src/corpus/corpus.js';
import { readGolden } from '../src/golden/golden.js';
import type { EmbeddingChoices } from '../src/model/model-folder.js';
import { ModelContexts } from '../src/run/model-context.js';
import { ROOT } from './helpers.js';

export const ARCH_MODELS = join(ROOT, 'fixtures/models/arch');
export const ARCH_GOLDEN = join(ROOT, 'golden/arch');
const corpus = loadCorpus(join(ROOT, 'fixtures/corpus/default.jsonl'));
const FP32 = { atol: 1e-5, rtol: 1.3e-6 };

interface Case {
  fixture: string;
  golden: string;
  pooling: string;
  choices: EmbeddingChoices;
  /** ONNX file in the model folder (default onnx/model.onnx). */
  model?: string;
  /** What this case adds beyond the others. */
  what: string;
}

export const CASES: Case[] = [
  { fixture: 'mpnet', golden: 'mpnet.npy', pooling: 'mean', choices: {}, what: 'MPNet, no token_type_ids, <s> … </s>, mean + Normalize' },
  { fixture: 'mpnet', golden: 'mpnet.npy', pooling: 'mean (in the graph)', choices: {}, model: 'onnx/model_pooled.onnx', what: 'a sentence_embedding output: pooling is the model\'s' },
  { fixture: 'mpnet', golden: 'mpnet.dim16.npy', pooling: 'mean', choices: { truncateDim: 16 }, what: 'Matryoshka truncate_dim 16 after Normalize' },
  { fixture: 'xlm-roberta', golden: 'xlm-roberta.npy', pooling: 'cls', choices: {}, what: 'Unigram + Metaspace, default_prompt_name "query"' },
  { fixture: 'xlm-roberta', golden: 'xlm-roberta.prompt-passage.npy', pooling: 'cls', choices: { promptName: 'passage' }, what: 'another prompt chosen for the run' },
  { fixture: 'modernbert', golden: 'modernbert.npy', pooling: 'max+mean_sqrt_len', choices: {}, what: 'rotary, sliding-window layers, two modes concatenated' },
  { fixture: 'qwen3', golden: 'qwen3.npy', pooling: 'lasttoken', choices: {}, what: 'decoder, left padding, position_ids input, EOS appended' },
  { fixture: 'qwen3', golden: 'qwen3.prompt-query.npy', pooling: 'lasttoken', choices: { promptName: 'query' }, what: 'Qwen3-Embedding-style instruction prompt' },
  { fixture: 'qwen3-weightedmean', golden: 'qwen3-weightedmean.npy', pooling: 'weightedmean', choices: {}, what: 'left padding, include_prompt false (default prompt)' },
];

const contexts = new ModelContexts();
const opened: Backend[] = [];
afterAll(async () => {
  for (const b of opened) await b.close();
});

async function embed(kind: 'cpu' | 'wasm', c: Case): Promise<Matrix> {
  const modelDir = join(ARCH_MODELS, c.fixture);
  const spec = { name: `${kind}-fp32`, runtime: kind === 'cpu' ? 'onnxruntime-node' : 'onnxruntime-web', modelDir, options: { model: c.model ?? 'onnx/model.onnx' } };
  const backend = kind === 'cpu' ? new OrtNodeBackend(spec) : new OrtWebBackend(spec);
  opened.push(backend);
  const availability = await backend.availability();
  expect(availability).toEqual({ available: true });
  const ctx = await contexts.get(modelDir, c.choices);
  await backend.open({ model: ctx.model, tokenizer: ctx.tokenizer, batchSize: 16 });
  const vectors = await backend.embed(corpus.texts);
  await backend.close();
  return vectors;
}

/** max |a - g| and the worst allclose ratio |a - g| / (atol + rtol·|g|). */
function against(actual: Matrix, golden: Matrix) {
  let maxAbs = 0;
  let worst = 0;
  let nonFinite = 0;
  for (let i = 0; i < golden.data.length; i++) {
    const a = actual.data[i];
    const g = golden.data[i];
    if (!Number.isFinite(a)) nonFinite++;
    const d = Math.abs(a - g);
    maxAbs = Math.max(maxAbs, d);
    worst = Math.max(worst, d / (FP32.atol + FP32.rtol * Math.abs(g)));
  }
  return { maxAbs, worst, nonFinite };
}

const measured: string[] = [];
afterAll(() => {
  if (measured.length) console.log(['architecture fixtures vs PyTorch float64 (sentence-transformers):', ...measured].join('\n'));
});

describe('architecture fixtures against their float64 goldens', () => {
  it('are all present (npm run fixtures:arch writes them)', () => {
    for (const c of CASES) {
      expect(existsSync(join(ARCH_MODELS, c.fixture, c.model ?? 'onnx/model.onnx'))).toBe(true);
      expect(existsSync(join(ARCH_GOLDEN, c.golden))).toBe(true);
    }
  });

  for (const c of CASES) {
    for (const kind of ['cpu', 'wasm'] as const) {
      it(`${kind}-fp32: ${c.fixture} ${c.model ?? ''} → ${c.golden} (${c.what})`, async () => {
        const golden = readGolden(join(ARCH_GOLDEN, c.golden));
        expect(golden.meta!.pooling).toBe(c.pooling.replace(' (in the graph)', ''));
        const vectors = await embed(kind, c);
        expect([vectors.rows, vectors.dim]).toEqual([golden.rows, golden.dim]);
        const r = against(vectors, golden.vectors);
        measured.push(`  ${kind}-fp32 ${c.fixture}${c.model ? ` (${c.model})` : ''} ${c.pooling} ${c.golden}: max abs ${r.maxAbs.toExponential(2)}, worst/allowed ${r.worst.toFixed(3)}`);
        expect(r.nonFinite).toBe(0);
        expect(r.worst).toBeLessThanOrEqual(1);
        // Not vacuous: the vectors are far from zero and differ between texts.
        let norm = 0;
        for (let d = 0; d < vectors.dim; d++) norm += vectors.data[d] ** 2;
        expect(norm).toBeGreaterThan(1e-3);
      }, 120_000);
    }
  }
});
