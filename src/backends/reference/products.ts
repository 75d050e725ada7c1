/**
 * The reference's two matrix products, as plain loops: the definition of what the reference
 * computes. Each output element is one running sum started at the bias (or +0) and added to in
 * ascending order of the summed index, one rounding per multiply and per add. The WebAssembly kernel
 * (wasm-products.ts) computes every element in exactly this order, so the two are bit-identical;
 * test/backends/reference/products.test.ts checks it, and bench/reference-bench.mjs times one against
 * the other.
 */

/** A Linear layer's weights as a products implementation keeps them: y = b + x·wᵀ, w [out, inp]. */
export interface LinearWeights {
  readonly out: number;
  readonly inp: number;
}

export interface Products {
  /** Takes w [out, inp] (PyTorch's nn.Linear layout) and b [out]; keeps what it needs of them. */
  linearWeights(w: Float64Array, b: Float64Array, out: number, inp: number): LinearWeights;
  /** y [rows, out]: y[r][o] = b[o] + Σ_i x[r][i]·w[o][i], summed over i = 0, 1, … in order. */
  linear(x: Float64Array, rows: number, L: LinearWeights): Float64Array;
  /**
   * c [rows, n] = a·bᵀ, a [rows, k], b [n, k]: c[r][j] = +0 + Σ_t a[r][t]·b[j][t], summed over
   * t = 0, 1, … in order (a linear without bias, on operands that change every call).
   */
  product(a: Float64Array, rows: number, k: number, b: Float64Array, n: number): Float64Array;
}

interface LoopWeights extends LinearWeights {
  w: Float64Array;
  b: Float64Array;
}

/** Plain loops, as the reference was first written: the readable oracle (an order of magnitude slower, see the README). */
export class LoopProducts implements Products {
  linearWeights(w: Float64Array, b: Float64Array, out: number, inp: number): LinearWeights {
    const weights: LoopWeights = { w, b, out, inp };
    return weights;
  }

  linear(x: Float64Array, rows: number, weights: LinearWeights): Float64Array {
    const L = weights as LoopWeights;
    return dotRows(x, rows, L.inp, L.w, L.b, L.out);
  }

  product(a: Float64Array, rows: number, k: number, b: Float64Array, n: number): Float64Array {
    return dotRows(a, rows, k, b, null, n);
  }
}

function dotRows(x: Float64Array, rows: number, k: number, w: Float64Array, bias: Float64Array | null, n: number): Float64Array {
  const y = new Float64Array(rows * n);
  for (let s = 0; s < rows; s++) {
    const xo = s * k;
    for (let o = 0; o < n; o++) {
      const wo = o * k;
      let acc = bias ? bias[o] : 0;
      for (let i = 0; i < k; i++) acc += x[xo + i] * w[wo + i];
      y[s * n + o] = acc;
    }
  }
  return y;
}
