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

/** The model the hypotheses are re-embedded with: fixed for a reembedder's lifetime. */
export interface HypothesisModel {
  config: BertConfig;
  tensors: Map<string, SafeTensor>;
  pooling: PoolingSpec;
  padId: number;
}

/** The texts of one request: rows of the run and what re-embedding them needs. */
export interface HypothesisRows {
  /** Rows of the run to re-embed, and their harness encodings (same order). */
  rows: readonly number[];
  encoded: readonly EncodedText[];
  /** Each row's padded batch length in the run (TextFacts.batchTokens): the mask hypothesis pads to it. */
  padTo?: readonly number[];
  /**
   * Most tokens this request may put through new forward passes: a hypothesis whose missing passes
   * would go past it is left out, and later, cheaper ones are still tried. Counted in tokens, not
   * milliseconds, so the same run gives the same evidence on a loaded machine as on a quiet one.
   */
  budgetTokens?: number;
}

export type HypothesisRequest = HypothesisModel & HypothesisRows;

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

/** One suspected fault: how it changes a text's input (null: it cannot apply), and the model variant it runs on. */
interface Hypothesis {
  cause: HypothesisVectors['cause'];
  label: string;
  make: (e: EncodedText, k: number) => Sequence | null;
  /** 0: the model as it is; k: position ids offset by k. */
  shift: number;
  spec: PoolingSpec;
}

/** Re-embeds the given texts under every suspected fault, once (one reembedder, no cache shared). */
export function reembedUnderHypotheses(req: HypothesisRequest): HypothesisVectors[] {
  return new HypothesisReembedder(req).reembed(req);
}

/**
 * Re-embeds texts under the suspected faults for one run (or one merge), for every failing backend
 * in turn: failing backends usually share their worst texts (the llama.cpp quantizations all fail on
 * the texts its tokenizer splits differently), so each vector is computed at most once and kept,
 * keyed by the hypothesis and the exact input it makes (ids, type ids, tokens pooled), never by row
 * alone. The float64 models (the weights as they are, and with the positions shifted) are built on
 * first use and kept too. The budget is charged every token a hypothesis needs, kept or not: which
 * hypotheses a backend gets tested is then its own request's doing, never the order in which other
 * backends were diagnosed before it (with --jobs that order is whichever finished first). The cache
 * only saves the time.
 */
export class HypothesisReembedder {
  private clean: BertFloat64 | null = null;
  private readonly shifted = new Map<number, BertFloat64>();
  private readonly vectors = new Map<string, Float64Array>();
  private readonly dim: number;
  /** Forward passes run so far (what the cache saves shows here), and the tokens they took. */
  forwardPasses = 0;
  tokensEmbedded = 0;

  constructor(private readonly model: HypothesisModel) {
    this.dim = pooledDim(model.config.hidden_size, model.pooling);
  }

  reembed(req: HypothesisRows): HypothesisVectors[] {
    const { rows, encoded } = req;
    const out: HypothesisVectors[] = [];
    let left = req.budgetTokens ?? Infinity;
    for (const h of this.hypotheses(req.padTo)) {
      const inputs: { row: number; seq: Sequence; key: string }[] = [];
      encoded.forEach((e, k) => {
        const seq = h.make(e, k);
        if (seq) inputs.push({ row: rows[k], seq, key: `${h.label}\n${seq.real} ${seq.promptLength}\n${seq.ids.join(',')}\n${seq.typeIds.join(',')}` });
      });
      if (!inputs.length) continue;
      const cost = inputs.reduce((sum, x) => sum + x.seq.ids.length, 0);
      if (cost > left) continue;
      left -= cost;
      for (const { seq, key } of inputs) if (!this.vectors.has(key)) this.vectors.set(key, this.embed(h, seq));
      const data = new Float64Array(inputs.length * this.dim);
      inputs.forEach((x, i) => data.set(this.vectors.get(x.key)!, i * this.dim));
      const picked = inputs.map((x) => x.row);
      out.push({ cause: h.cause, label: h.label, rows: picked, vectors: { rows: picked.length, dim: this.dim, data } });
    }
    return out;
  }

  /** The suspected faults, in the order they are tried (the order the diagnoses list them). */
  private hypotheses(padTo: readonly number[] | undefined): Hypothesis[] {
    const { config, pooling, padId } = this.model;
    const same = (e: EncodedText): Sequence => ({ ids: e.ids, typeIds: e.typeIds, real: e.ids.length, promptLength: e.promptLength });
    const list: Hypothesis[] = [];
    const add = (cause: Hypothesis['cause'], label: string, make: Hypothesis['make'], shift = 0, spec = pooling) => list.push({ cause, label, make, shift, spec });

    const modes = pooling.modes.join('+');
    if (modes === 'mean') add('pooling', 'CLS pooling instead of mean', same, 0, { ...pooling, modes: ['cls'] });
    if (modes === 'cls') add('pooling', 'mean pooling instead of CLS', same, 0, { ...pooling, modes: ['mean'] });
    if ((config.type_vocab_size ?? 0) >= 2) add('token-type-ids', 'token_type_ids of ones', (e) => ({ ...same(e), typeIds: e.typeIds.map(() => 1) }));
    if (padTo) {
      add('attention-mask', 'the attention mask ignored (padding attended to)', (e, k) => {
        const pad = padTo[k] - e.ids.length;
        if (!(pad > 0)) return null;
        return { ids: [...e.ids, ...Array(pad).fill(padId)], typeIds: [...e.typeIds, ...Array(pad).fill(0)], real: e.ids.length, promptLength: e.promptLength };
      });
    }
    if (positionKind(config) === 'absolute') {
      for (const k of POSITION_OFFSETS) {
        const limit = config.max_position_embeddings - k;
        add('position-ids', `position ids offset by ${k}`, (e) => (e.ids.length <= limit ? same(e) : null), k);
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
    return list;
  }

  /** One text's pooled vector under hypothesis `h`. */
  private embed(h: Hypothesis, seq: Sequence): Float64Array {
    const model = this.variant(h.shift);
    const hidden = model.forward(seq.ids, seq.typeIds);
    this.forwardPasses++;
    this.tokensEmbedded += seq.ids.length;
    const v = new Float64Array(this.dim);
    poolSequence(hidden, { offset: 0, length: seq.real, promptLength: seq.promptLength }, model.hidden, h.spec, v, 0);
    return v;
  }

  /** The float64 model with position ids offset by `shift` (0: as it is), built on first use. */
  private variant(shift: number): BertFloat64 {
    const { config, tensors } = this.model;
    if (shift === 0) return (this.clean ??= new BertFloat64(config, tensors));
    let model = this.shifted.get(shift);
    if (!model) {
      model = new BertFloat64(config, shiftPositions(tensors, config, shift));
      this.shifted.set(shift, model);
    }
    return model;
  }
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

