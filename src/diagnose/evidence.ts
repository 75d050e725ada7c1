/**
 * The evidence `run` and `merge` hand the diagnoses (evaluate/checks.ts), built the same way in
 * both so that a merged report says what the single run says:
 * - who tokenized for each runtime (the registry's declaration);
 * - for a failing backend, its worst texts re-embedded by the float64 reference under each suspected
 *   fault (hypotheses.ts), when the model is one the reference computes; within a budget of tokens per
 *   backend, since the reference is a CPU forward pass. One reembedder serves every failing backend
 *   of the run, so a text the backends share among their worst is re-embedded under a fault once.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { HypothesisVectors } from '../compare/hypothesis-match.js';
import { tokenizedBy } from '../backends/registry.js';
import type { DiagnosisEvidence } from '../evaluate/checks.js';
import type { ModelInfo } from '../model/model-folder.js';
import { readSafetensors } from '../model/safetensors.js';
import type { TextTokenizer } from '../tokenize/types.js';
import { HypothesisReembedder } from './hypotheses.js';
import { truncateRows } from '../embed/truncate.js';

/**
 * Tokens each failing backend may put through new float64 forward passes (vectors already computed
 * for an earlier backend cost nothing): 4 hypotheses over 4 texts of 256 tokens, about 20 s on one
 * core of this project's AMD EPYC (1.25 s per 256-token pass). A token count, not a time, so the
 * evidence does not depend on the machine's load: the same run gives the same diagnoses everywhere.
 */
export const HYPOTHESIS_BUDGET_TOKENS = 4096;
/** Texts longer than this are not re-embedded (an O(n²) float64 pass per hypothesis). */
export const HYPOTHESIS_MAX_TOKENS = 256;

/** Model types the float64 reference computes (backends/reference). */
const REFERENCE_TYPES = new Set(['bert']);

export function diagnosisEvidence(
  model: ModelInfo | null,
  tokenizer: TextTokenizer | null,
  texts: readonly string[],
  batchTokens: readonly number[] | undefined,
): DiagnosisEvidence {
  const weights = model ? join(model.dir, 'model.safetensors') : '';
  const canReembed = model !== null && tokenizer !== null && REFERENCE_TYPES.has(model.config.model_type) && (model.config.position_embedding_type ?? 'absolute') === 'absolute' && existsSync(weights);
  let reembedder: HypothesisReembedder | null = null;
  return {
    tokenizedBy,
    ...(canReembed
      ? {
          hypotheses(rows: readonly number[]): HypothesisVectors[] {
            const encoded = rows.map((r) => tokenizer!.encode(texts[r]));
            const keep = rows.map((_, k) => k).filter((k) => encoded[k].ids.length <= HYPOTHESIS_MAX_TOKENS);
            if (!keep.length) return [];
            reembedder ??= new HypothesisReembedder({ config: model!.config, tensors: readSafetensors(weights), pooling: model!.pooling, padId: tokenizer!.padId });
            const found = reembedder.reembed({
              rows: keep.map((k) => rows[k]),
              encoded: keep.map((k) => encoded[k]),
              ...(batchTokens ? { padTo: keep.map((k) => batchTokens[rows[k]]) } : {}),
              budgetTokens: HYPOTHESIS_BUDGET_TOKENS,
            });
            // The same shared step as the backends' full vectors: keep the run's first truncateDim values.
            return found.map((h) => ({ ...h, vectors: truncateRows(h.vectors, model!.truncateDim) }));
          },
        }
      : {}),
  };
}
