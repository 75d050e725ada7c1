/** The subset of a Hugging Face BertConfig (config.json) that a BertModel forward pass needs. */
export interface BertConfig {
  model_type: string;
  architectures?: string[];
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: string;
  max_position_embeddings: number;
  type_vocab_size: number;
  layer_norm_eps: number;
  pad_token_id?: number;
  [key: string]: unknown;
}

/** How token positions enter the model: a learned table (BERT), ALiBi biases (JinaBERT) or rotary q/k (RoFormer). */
export type PositionKind = 'absolute' | 'alibi' | 'rotary';

export function positionKind(config: BertConfig): PositionKind {
  if (config.model_type === 'roformer' || config.position_embedding_type === 'rotary') return 'rotary';
  if (config.position_embedding_type === 'alibi') return 'alibi';
  return 'absolute';
}

/**
 * Causal self-attention (query i sees keys j <= i), as BertModel does with `is_decoder: true` and as
 * decoder embedding models (SGPT-BLOOM, MPT-style ALiBi) are built. Only the long-reach ALiBi fixture
 * uses it here: under a causal mask ALiBi's signed bias slope·(j - i) is positive for future keys, so
 * only the mask holds them back, and an additive sentinel stops doing so once slope·distance passes it.
 */
export function isCausal(config: BertConfig): boolean {
  return config.is_decoder === true;
}

/**
 * ALiBi slopes per head: the config's `alibi_slopes` when given (the fixtures set them), else
 * JinaBERT's / Press et al.'s geometric 2^(-8(h+1)/n) for n a power of two.
 */
export function alibiSlopes(config: BertConfig): number[] {
  const heads = config.num_attention_heads;
  const given = config.alibi_slopes;
  if (Array.isArray(given)) {
    if (given.length !== heads || given.some((m) => typeof m !== 'number' || !(m > 0))) {
      throw new Error(`alibi_slopes must be ${heads} positive numbers (one per head), got ${JSON.stringify(given)}`);
    }
    return given as number[];
  }
  if (!Number.isInteger(Math.log2(heads))) throw new Error(`ALiBi without alibi_slopes needs a power-of-two head count, got ${heads}`);
  return Array.from({ length: heads }, (_, h) => 2 ** ((-8 * (h + 1)) / heads));
}

/** RoFormer's rotary frequencies 1/10000^(2j/d), j < d/2, in float64. */
export function rotaryInvFreq(dim: number): number[] {
  return Array.from({ length: dim / 2 }, (_, j) => 1 / 10000 ** ((2 * j) / dim));
}
