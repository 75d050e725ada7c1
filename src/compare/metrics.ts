/**
 * The comparator: pure functions over typed arrays, one pass over every element, no backend imports.
 *
 * Feed it row blocks (golden and actual side by side) with `add`, then read `result()`. The same
 * accumulator serves a whole in-memory matrix, a file streamed in chunks (stream-compare.ts), or
 * row ranges accumulated apart and joined with `merge`. Results do not depend on how rows are
 * split into `add` calls; `merge` changes only the rounding of the sums behind meanAbs and
 * cosineDeltaMean.
 *
 * Speed: float32 rows with dims a multiple of 4 go through kernel.wat (WebAssembly SIMD, see
 * wasm-kernel.ts), everything else through `segmentKernel` (plain JavaScript); both follow the
 * rules below exactly and hand the rare elements (non-finite, or possibly among the worst) to
 * `rareElement`. The two add their sums in different orders, so they agree to rounding.
 *
 * Edge cases, decided once:
 * - An element mismatches when |a - g| > atol + rtol·|g| (numpy.isclose / torch allclose). A NaN on
 *   either side is a mismatch; equal infinities are equal (numpy's rule); other non-finite pairs
 *   mismatch.
 * - maxAbs, meanAbs, maxRel and worstRatio are taken over pairs where both values are finite; the
 *   non-finite ones are counted in `nonFinite` (actual) / `goldenNonFinite` and always mismatch.
 * - maxRel is over elements with |g| > atol only: a handful of exact zeros in a golden would
 *   otherwise make relative error meaningless (27 zeros in a 500k×384 golden gave 2e32).
 * - Cosine of two zero vectors is 1 (Δ 0); of a zero and a non-zero vector 0 (Δ 1). Rows are
 *   rescaled when their squared norms would overflow float64 (|x| beyond ~1e150).
 * - minPassingAtol is the smallest atol that passes every element at the given rtol:
 *   max(|a-g| - rtol·|g|, 0); null when a non-finite mismatch means no atol can pass.
 */
import type { Tolerance } from './tolerance.js';
import { P_ATOL, P_CUT, P_MAX_REL, P_MIN_ATOL, P_RTOL, wasmKernel, type WasmKernel } from './wasm-kernel.js';

export interface ElementRef {
  row: number;
  dim: number;
  id: string;
  golden: number;
  actual: number;
  absDiff: number;
  /** |a-g| / (atol + rtol·|g|): above 1 fails. */
  ratio: number;
}

export interface RowRef {
  row: number;
  id: string;
  value: number;
}

export interface Metrics {
  shape: [number, number];
  goldenShape: [number, number];
  total: number;
  maxAbs: number;
  maxAbsAt: ElementRef | null;
  meanAbs: number;
  maxRel: number;
  worstRatio: number;
  mismatches: number;
  mismatchRatio: number;
  cosineDeltaMax: number;
  cosineDeltaMaxAt: RowRef | null;
  cosineDeltaMean: number;
  normDeltaMax: number;
  normDeltaMaxAt: RowRef | null;
  nonFinite: number;
  goldenNonFinite: number;
  zeroRows: number;
  goldenZeroRows: number;
  constantRows: number;
  goldenConstantRows: number;
  minPassingAtol: number | null;
}

/** Per-row, per-dimension and distribution details for reports; sized by rows and dims. */
export interface Details {
  cosineDelta: Float64Array;
  rowMaxAbs: Float64Array;
  normDelta: Float64Array;
  dimMaxAbs: Float64Array;
  /** Counts of |a-g| per log10 bin: index 0 = exactly 0, then [1e-12·10^(k/4) ...), last = non-finite. */
  histogram: number[];
  /** The worst elements by ratio, worst first. */
  worst: ElementRef[];
}

export const HISTOGRAM_MIN_LOG10 = -12;
export const HISTOGRAM_BINS_PER_DECADE = 4;
export const HISTOGRAM_DECADES = 14; // 1e-12 .. 1e2
const HISTOGRAM_SIZE = 2 + HISTOGRAM_DECADES * HISTOGRAM_BINS_PER_DECADE + 1;

export interface Comparison {
  metrics: Metrics;
  details: Details;
}

type FloatArray = Float32Array | Float64Array;

/** A ComparisonAccumulator as plain, structured-cloneable data (see exportState / fromState). */
export interface AccumulatorState {
  rows: number;
  dim: number;
  worstLimit: number;
  scalars: number[];
  maxAbsAt: ElementRef | null;
  cosineMaxAt: RowRef | null;
  normMaxAt: RowRef | null;
  histTotals: Float64Array;
  cosineDelta: Float64Array;
  rowMaxAbs: Float64Array;
  normDelta: Float64Array;
  dimMaxAbs: Float64Array;
  worst: ElementRef[];
}

export class ComparisonAccumulator {
  private total = 0;
  private sumAbs = 0;
  private maxAbs = -1;
  private maxAbsAt: ElementRef | null = null;
  private maxRel = 0;
  private worstRatio = 0;
  private mismatches = 0;
  private cosineSum = 0;
  private cosineRows = 0;
  private cosineMax = 0;
  private cosineMaxAt: RowRef | null = null;
  private normMax = 0;
  private normMaxAt: RowRef | null = null;
  private nonFinite = 0;
  private goldenNonFinite = 0;
  private zeroRows = 0;
  private goldenZeroRows = 0;
  private constantRows = 0;
  private goldenConstantRows = 0;
  /** Largest |a-g| - rtol·|g| so far (0 floor); minPassingAtol unless a non-finite value mismatched. */
  private minAtol = 0;
  private nonFiniteMismatch = false;
  /** Histogram counts; `details.histogram` is filled from these by `result()`. */
  private readonly histTotals = new Float64Array(HISTOGRAM_SIZE);
  /** Row range seen by `add`, for `merge`. */
  private firstRowSeen = Infinity;
  private endRowSeen = 0;
  private readonly details: Details;
  private readonly worstLimit: number;

  constructor(
    readonly rows: number,
    readonly dim: number,
    private readonly tolerance: Pick<Tolerance, 'atol' | 'rtol'>,
    private readonly ids: readonly string[] = [],
    options: { worst?: number } = {},
  ) {
    this.worstLimit = options.worst ?? 20;
    this.details = {
      cosineDelta: new Float64Array(rows),
      rowMaxAbs: new Float64Array(rows),
      normDelta: new Float64Array(rows),
      dimMaxAbs: new Float64Array(dim),
      histogram: new Array(HISTOGRAM_SIZE).fill(0),
      worst: [],
    };
  }

  /**
   * Adds `count` rows starting at corpus row `firstRow`; golden/actual hold those rows row-major
   * (dim values each) starting at their index 0.
   *
   * Per element, `segmentKernel` does only arithmetic, compares and typed-array access; it hands
   * back the rare element it cannot finish (a non-finite value, or one whose ratio may enter the
   * worst list) to `rareElement`. Locations (max abs, cosine, norm) are resolved per row.
   */
  add(golden: FloatArray, actual: FloatArray, firstRow: number, count: number): void {
    if (count <= 0) return;
    if (golden instanceof Float32Array && actual instanceof Float32Array && this.dim % 4 === 0 && HI === 1) {
      const wasm = wasmKernel(HIST_START, HIST_CELLS);
      if (wasm) return this.addWasm(wasm, golden, actual, firstRow, count);
    }
    const { atol, rtol } = this.tolerance;
    const dim = this.dim;
    const d = this.details;
    const dimMax = d.dimMaxAbs;
    const s = KERNEL;
    HIST.fill(0);
    s[S_MAX_REL] = this.maxRel;
    s[S_MIN_ATOL] = this.minAtol;
    s[S_CUT] = this.worstCut();
    s[S_ATOL] = atol;
    s[S_RTOL] = rtol;
    // Sums carry on from the last call, so that the chunking does not change their rounding.
    s[S_SUM] = this.sumAbs;
    s[S_MISMATCHES] = this.mismatches;
    let sinceFlush = 0;
    for (let r = 0; r < count; r++) {
      const row = firstRow + r;
      const base = r * dim;
      const end = base + dim;
      // Zero / constant rows: the first two values settle all four flags in almost every row.
      if (dim < 2 || actual[base] === 0 || golden[base] === 0 || actual[base + 1] === actual[base] || golden[base + 1] === golden[base]) {
        this.rowFlags(golden, actual, base);
      }
      s[S_DOT] = 0;
      s[S_NA] = 0;
      s[S_NG] = 0;
      s[S_BEST] = -1;
      s[S_BEST_K] = -1;
      for (let from = base; from < end; ) {
        const to = Math.min(end, from + SEGMENT);
        let i = from;
        for (;;) {
          i = segmentKernel(golden, actual, i, to, base, dimMax);
          if (i >= to) break;
          this.rareElement(golden[i], actual[i], row, i - base, dimMax, true);
          i++;
        }
        from = to;
      }
      sinceFlush += dim;
      if (sinceFlush >= HIST_FLUSH_ELEMENTS) {
        this.flushHistogram();
        sinceFlush = 0;
      }
      this.total += dim;
      const best = s[S_BEST];
      d.rowMaxAbs[row] = best > 0 ? best : 0;
      if (best > this.maxAbs) {
        const k = s[S_BEST_K];
        const g = golden[base + k];
        const a = actual[base + k];
        this.maxAbs = best;
        this.maxAbsAt = this.ref(row, k, g, a, best, atol + rtol * Math.abs(g));
      }
      this.finishRow(golden, actual, base, row, s[S_DOT], s[S_NA], s[S_NG]);
    }
    this.flushHistogram();
    this.sumAbs = s[S_SUM];
    this.mismatches = s[S_MISMATCHES];
    this.maxRel = s[S_MAX_REL];
    this.minAtol = s[S_MIN_ATOL];
    if (firstRow < this.firstRowSeen) this.firstRowSeen = firstRow;
    if (firstRow + count > this.endRowSeen) this.endRowSeen = firstRow + count;
  }

  /**
   * Where to put the next `rows` rows of golden and actual float32 values so that `add` compares
   * them in place (no copy): views into the WebAssembly kernel's memory, valid until the next call.
   * Null when this accumulator does not use the kernel (dim not a multiple of 4, no WebAssembly).
   */
  inputBuffers(rows: number): { golden: Float32Array; actual: Float32Array } | null {
    if (this.dim % 4 !== 0 || HI !== 1) return null;
    const wasm = wasmKernel(HIST_START, HIST_CELLS);
    return wasm ? wasm.staging(this.dim, rows * this.dim) : null;
  }

  /**
   * `add` for float32 rows through kernel.wat (SIMD), a block of rows at a time: the kernel does
   * every ordinary group of 4 elements and lists the rare ones, which `rareElement` finishes here in
   * row-major order; then each row is finished as in `add`. The row's maximum |a-g| is located by
   * a rescan of the row, only when it is a new overall maximum.
   */
  private addWasm(w: WasmKernel, golden: Float32Array, actual: Float32Array, firstRow: number, count: number): void {
    const { atol, rtol } = this.tolerance;
    const dim = this.dim;
    const d = this.details;
    const l = w.layout(dim);
    const s = KERNEL;
    w.reset();
    w.f64[P_ATOL] = atol;
    w.f64[P_RTOL] = rtol;
    w.f64[P_MAX_REL] = this.maxRel;
    w.f64[P_MIN_ATOL] = this.minAtol;
    const dimMax = w.f64.subarray(l.dimMax / 8, l.dimMax / 8 + dim);
    dimMax.set(d.dimMaxAbs);
    const out = w.f64;
    const rare = w.i32;
    let mismatches = 0;
    let sumAbs = this.sumAbs;
    if (golden.length < count * dim || actual.length < count * dim) {
      throw new RangeError(`add: ${count} rows of ${dim} need ${count * dim} values (a staging view detached by a memory growth?)`);
    }
    // Rows staged in the kernel's memory (see inputBuffers) are read in place; others are copied in by blocks.
    const inPlace = w.holds(golden) && w.holds(actual);
    for (let r0 = 0; r0 < count; r0 += l.blockRows) {
      const n = Math.min(l.blockRows, count - r0);
      let gAt = l.golden;
      let aAt = l.actual;
      if (inPlace) {
        gAt = golden.byteOffset + r0 * dim * 4;
        aAt = actual.byteOffset + r0 * dim * 4;
      } else {
        w.f32.set(golden.subarray(r0 * dim, (r0 + n) * dim), l.golden / 4);
        w.f32.set(actual.subarray(r0 * dim, (r0 + n) * dim), l.actual / 4);
      }
      // The cut, lowered by 2^-50 so that a ratio above it can never round onto it (see kernel.wat).
      w.f64[P_CUT] = this.worstCut() * (1 - 2 ** -50);
      const listed = w.run(l, gAt, aAt, n, dim);
      if (listed > 0) {
        s[S_MAX_REL] = w.f64[P_MAX_REL];
        s[S_MIN_ATOL] = w.f64[P_MIN_ATOL];
        s[S_MISMATCHES] = 0;
        for (let j = 0; j < listed; j++) {
          const e = rare[l.rare / 4 + j] * 4;
          const rr = Math.floor(e / dim);
          const at = l.out / 8 + rr * 5 + 4;
          s[S_BEST] = out[at];
          for (let i = e; i < e + 4; i++) {
            this.rareElement(golden[r0 * dim + i], actual[r0 * dim + i], firstRow + r0 + rr, i - rr * dim, dimMax, false);
          }
          out[at] = s[S_BEST];
        }
        w.f64[P_MAX_REL] = s[S_MAX_REL];
        w.f64[P_MIN_ATOL] = s[S_MIN_ATOL];
        mismatches += s[S_MISMATCHES];
      }
      for (let rr = 0; rr < n; rr++) {
        const row = firstRow + r0 + rr;
        const base = (r0 + rr) * dim;
        if (actual[base] === 0 || golden[base] === 0 || actual[base + 1] === actual[base] || golden[base + 1] === golden[base]) {
          this.rowFlags(golden, actual, base);
        }
        const o = l.out / 8 + rr * 5;
        sumAbs += out[o + 3];
        const best = out[o + 4];
        d.rowMaxAbs[row] = best;
        if (best > this.maxAbs) this.locateMaxAbs(golden, actual, base, row, best);
        this.total += dim;
        this.finishRow(golden, actual, base, row, out[o], out[o + 1], out[o + 2]);
      }
    }
    d.dimMaxAbs.set(dimMax);
    w.addHistogram(this.histTotals);
    this.maxRel = w.f64[P_MAX_REL];
    this.minAtol = w.f64[P_MIN_ATOL];
    this.mismatches += mismatches + w.mismatches();
    this.sumAbs = sumAbs;
    if (firstRow < this.firstRowSeen) this.firstRowSeen = firstRow;
    if (firstRow + count > this.endRowSeen) this.endRowSeen = firstRow + count;
  }

  /** maxAbsAt for a row whose largest |a-g| is `best`: its first finite element with that difference. */
  private locateMaxAbs(golden: FloatArray, actual: FloatArray, base: number, row: number, best: number): void {
    const { atol, rtol } = this.tolerance;
    for (let k = 0; k < this.dim; k++) {
      const g = golden[base + k];
      const a = actual[base + k];
      if (Number.isFinite(a) && Number.isFinite(g) && Math.abs(a - g) === best) {
        this.maxAbs = best;
        this.maxAbsAt = this.ref(row, k, g, a, best, atol + rtol * Math.abs(g));
        return;
      }
    }
  }

  /**
   * An element the kernel handed back, done here in full: a non-finite value on a side, or a pair
   * whose ratio may enter the worst list. Same rules as the kernels; the row's running values are
   * in KERNEL (its sums only for the JavaScript kernel: `sums`).
   */
  private rareElement(g: number, a: number, row: number, k: number, dimMax: Float64Array, sums: boolean): void {
    const s = KERNEL;
    const finiteA = Number.isFinite(a);
    const finiteG = Number.isFinite(g);
    if (!finiteA || !finiteG) {
      if (!finiteA) this.nonFinite++;
      if (!finiteG) this.goldenNonFinite++;
      // Equal infinities are equal (numpy.isclose); everything else non-finite mismatches.
      if (!(a === g && !Number.isNaN(a))) {
        s[S_MISMATCHES]++;
        this.nonFiniteMismatch = true;
        this.histTotals[HISTOGRAM_SIZE - 1]++;
      } else {
        this.histTotals[0]++;
      }
      return;
    }
    const { atol, rtol } = this.tolerance;
    const diff = Math.abs(a - g);
    if (sums) {
      s[S_DOT] += a * g;
      s[S_NA] += a * a;
      s[S_NG] += g * g;
      s[S_SUM] += diff;
    }
    if (diff > s[S_BEST]) {
      s[S_BEST] = diff;
      s[S_BEST_K] = k;
    }
    if (diff > dimMax[k]) dimMax[k] = diff;
    const absG = Math.abs(g);
    if (absG > atol) {
      const rel = diff / absG;
      if (rel > s[S_MAX_REL]) s[S_MAX_REL] = rel;
    }
    const scaled = rtol * absG;
    const allowed = atol + scaled;
    if (diff > allowed) s[S_MISMATCHES]++;
    const needed = diff - scaled;
    if (needed > s[S_MIN_ATOL]) s[S_MIN_ATOL] = needed;
    this.histTotals[histogramBin(diff)]++;
    const ratio = allowed > 0 ? diff / allowed : diff > 0 ? Infinity : 0;
    if (ratio > this.worstRatio) this.worstRatio = ratio;
    if (ratio > 0) this.offerWorst(row, k, g, a, diff, allowed, ratio);
    s[S_CUT] = this.worstCut();
  }

  /**
   * Folds in an accumulator of the same shape whose rows all come after this one's (a later row
   * range, e.g. from another worker): the result is what one pass over both would give (sums up to
   * rounding).
   */
  merge(other: ComparisonAccumulator): void {
    if (other.rows !== this.rows || other.dim !== this.dim) throw new Error('merge: accumulators differ in shape');
    if (other.endRowSeen === 0) return;
    if (this.endRowSeen > other.firstRowSeen) throw new Error('merge: the other accumulator must hold later rows');
    const d = this.details;
    const o = other.details;
    this.total += other.total;
    this.sumAbs += other.sumAbs;
    if (other.maxAbs > this.maxAbs) {
      this.maxAbs = other.maxAbs;
      this.maxAbsAt = other.maxAbsAt;
    }
    this.maxRel = Math.max(this.maxRel, other.maxRel);
    this.worstRatio = Math.max(this.worstRatio, other.worstRatio);
    this.mismatches += other.mismatches;
    this.cosineSum += other.cosineSum;
    this.cosineRows += other.cosineRows;
    // As in finishRow: the first row sets the location, a strictly larger delta moves it.
    if (other.cosineMaxAt !== null && (this.cosineMaxAt === null || other.cosineMax > this.cosineMax)) this.cosineMaxAt = other.cosineMaxAt;
    this.cosineMax = Math.max(this.cosineMax, other.cosineMax);
    if (other.normMaxAt !== null && (this.normMaxAt === null || other.normMax > this.normMax)) this.normMaxAt = other.normMaxAt;
    this.normMax = Math.max(this.normMax, other.normMax);
    this.nonFinite += other.nonFinite;
    this.goldenNonFinite += other.goldenNonFinite;
    this.zeroRows += other.zeroRows;
    this.goldenZeroRows += other.goldenZeroRows;
    this.constantRows += other.constantRows;
    this.goldenConstantRows += other.goldenConstantRows;
    this.minAtol = Math.max(this.minAtol, other.minAtol);
    this.nonFiniteMismatch ||= other.nonFiniteMismatch;
    for (let i = 0; i < HISTOGRAM_SIZE; i++) this.histTotals[i] += other.histTotals[i];
    for (let k = 0; k < this.dim; k++) if (o.dimMaxAbs[k] > d.dimMaxAbs[k]) d.dimMaxAbs[k] = o.dimMaxAbs[k];
    const from = other.firstRowSeen;
    const to = other.endRowSeen;
    d.cosineDelta.set(o.cosineDelta.subarray(from, to), from);
    d.rowMaxAbs.set(o.rowMaxAbs.subarray(from, to), from);
    d.normDelta.set(o.normDelta.subarray(from, to), from);
    // Worst first; among equal ratios the earlier element, as one pass keeps them.
    const worst = [...d.worst, ...o.worst].sort((x, y) => y.ratio - x.ratio || x.row - y.row || x.dim - y.dim);
    d.worst.splice(0, d.worst.length, ...worst.slice(0, Math.max(this.worstLimit, 0)));
    if (from < this.firstRowSeen) this.firstRowSeen = from;
    if (to > this.endRowSeen) this.endRowSeen = to;
  }

  /** Everything this accumulator holds, as plain data a worker can post (structured clone). */
  exportState(): AccumulatorState {
    const d = this.details;
    return {
      rows: this.rows,
      dim: this.dim,
      worstLimit: this.worstLimit,
      scalars: [
        this.total, this.sumAbs, this.maxAbs, this.maxRel, this.worstRatio, this.mismatches, this.cosineSum, this.cosineRows,
        this.cosineMax, this.normMax, this.nonFinite, this.goldenNonFinite, this.zeroRows, this.goldenZeroRows,
        this.constantRows, this.goldenConstantRows, this.minAtol, this.nonFiniteMismatch ? 1 : 0, this.firstRowSeen, this.endRowSeen,
      ],
      maxAbsAt: this.maxAbsAt,
      cosineMaxAt: this.cosineMaxAt,
      normMaxAt: this.normMaxAt,
      histTotals: this.histTotals,
      cosineDelta: d.cosineDelta,
      rowMaxAbs: d.rowMaxAbs,
      normDelta: d.normDelta,
      dimMaxAbs: d.dimMaxAbs,
      worst: d.worst,
    };
  }

  /** An accumulator from `exportState()`; locations are named from `ids` (a worker may have had none). */
  static fromState(state: AccumulatorState, tolerance: Pick<Tolerance, 'atol' | 'rtol'>, ids: readonly string[] = []): ComparisonAccumulator {
    // Built with rows 0 (no per-row arrays allocated), then given the state's rows and arrays.
    const acc = new ComparisonAccumulator(0, state.dim, tolerance, ids, { worst: state.worstLimit });
    Object.assign(acc, { rows: state.rows });
    const rename = <T extends { row: number; id: string }>(ref: T | null): T | null => (ref ? { ...ref, id: acc.id(ref.row) } : null);
    [
      acc.total, acc.sumAbs, acc.maxAbs, acc.maxRel, acc.worstRatio, acc.mismatches, acc.cosineSum, acc.cosineRows,
      acc.cosineMax, acc.normMax, acc.nonFinite, acc.goldenNonFinite, acc.zeroRows, acc.goldenZeroRows,
      acc.constantRows, acc.goldenConstantRows, acc.minAtol,
    ] = state.scalars;
    acc.nonFiniteMismatch = state.scalars[17] === 1;
    acc.firstRowSeen = state.scalars[18];
    acc.endRowSeen = state.scalars[19];
    acc.maxAbsAt = rename(state.maxAbsAt);
    acc.cosineMaxAt = rename(state.cosineMaxAt);
    acc.normMaxAt = rename(state.normMaxAt);
    acc.histTotals.set(state.histTotals);
    Object.assign(acc.details, {
      cosineDelta: state.cosineDelta,
      rowMaxAbs: state.rowMaxAbs,
      normDelta: state.normDelta,
      dimMaxAbs: state.dimMaxAbs,
      worst: state.worst.map((w) => rename(w)!),
    });
    return acc;
  }

  result(): Comparison {
    const metrics: Metrics = {
      shape: [this.rows, this.dim],
      goldenShape: [this.rows, this.dim],
      total: this.total,
      maxAbs: Math.max(this.maxAbs, 0),
      maxAbsAt: this.maxAbsAt,
      meanAbs: this.total ? this.sumAbs / this.total : 0,
      maxRel: this.maxRel,
      worstRatio: this.worstRatio,
      mismatches: this.mismatches,
      mismatchRatio: this.total ? this.mismatches / this.total : 0,
      cosineDeltaMax: this.cosineMax,
      cosineDeltaMaxAt: this.cosineMaxAt,
      cosineDeltaMean: this.cosineRows ? this.cosineSum / this.cosineRows : 0,
      normDeltaMax: this.normMax,
      normDeltaMaxAt: this.normMaxAt,
      nonFinite: this.nonFinite,
      goldenNonFinite: this.goldenNonFinite,
      zeroRows: this.zeroRows,
      goldenZeroRows: this.goldenZeroRows,
      constantRows: this.constantRows,
      goldenConstantRows: this.goldenConstantRows,
      minPassingAtol: this.nonFiniteMismatch ? null : Math.max(this.minAtol, 0),
    };
    for (let i = 0; i < HISTOGRAM_SIZE; i++) this.details.histogram[i] = this.histTotals[i];
    return { metrics, details: this.details };
  }

  /** Zero and constant flags of one row, the slow way (rows whose first two values do not settle them). */
  private rowFlags(golden: FloatArray, actual: FloatArray, base: number): void {
    const dim = this.dim;
    let allZeroA = true;
    let allZeroG = true;
    let constA = true;
    let constG = true;
    const a0 = actual[base];
    const g0 = golden[base];
    for (let k = 0; k < dim; k++) {
      const g = golden[base + k];
      const a = actual[base + k];
      if (a !== 0) allZeroA = false;
      if (g !== 0) allZeroG = false;
      if (a !== a0) constA = false;
      if (g !== g0) constG = false;
    }
    if (allZeroA) this.zeroRows++;
    if (allZeroG) this.goldenZeroRows++;
    if (constA && dim > 1) this.constantRows++;
    if (constG && dim > 1) this.goldenConstantRows++;
  }

  /** Cosine and norm deltas of one row from its products (rescaled near float64 overflow). */
  private finishRow(golden: FloatArray, actual: FloatArray, base: number, row: number, dot: number, na: number, ng: number): void {
    const d = this.details;
    // Norms are compared as |‖a‖ - ‖g‖|, in the rows' own scale when that had to be rescaled.
    let scale = 1;
    if (!Number.isFinite(na) || !Number.isFinite(ng)) {
      ({ dot, na, ng, scale } = scaledRowProducts(golden, actual, base, this.dim));
    }
    const cosDelta = 1 - cosine(dot, na, ng);
    const normDelta = Math.abs(Math.sqrt(na) - Math.sqrt(ng)) * scale;
    d.cosineDelta[row] = cosDelta;
    d.normDelta[row] = normDelta;
    if (Number.isFinite(cosDelta)) {
      this.cosineSum += cosDelta;
      this.cosineRows++;
      if (cosDelta > this.cosineMax || this.cosineMaxAt === null) {
        this.cosineMax = Math.max(this.cosineMax, cosDelta);
        this.cosineMaxAt = { row, id: this.id(row), value: cosDelta };
      }
    }
    if (normDelta > this.normMax || this.normMaxAt === null) {
      this.normMax = Math.max(this.normMax, normDelta);
      this.normMaxAt = { row, id: this.id(row), value: normDelta };
    }
  }

  /** Moves the shared split counters into this accumulator's totals. */
  private flushHistogram(): void {
    const totals = this.histTotals;
    for (let w = 0; w < HIST_WAYS; w++) {
      for (let b = 0; b < HISTOGRAM_SIZE; b++) totals[b] += HIST[w * HIST_STRIDE + b];
    }
    HIST.fill(0);
  }

  /** Ratios at or below this change nothing: the full worst list's last entry, else 0 (or worstRatio with no list). */
  private worstCut(): number {
    const worst = this.details.worst;
    if (this.worstLimit <= 0) return this.worstRatio;
    return worst.length >= this.worstLimit ? worst[worst.length - 1].ratio : 0;
  }

  private id(row: number): string {
    return this.ids[row] ?? String(row);
  }

  private ref(row: number, dim: number, golden: number, actual: number, absDiff: number, allowed: number): ElementRef {
    return { row, dim, id: this.id(row), golden, actual, absDiff, ratio: allowed > 0 ? absDiff / allowed : Infinity };
  }

  /** Keeps the `worstLimit` largest ratios; sorted descending, cheap reject once full. */
  private offerWorst(row: number, dim: number, g: number, a: number, diff: number, allowed: number, ratio: number): void {
    const worst = this.details.worst;
    if (this.worstLimit <= 0) return;
    if (worst.length >= this.worstLimit && ratio <= worst[worst.length - 1].ratio) return;
    const entry = this.ref(row, dim, g, a, diff, allowed);
    let i = worst.length;
    while (i > 0 && worst[i - 1].ratio < ratio) i--;
    worst.splice(i, 0, entry);
    if (worst.length > this.worstLimit) worst.pop();
  }
}

function cosine(dot: number, na: number, ng: number): number {
  if (na === 0 && ng === 0) return 1;
  if (na === 0 || ng === 0) return 0;
  return dot / (Math.sqrt(na) * Math.sqrt(ng));
}

/** Recomputes a row's products after scaling by its largest magnitude, for rows near float64 overflow. */
function scaledRowProducts(golden: FloatArray, actual: FloatArray, base: number, dim: number) {
  let scale = 0;
  for (let k = 0; k < dim; k++) {
    const a = Math.abs(actual[base + k]);
    const g = Math.abs(golden[base + k]);
    if (Number.isFinite(a) && a > scale) scale = a;
    if (Number.isFinite(g) && g > scale) scale = g;
  }
  let dot = 0;
  let na = 0;
  let ng = 0;
  for (let k = 0; k < dim; k++) {
    const a = actual[base + k];
    const g = golden[base + k];
    if (!Number.isFinite(a) || !Number.isFinite(g)) continue;
    const as = a / scale;
    const gs = g / scale;
    dot += as * gs;
    na += as * as;
    ng += gs * gs;
  }
  return { dot, na, ng, scale };
}

/** The histogram bin of |a-g| by definition (one log10); the kernel uses the equivalent tables below. */
export function histogramBin(diff: number): number {
  if (diff === 0) return 0;
  const k = Math.floor((Math.log10(diff) - HISTOGRAM_MIN_LOG10) * HISTOGRAM_BINS_PER_DECADE);
  return 1 + Math.min(Math.max(k, 0), HISTOGRAM_DECADES * HISTOGRAM_BINS_PER_DECADE);
}

/*
 * Exact histogram binning without a logarithm. HIST_START[b] is the smallest double whose
 * histogramBin is >= b, found by bisection over doubles against histogramBin itself, so the two
 * agree exactly. A "cell" is the set of doubles sharing sign, exponent and top 6 mantissa bits
 * (1.6% wide; a bin is 78% wide, so at most one bin starts inside a cell): HIST_CELLS[cell] is the
 * bin of the cell's smallest value, and x's bin is that or the next: b + (x >= HIST_START[b + 1]).
 */
const LAST_BIN = HISTOGRAM_SIZE - 2;
const CELL_SHIFT = 14;
/** Index of the 32-bit half of a float64 that holds sign and exponent. */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const HIST_START = histogramStarts();
const HIST_CELLS = histogramCells();

function histogramStarts(): Float64Array {
  const starts = new Float64Array(LAST_BIN + 2);
  starts[1] = Number.MIN_VALUE;
  for (let b = 2; b <= LAST_BIN; b++) {
    const edge = 10 ** (HISTOGRAM_MIN_LOG10 + (b - 1) / HISTOGRAM_BINS_PER_DECADE);
    let lo = edge * 0.999; // histogramBin(lo) < b
    let hi = edge * 1.001; // histogramBin(hi) >= b
    for (;;) {
      const mid = lo + (hi - lo) / 2;
      if (mid === lo || mid === hi) break;
      if (histogramBin(mid) >= b) hi = mid;
      else lo = mid;
    }
    starts[b] = hi;
  }
  starts[LAST_BIN + 1] = Infinity;
  return starts;
}

/** One entry per cell of the non-negative doubles (128 KiB), in one sweep. */
function histogramCells(): Uint8Array {
  const cells = new Uint8Array(2 ** (31 - CELL_SHIFT));
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  let b = 0;
  for (let c = 0; c < cells.length; c++) {
    u[HI] = c << CELL_SHIFT;
    u[1 - HI] = 0;
    const lo = f[0];
    if (!(lo <= Infinity)) {
      cells[c] = LAST_BIN; // NaN cells: never looked up
      continue;
    }
    while (b < LAST_BIN && lo >= HIST_START[b + 1]) b++;
    cells[c] = b;
  }
  return cells;
}

/* Kernel scratch, shared by all accumulators: `add` runs to completion and flushes before returning. */
const SEGMENT = 1024;
const SEG_DIFF = new Float64Array(SEGMENT);
const SEG_BITS = new Uint32Array(SEG_DIFF.buffer);
/** Split histogram counters: HIST_WAYS copies, so that runs of one bin do not serialise on one slot. */
const HIST_WAYS = 4;
const HIST_STRIDE = 64;
const HIST = new Uint32Array(HIST_WAYS * HIST_STRIDE);
/** Flush HIST at least this often, far below 2^32 counts per slot. */
const HIST_FLUSH_ELEMENTS = 2 ** 30;
const S_DOT = 0;
const S_NA = 1;
const S_NG = 2;
const S_SUM = 3;
const S_BEST = 4;
const S_BEST_K = 5;
const S_MISMATCHES = 6;
const S_MAX_REL = 7;
const S_MIN_ATOL = 8;
const S_CUT = 9;
const S_ATOL = 10;
const S_RTOL = 11;
const KERNEL = new Float64Array(12);

/**
 * The hot loop over elements [i, end) of one row starting at `base` (end - i <= SEGMENT): only
 * arithmetic, compares and typed-array access; no property access, allocation or call. Returns the
 * index of the first element it leaves to `rareElement` (untouched), or `end`.
 */
function segmentKernel(golden: FloatArray, actual: FloatArray, i: number, end: number, base: number, dimMax: Float64Array): number {
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

/** Compares two whole matrices; a shape mismatch is a result (see verdict.ts), not an exception. */
export function compareMatrices(
  golden: { rows: number; dim: number; data: FloatArray },
  actual: { rows: number; dim: number; data: FloatArray },
  tolerance: Pick<Tolerance, 'atol' | 'rtol'>,
  ids: readonly string[] = [],
): Comparison {
  if (golden.rows !== actual.rows || golden.dim !== actual.dim) {
    const empty = new ComparisonAccumulator(0, 0, tolerance, ids).result();
    empty.metrics.shape = [actual.rows, actual.dim];
    empty.metrics.goldenShape = [golden.rows, golden.dim];
    empty.metrics.minPassingAtol = null;
    return empty;
  }
  const acc = new ComparisonAccumulator(golden.rows, golden.dim, tolerance, ids);
  acc.add(golden.data, actual.data, 0, golden.rows);
  return acc.result();
}
