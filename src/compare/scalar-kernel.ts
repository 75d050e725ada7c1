/**
 * The comparator's plain-JavaScript kernel (used where the WebAssembly one in kernel.wat cannot be:
 * float64 rows, dims not a multiple of 4, no WebAssembly). It runs over one row segment at a time,
 * keeping the row's running values in KERNEL (slots S_*), and bins the finished differences into
 * split counters that the accumulator flushes with `flushSplitHistogram`.
 */
import { CELL_SHIFT, HI, HIST_CELLS, HIST_START, HISTOGRAM_SIZE } from './histogram.js';

type FloatArray = Float32Array | Float64Array;

/* Kernel scratch, shared by all accumulators: `add` runs to completion and flushes before returning. */
export const SEGMENT = 1024;
const SEG_DIFF = new Float64Array(SEGMENT);
const SEG_BITS = new Uint32Array(SEG_DIFF.buffer);
/** Split histogram counters: HIST_WAYS copies, so that runs of one bin do not serialise on one slot. */
const HIST_WAYS = 4;
const HIST_STRIDE = 64;
export const HIST = new Uint32Array(HIST_WAYS * HIST_STRIDE);
/** Flush HIST at least this often, far below 2^32 counts per slot. */
export const HIST_FLUSH_ELEMENTS = 2 ** 30;
export const S_DOT = 0;
export const S_NA = 1;
export const S_NG = 2;
export const S_SUM = 3;
export const S_BEST = 4;
export const S_BEST_K = 5;
export const S_MISMATCHES = 6;
export const S_MAX_REL = 7;
export const S_MIN_ATOL = 8;
export const S_CUT = 9;
export const S_ATOL = 10;
export const S_RTOL = 11;
export const KERNEL = new Float64Array(12);

/**
 * The hot loop over elements [i, end) of one row starting at `base` (end - i <= SEGMENT): only
 * arithmetic, compares and typed-array access; no property access, allocation or call. Returns the
 * index of the first element it leaves to `rareElement` (untouched), or `end`.
 */
export function segmentKernel(golden: FloatArray, actual: FloatArray, i: number, end: number, base: number, dimMax: Float64Array): number {
  const s = KERNEL;
  const start = i;
  let dot = s[S_DOT];
  let na = s[S_NA];
  let ng = s[S_NG];
  let sum = s[S_SUM];
  let best = s[S_BEST];
  let bestK = s[S_BEST_K];
  let mismatches = s[S_MISMATCHES];
  let maxRel = s[S_MAX_REL];
  let minAtol = s[S_MIN_ATOL];
  const cut = s[S_CUT];
  const atol = s[S_ATOL];
  const rtol = s[S_RTOL];
  const diffs = SEG_DIFF;
  let stop = end;
  for (; i < end; i++) {
    const g = golden[i];
    const a = actual[i];
    const diff = Math.abs(a - g);
    const absG = Math.abs(g);
    const scaled = rtol * absG;
    const allowed = atol + scaled;
    // Hand back what may raise the worst ratio (fl(cut·allowed) <= diff whenever fl(diff/allowed)
    // > cut, rounding being monotone; |a-g| = 0 has ratio 0) and, as NaN or ±Inf fail every
    // compare, every non-finite value. A finite pair whose difference overflows is handed back too.
    if (!(diff < cut * allowed || diff === 0)) {
      stop = i;
      break;
    }
    const k = i - base;
    dot += a * g;
    na += a * a;
    ng += g * g;
    sum += diff;
    diffs[i - start] = diff;
    if (diff > best) {
      best = diff;
      bestK = k;
    }
    if (diff > dimMax[k]) dimMax[k] = diff;
    // Same argument: no new maximum of |a-g|/|g| is skipped.
    if (diff >= maxRel * absG && diff > 0 && absG > atol) {
      const rel = diff / absG;
      if (rel > maxRel) maxRel = rel;
    }
    if (diff > allowed) mismatches++;
    const needed = diff - scaled;
    if (needed > minAtol) minAtol = needed;
  }
  // Histogram of the finished elements, from the bits of their stored differences.
  const bits = SEG_BITS;
  const cells = HIST_CELLS;
  const starts = HIST_START;
  const hist = HIST;
  for (let j = 0, n = stop - start; j < n; j++) {
    let bin = cells[bits[2 * j + HI] >>> CELL_SHIFT];
    if (diffs[j] >= starts[bin + 1]) bin++;
    hist[((j & (HIST_WAYS - 1)) << 6) | bin]++;
  }
  s[S_DOT] = dot;
  s[S_NA] = na;
  s[S_NG] = ng;
  s[S_SUM] = sum;
  s[S_BEST] = best;
  s[S_BEST_K] = bestK;
  s[S_MISMATCHES] = mismatches;
  s[S_MAX_REL] = maxRel;
  s[S_MIN_ATOL] = minAtol;
  return stop;
}

/** Adds the split counters into `totals` and clears them. */
export function flushSplitHistogram(totals: Float64Array): void {
  for (let w = 0; w < HIST_WAYS; w++) {
    for (let b = 0; b < HISTOGRAM_SIZE; b++) totals[b] += HIST[w * HIST_STRIDE + b];
  }
  HIST.fill(0);
}
