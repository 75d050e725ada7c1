/** Per-text facts the evaluation needs (token counts, batch lengths), from the harness tokenizer. */
import { batchLengths } from '../embed/batches.js';
import type { TextTokenizer } from '../tokenize/types.js';
import type { TextFacts } from './expectation.js';

/** How a run batched its texts: blocks of `blockTexts`, length-sorted batches of `batchSize` within each. */
export interface Batching {
  batchSize: number;
  blockTexts: number;
}

/**
 * Facts for the texts of a run, in run order (a shard's texts are whole blocks of the corpus, so its
 * blocks and batches are the single run's). Without a tokenizer only the ids are known.
 */
export function textFacts(tokenizer: TextTokenizer | null, texts: readonly string[], ids: readonly string[], batching: Batching | null): TextFacts {
  if (!tokenizer) return { ids };
  const encoded = texts.map((t) => tokenizer.encode(t));
  const lengths = encoded.map((e) => e.ids.length);
  return {
    ids,
    lengths,
    tokens: encoded.map((e) => e.fullLength),
    ...(batching ? { batchTokens: batchLengths(lengths, batching.blockTexts, batching.batchSize) } : {}),
  };
}
