/**
 * The one Spearman rank correlation. Two ways to rank, one correlation: `spearman` for any arrays
 * (average ranks by a comparison sort), `spearmanOfPairs` for the millions of pairwise similarities
 * of the downstream check (doubled average ranks by a radix sort, consuming its inputs). Both end in
 * `correlation`, so they agree on every input, constant ones included: two constant (or shorter than
 * 2) arrays rank identically (1), one constant against a varying one is uncorrelated (0).
 */

/** Average ranks (ties share the mean rank), 0-based. */
function ranks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const out = new Float64Array(n);
  let s = 0;
  while (s < n) {
    let e = s + 1;
    while (e < n && values[order[e]] === values[order[s]]) e++;
    for (let q = s; q < e; q++) out[order[q]] = (s + e - 1) / 2;
    s = e;
  }
  return out;
}

/** Spearman correlation of two equally long arrays (average ranks for ties). */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (y.length !== x.length) throw new RangeError('spearman: arrays differ in length');
  if (x.length < 2) return 1;
  return correlation(ranks(x), ranks(y));
}

/**
 * Spearman correlation of two equally long float32 arrays. Consumes both arrays (their buffers are
 * reused for sort keys and ranks). Ranks are doubled average ranks (start + end of a tie run, an
 * integer), sorted by a 4-pass 8-bit LSD radix sort over order-preserving uint32 keys.
 */
export function spearmanOfPairs(x: Float32Array, y: Float32Array): number {
  const P = x.length;
  if (y.length !== P) throw new RangeError('spearmanOfPairs: arrays differ in length');
  if (P < 2) return 1;
  const idx = new Uint32Array(P);
  const idxTmp = new Uint32Array(P);
  const rx = doubledRanks(x, new Uint32Array(P), idx, idxTmp);
  // x's buffer is free now: it becomes the scratch and the rank array for y.
  const ry = doubledRanks(y, new Uint32Array(x.buffer, x.byteOffset, P), idx, idxTmp);
  return correlation(rx, ry);
}

/** Doubled average ranks of `values` written into `out` (which may not alias values or idx). */
function doubledRanks(values: Float32Array, out: Uint32Array, idx: Uint32Array, idxTmp: Uint32Array): Uint32Array {
  const P = values.length;
  const keys = new Uint32Array(values.buffer, values.byteOffset, P);
  for (let p = 0; p < P; p++) {
    const bits = keys[p];
    // Order-preserving map of IEEE bits: flip all bits of negatives, set the sign bit of positives.
    keys[p] = bits & 0x80000000 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
    idx[p] = p;
  }
  // out doubles as the radix scratch for keys; it is overwritten with ranks afterwards.
  radixPass(keys, idx, out, idxTmp, 0);
  radixPass(out, idxTmp, keys, idx, 8);
  radixPass(keys, idx, out, idxTmp, 16);
  radixPass(out, idxTmp, keys, idx, 24);
  let s = 0;
  while (s < P) {
    let e = s + 1;
    while (e < P && keys[e] === keys[s]) e++;
    const r = s + e - 1;
    for (let q = s; q < e; q++) out[idx[q]] = r;
    s = e;
  }
  return out;
}

const counts = new Uint32Array(256);

/** One stable LSD pass on the byte at `shift` (8-bit digits: 4 passes beat 2×16-bit by 2x, cache-wise). */
function radixPass(keys: Uint32Array, idx: Uint32Array, keysOut: Uint32Array, idxOut: Uint32Array, shift: number): void {
  counts.fill(0);
  const P = keys.length;
  for (let p = 0; p < P; p++) counts[(keys[p] >>> shift) & 0xff]++;
  let sum = 0;
  for (let b = 0; b < 256; b++) {
    const c = counts[b];
    counts[b] = sum;
    sum += c;
  }
  for (let p = 0; p < P; p++) {
    const key = keys[p];
    const dst = counts[(key >>> shift) & 0xff]++;
    keysOut[dst] = key;
    idxOut[dst] = idx[p];
  }
}

/** Pearson correlation of two rank vectors (any affine scale of ranks gives the same value). */
function correlation(rx: ArrayLike<number>, ry: ArrayLike<number>): number {
  const n = rx.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += rx[i];
    my += ry[i];
  }
  mx /= n;
  my /= n;
  let cov = 0;
  let vx = 0;
  let vy = 0;
  for (let i = 0; i < n; i++) {
    const dx = rx[i] - mx;
    const dy = ry[i] - my;
    cov += dx * dy;
    vx += dx * dx;
    vy += dy * dy;
  }
  if (vx === 0 || vy === 0) return vx === vy ? 1 : 0;
  return cov / Math.sqrt(vx * vy);
}
