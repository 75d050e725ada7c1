/**
 * The embedding matrix every stage passes along (backends produce it, the comparator reads it, .npy
 * files hold it). It lives here, below all of them, so that the comparator and the reports need not
 * import the backend interface to name it.
 */

/** Row-major matrix of embeddings, one row per text, in corpus order. */
export interface Matrix {
  rows: number;
  dim: number;
  data: Float32Array | Float64Array;
}

/** The given rows of a matrix, in that order, as a new matrix of the same precision. */
export function selectRows(m: Matrix, rows: readonly number[]): Matrix {
  const data = m.data instanceof Float64Array ? new Float64Array(rows.length * m.dim) : new Float32Array(rows.length * m.dim);
  rows.forEach((r, i) => data.set(m.data.subarray(r * m.dim, (r + 1) * m.dim), i * m.dim));
  return { rows: rows.length, dim: m.dim, data };
}
