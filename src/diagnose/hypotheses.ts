/**
 * Re-embeds a few texts with the float64 reference under each suspected fault, so that a diagnosis
 * can test a hypothesis instead of guessing it (compare/hypothesis-match.ts judges the result).
 * The faults are the ones a backend commonly gets wrong around the transformer itself:
 * - CLS pooling where the model means (or mean where it means CLS);
 * - token_type_ids of ones;
 * - the attention mask ignored, so a text padded into a longer batch sees its padding;
 * - position ids offset by 1 or 2 (RoBERTa's padding_idx + 1 convention applied to BERT, or twice);
 * - the text cut at a shorter length (8 … 512 tokens), the closing special token kept;
 * - the closing special token dropped.
 * BERT-family models only (what the reference computes); the caller bounds how many texts it asks for.
 */
import type { HypothesisVectors } from '../compare/hypothesis-match.js';
import { BertFloat64 } from '../backends/reference/bert-f64.js';
import { positionKind, type BertConfig } from '../model/bert-config.js';
import type { SafeTensor } from '../model/safetensors.js';
import { pooledDim, poolSequence, type PoolingSpec } from '../embed/pooling.js';
import type { EncodedText } from '../tokenize/types.js';

export interface HypothesisRequest {
  config: BertConfig;
  tensors: Map<string, SafeTensor>;
  pooling: PoolingSpec;
  /** Rows of the run to re-embed, and their harness encodings (same order). */
  rows: readonly number[];
  encoded: readonly EncodedText[];
  /** Each row's padded batch length in the run (TextFacts.batchTokens): the mask hypothesis pads to it. */
  padTo?: readonly number[];
  padId: number;
  /** performance.now() past which no further hypothesis is started (the ones done are returned). */
  deadline?: number;
}

/** Truncation lengths tried: the usual max_seq_length values below a text's length. */
export const TRUNCATION_LENGTHS = [8, 16, 32, 64, 128, 256, 512] as const;
/** Position offsets tried. */
export const POSITION_OFFSETS = [1, 2] as const;

interface Sequence {
  ids: number[];
  typeIds: number[];
  /** Tokens pooled: the first `real` of the forward pass's output. */
  real: number;
  promptLength: number;
}

export function reembedUnderHypotheses(req: HypothesisRequest): HypothesisVectors[] {
  const { config, tensors, pooling, rows, encoded } = req;
  const clean = new BertFloat64(config, tensors);
  const dim = pooledDim(clean.hidden, pooling);
  const same = (e: EncodedText): Sequence => ({ ids: e.ids, typeIds: e.typeIds, real: e.ids.length, promptLength: e.promptLength });
  const out: HypothesisVectors[] = [];
  /** Vectors for the rows whose variant `make` returns (null: the fault cannot apply to that text). */
  const add = (cause: HypothesisVectors['cause'], label: string, make: (e: EncodedText, k: number) => Sequence | null, model = clean, spec = pooling) => {
    if (req.deadline !== undefined && performance.now() > req.deadline) return;
    const picked: number[] = [];
    const data: number[] = [];
    encoded.forEach((e, k) => {
      const seq = make(e, k);
      if (!seq) return;
      const hidden = model.forward(seq.ids, seq.typeIds);
      const v = new Float64Array(dim);
      poolSequence(hidden, { offset: 0, length: seq.real, promptLength: seq.promptLength }, model.hidden, spec, v, 0);
      picked.push(rows[k]);
      data.push(...v);
    });
    if (picked.length) out.push({ cause, label, rows: picked, vectors: { rows: picked.length, dim, data: Float64Array.from(data) } });
  };

  const modes = pooling.modes.join('+');
  if (modes === 'mean') add('pooling', 'CLS pooling instead of mean', same, clean, { ...pooling, modes: ['cls'] });
  if (modes === 'cls') add('pooling', 'mean pooling instead of CLS', same, clean, { ...pooling, modes: ['mean'] });
  if ((config.type_vocab_size ?? 0) >= 2) add('token-type-ids', 'token_type_ids of ones', (e) => ({ ...same(e), typeIds: e.typeIds.map(() => 1) }));
  if (req.padTo) {
    const padTo = req.padTo;
    add('attention-mask', 'the attention mask ignored (padding attended to)', (e, k) => {
      const pad = padTo[k] - e.ids.length;
      if (!(pad > 0)) return null;
      return { ids: [...e.ids, ...Array(pad).fill(req.padId)], typeIds: [...e.typeIds, ...Array(pad).fill(0)], real: e.ids.length, promptLength: e.promptLength };
    });
  }
  if (positionKind(config) === 'absolute') {
    for (const k of POSITION_OFFSETS) {
      const shifted = new BertFloat64(config, shiftPositions(tensors, config, k));
      const limit = config.max_position_embeddings - k;
      add('position-ids', `position ids offset by ${k}`, (e) => (e.ids.length <= limit ? same(e) : null), shifted);
    }
  }
  for (const L of TRUNCATION_LENGTHS) {
    add('truncation', `the text cut at ${L} tokens`, (e) =>
      e.ids.length > L ? { ids: [...e.ids.slice(0, L - 1), e.ids[e.ids.length - 1]], typeIds: e.typeIds.slice(0, L), real: L, promptLength: Math.min(e.promptLength, L) } : null,
    );
  }
  add('special-tokens', 'the closing special token dropped', (e) =>
    e.ids.length > 1 ? { ids: e.ids.slice(0, -1), typeIds: e.typeIds.slice(0, -1), real: e.ids.length - 1, promptLength: e.promptLength } : null,
  );
  return out;
}

/** The same weights with position p reading row p + k of the position table (position ids offset by k). */
function shiftPositions(tensors: Map<string, SafeTensor>, config: BertConfig, k: number): Map<string, SafeTensor> {
  const prefix = tensors.has('bert.embeddings.word_embeddings.weight') ? 'bert.' : '';
  const name = `${prefix}embeddings.position_embeddings.weight`;
  const table = tensors.get(name);
  if (!table) return tensors;
  const H = config.hidden_size;
  // Rows past the end read zeros: the texts that would reach them are not re-embedded (limit above).
  const data = new Float32Array(table.data.length);
  data.set(table.data.subarray(k * H));
  return new Map(tensors).set(name, { ...table, data });
}

