/**
 * ComparisonAccumulator: the comparator's one pass over row blocks (see metrics.ts for the rules it
 * follows). Float32 rows with dims a multiple of 4 go through the WebAssembly kernel, the rest
 * through scalar-kernel.ts; both hand their rare elements to `rareElement` here.
 */
import type { Comparison, Details, ElementRef, Metrics, RowRef } from './metric-types.js';
import { HI, HIST_CELLS, HIST_START, HISTOGRAM_SIZE, histogramBin } from './histogram.js';
import {
  flushSplitHistogram,
  HIST,
  HIST_FLUSH_ELEMENTS,
  KERNEL,
  S_ATOL,
  S_BEST,
  S_BEST_K,
  S_CUT,
  S_DOT,
  S_MAX_REL,
  S_MIN_ATOL,
  S_MISMATCHES,
  S_NA,
  S_NG,
  S_RTOL,
  S_SUM,
  SEGMENT,
  segmentKernel,
} from './scalar-kernel.js';
import type { Tolerance } from './tolerance.js';
import { P_ATOL, P_CUT, P_MAX_REL, P_MIN_ATOL, P_RTOL, wasmKernel, type WasmKernel } from './wasm-kernel.js';

type FloatArray = Float32Array | Float64Array;

/** The running scalars of a ComparisonAccumulator, by name (see its private fields of the same names). */
export interface AccumulatorTotals {
  total: number;
  sumAbs: number;
  maxAbs: number;
  maxRel: number;
  worstRatio: number;
  mismatches: number;
  cosineSum: number;
  cosineRows: number;
  cosineMax: number;
  normMax: number;
  nonFinite: number;
  goldenNonFinite: number;
  zeroRows: number;
  goldenZeroRows: number;
  constantRows: number;
  goldenConstantRows: number;
  minAtol: number;
  nonFiniteMismatch: boolean;
  firstRowSeen: number;
  endRowSeen: number;
}

/** A ComparisonAccumulator as plain, structured-cloneable data (see exportState / fromState). */
export interface AccumulatorState {
  rows: number;
  dim: number;
  worstLimit: number;
  totals: AccumulatorTotals;
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
      totals: {
        total: this.total,
        sumAbs: this.sumAbs,
        maxAbs: this.maxAbs,
        maxRel: this.maxRel,
        worstRatio: this.worstRatio,
        mismatches: this.mismatches,
        cosineSum: this.cosineSum,
        cosineRows: this.cosineRows,
        cosineMax: this.cosineMax,
        normMax: this.normMax,
        nonFinite: this.nonFinite,
        goldenNonFinite: this.goldenNonFinite,
        zeroRows: this.zeroRows,
        goldenZeroRows: this.goldenZeroRows,
        constantRows: this.constantRows,
        goldenConstantRows: this.goldenConstantRows,
        minAtol: this.minAtol,
        nonFiniteMismatch: this.nonFiniteMismatch,
        firstRowSeen: this.firstRowSeen,
        endRowSeen: this.endRowSeen,
      },
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
    const t = state.totals;
    acc.total = t.total;
    acc.sumAbs = t.sumAbs;
    acc.maxAbs = t.maxAbs;
    acc.maxRel = t.maxRel;
    acc.worstRatio = t.worstRatio;
    acc.mismatches = t.mismatches;
    acc.cosineSum = t.cosineSum;
    acc.cosineRows = t.cosineRows;
    acc.cosineMax = t.cosineMax;
    acc.normMax = t.normMax;
    acc.nonFinite = t.nonFinite;
    acc.goldenNonFinite = t.goldenNonFinite;
    acc.zeroRows = t.zeroRows;
    acc.goldenZeroRows = t.goldenZeroRows;
    acc.constantRows = t.constantRows;
    acc.goldenConstantRows = t.goldenConstantRows;
    acc.minAtol = t.minAtol;
    acc.nonFiniteMismatch = t.nonFiniteMismatch;
    acc.firstRowSeen = t.firstRowSeen;
    acc.endRowSeen = t.endRowSeen;
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
    flushSplitHistogram(this.histTotals);
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
