/**
 * Pooling, L2 normalization and Matryoshka truncation exactly as sentence-transformers defines them
 * (sentence_transformer/modules/pooling.py `_forward_padded`, base/modules/normalize.py,
 * SentenceTransformer._inference's truncate_embeddings), done by the harness for every ONNX-style
 * backend so that the backends differ only in their transformer kernels. Accumulates in float64
 * whatever the input precision.
 *
 * Each sequence is pooled over its own real tokens, so the result does not depend on the padding
 * side or on the batch it was padded into. That is what sentence-transformers computes too, with
 * two exceptions where its padded result depends on the batch and parity takes the unpadded one
 * (what it returns for a batch of one): none in the fixtures, both only when include_prompt is
 * false and the prompt covers the whole text (cls of a left-padded batch then reads position 0).
 *
 * Per mode, with m_t = 1 for the real tokens that are pooled (all of them, or those after the
 * prompt when include_prompt is false):
 * - cls: the first pooled token (Pooling takes attention_mask.argmax, the first real one).
 * - max: elementwise max over pooled tokens; -inf where there are none (masked_fill -inf).
 * - mean / mean_sqrt_len: sum / n or sum / sqrt(n), n clamped to 1e-9 (an empty row stays zero).
 * - weightedmean: weights 1, 2, 3… counted from the first real token (the prompt's tokens keep
 *   their positions when excluded), divided by the sum of the pooled weights.
 * - lasttoken: the last pooled token; zeros when there is none (gather of token·mask).
 * Several modes are concatenated in the configured order; Normalize then runs on the whole vector.
 * truncate_dim comes after, in the one step every runtime's full vectors go through
 * (embed/truncate.ts, applied by backends/embedding-capability.ts).
 */
import type { PoolingConfig, PoolingMode } from '../model/model-folder.js';

export type PoolingSpec = Pick<PoolingConfig, 'modes' | 'normalize' | 'includePrompt'>;

/** The sentence vector's width for token vectors of width `hidden`. */
export function pooledDim(hidden: number, spec: PoolingSpec): number {
  return hidden * spec.modes.length;
}

/** A sequence's real tokens inside a padded [batch, seq, dim] buffer. */
export interface SequenceView {
  /** Index into `hidden` of the first real token's first element. */
  offset: number;
  /** Real tokens (they are contiguous). */
  length: number;
  /** Leading prompt tokens (EncodedText.promptLength); left out when includePrompt is false. */
  promptLength?: number;
}

/**
 * Pools one sequence of `hidden` (row-major, `dim` wide, real tokens at view.offset onwards) and
 * writes pooledDim(dim, spec) values to out[outOffset..].
 */
export function poolSequence(
  hidden: ArrayLike<number>,
  view: SequenceView,
  dim: number,
  spec: PoolingSpec,
  out: Float32Array | Float64Array,
  outOffset: number,
): void {
  const { offset, length } = view;
  const skip = spec.includePrompt ? 0 : Math.min(view.promptLength ?? 0, length);
  const acc = new Float64Array(dim * spec.modes.length);
  spec.modes.forEach((mode, k) => poolMode(mode, hidden, offset, skip, length, dim, acc, k * dim));
  finishVector(acc, spec, out, outOffset);
}

/** Normalize (when the model has a Normalize module) and store: for vectors pooled by the model itself too. */
export function finishVector(acc: Float64Array, spec: Pick<PoolingSpec, 'normalize'>, out: Float32Array | Float64Array, outOffset: number): void {
  if (spec.normalize) normalizeInPlace(acc);
  for (let d = 0; d < acc.length; d++) out[outOffset + d] = acc[d];
}

function poolMode(mode: PoolingMode, hidden: ArrayLike<number>, offset: number, from: number, length: number, dim: number, acc: Float64Array, at: number): void {
  const token = (t: number, d: number) => hidden[offset + t * dim + d];
  const pooled = length - from;
  switch (mode) {
    case 'cls': {
      // attention_mask.argmax(): the first pooled token, or position 0 when nothing is pooled.
      const t = pooled > 0 ? from : 0;
      if (length > 0) for (let d = 0; d < dim; d++) acc[at + d] = token(t, d);
      break;
    }
    case 'lasttoken':
      if (pooled > 0) for (let d = 0; d < dim; d++) acc[at + d] = token(length - 1, d);
      break;
    case 'max':
      for (let d = 0; d < dim; d++) acc[at + d] = -Infinity;
      for (let t = from; t < length; t++) {
        for (let d = 0; d < dim; d++) acc[at + d] = Math.max(acc[at + d], token(t, d));
      }
      break;
    case 'mean':
    case 'mean_sqrt_len': {
      for (let t = from; t < length; t++) {
        for (let d = 0; d < dim; d++) acc[at + d] += token(t, d);
      }
      // torch.clamp(sum_mask, min=1e-9) in sentence-transformers: an all-padding row stays zero.
      const count = Math.max(pooled, 1e-9);
      const divisor = mode === 'mean' ? count : Math.sqrt(count);
      for (let d = 0; d < dim; d++) acc[at + d] /= divisor;
      break;
    }
    case 'weightedmean': {
      let weights = 0;
      for (let t = from; t < length; t++) {
        const w = t + 1;
        weights += w;
        for (let d = 0; d < dim; d++) acc[at + d] += w * token(t, d);
      }
      const divisor = Math.max(weights, 1e-9);
      for (let d = 0; d < dim; d++) acc[at + d] /= divisor;
      break;
    }
  }
}

/** torch.nn.functional.normalize(p=2, eps=1e-12): x / max(||x||, eps). */
export function normalizeInPlace(v: Float64Array): void {
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += v[i] * v[i];
  const norm = Math.max(Math.sqrt(sq), 1e-12);
  for (let i = 0; i < v.length; i++) v[i] /= norm;
}
