/**
 * Pooling and L2 normalization exactly as sentence-transformers defines them (models/Pooling.py,
 * models/Normalize.py), done by the harness for every ONNX-style backend so that the backends differ
 * only in their transformer kernels. Accumulates in float64 whatever the input precision.
 */
import type { PoolingConfig } from '../model/model-folder.js';

/**
 * Pools one sequence of `hidden` (row-major [seq, dim], starting at `offset`) whose first
 * `length` tokens are real (right padding) and writes the sentence vector to out[outOffset..+dim].
 */
export function poolSequence(
  hidden: ArrayLike<number>,
  offset: number,
  length: number,
  dim: number,
  pooling: PoolingConfig,
  out: Float32Array | Float64Array,
  outOffset: number,
): void {
  const acc = new Float64Array(dim);
  switch (pooling.mode) {
    case 'cls':
      for (let d = 0; d < dim; d++) acc[d] = hidden[offset + d];
      break;
    case 'max':
      acc.fill(-Infinity);
      for (let t = 0; t < length; t++) {
        for (let d = 0; d < dim; d++) acc[d] = Math.max(acc[d], hidden[offset + t * dim + d]);
      }
      break;
    case 'mean':
    case 'mean_sqrt_len': {
      for (let t = 0; t < length; t++) {
        for (let d = 0; d < dim; d++) acc[d] += hidden[offset + t * dim + d];
      }
      // torch.clamp(sum_mask, min=1e-9) in sentence-transformers: an all-padding row stays zero.
      const count = Math.max(length, 1e-9);
      const divisor = pooling.mode === 'mean' ? count : Math.sqrt(count);
      for (let d = 0; d < dim; d++) acc[d] /= divisor;
      break;
    }
  }
  if (pooling.normalize) normalizeInPlace(acc);
  for (let d = 0; d < dim; d++) out[outOffset + d] = acc[d];
}

/** torch.nn.functional.normalize(p=2, eps=1e-12): x / max(||x||, eps). */
export function normalizeInPlace(v: Float64Array): void {
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += v[i] * v[i];
  const norm = Math.max(Math.sqrt(sq), 1e-12);
  for (let i = 0; i < v.length; i++) v[i] /= norm;
}
