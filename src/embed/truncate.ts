/**
 * sentence-transformers' truncate_dim (Matryoshka): keep the first N values of each sentence vector,
 * after Normalize and without renormalizing. One place computes the kept width and cuts rows, for the
 * harness's pooling and for runtimes that return full vectors.
 */
import type { Matrix } from '../numeric/matrix.js';

/** Values kept of a `full`-wide vector (null/undefined/0: all of them). */
export function truncatedWidth(full: number, truncateDim: number | null | undefined): number {
  return truncateDim ? Math.min(truncateDim, full) : full;
}

/** The first truncatedWidth(dim) values of each row; the matrix itself when nothing is cut. */
export function truncateRows(m: Matrix, truncateDim: number | null | undefined): Matrix {
  const width = truncatedWidth(m.dim, truncateDim);
  if (width === m.dim) return m;
  const data = m.data instanceof Float64Array ? new Float64Array(m.rows * width) : new Float32Array(m.rows * width);
  for (let r = 0; r < m.rows; r++) data.set(m.data.subarray(r * m.dim, r * m.dim + width), r * width);
  return { rows: m.rows, dim: width, data };
}
