/**
 * The comparator as it was before the streaming rewrite (issue #6), kept verbatim as an oracle: the
 * optimised ComparisonAccumulator must agree with it on every metric (sums to rounding).
 */
import type { Tolerance } from '../../src/compare/tolerance.js';

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

export class ReferenceAccumulator {
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
  private minAtol: number | null = 0;
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
   */
  add(golden: FloatArray, actual: FloatArray, firstRow: number, count: number): void {
    const { atol, rtol } = this.tolerance;
    const dim = this.dim;
    const d = this.details;
    for (let r = 0; r < count; r++) {
      const row = firstRow + r;
      const base = r * dim;
      let dot = 0;
      let na = 0;
      let ng = 0;
      let rowMax = 0;
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
        const finiteA = Number.isFinite(a);
        const finiteG = Number.isFinite(g);
        if (!finiteA) this.nonFinite++;
        if (!finiteG) this.goldenNonFinite++;
        if (!finiteA || !finiteG) {
          // Equal infinities are equal (numpy.isclose); everything else non-finite mismatches.
          if (!(a === g && !Number.isNaN(a))) {
            this.mismatches++;
            this.minAtol = null;
            d.histogram[HISTOGRAM_SIZE - 1]++;
          } else {
            d.histogram[0]++;
          }
          continue;
        }
        dot += a * g;
        na += a * a;
        ng += g * g;
        const diff = Math.abs(a - g);
        const absG = Math.abs(g);
        const allowed = atol + rtol * absG;
        this.sumAbs += diff;
        if (diff > this.maxAbs) {
          this.maxAbs = diff;
          this.maxAbsAt = this.ref(row, k, g, a, diff, allowed);
        }
        if (diff > rowMax) rowMax = diff;
        if (diff > d.dimMaxAbs[k]) d.dimMaxAbs[k] = diff;
        if (absG > atol) {
          const rel = diff / absG;
          if (rel > this.maxRel) this.maxRel = rel;
        }
        const ratio = allowed > 0 ? diff / allowed : diff > 0 ? Infinity : 0;
        if (ratio > this.worstRatio) this.worstRatio = ratio;
        if (diff > allowed) this.mismatches++;
        if (this.minAtol !== null) {
          const needed = diff - rtol * absG;
          if (needed > this.minAtol) this.minAtol = needed;
        }
        d.histogram[histogramBin(diff)]++;
        if (ratio > 0) this.offerWorst(row, k, g, a, diff, allowed, ratio);
      }
      this.total += dim;
      if (allZeroA) this.zeroRows++;
      if (allZeroG) this.goldenZeroRows++;
      if (constA && dim > 1) this.constantRows++;
      if (constG && dim > 1) this.goldenConstantRows++;
      d.rowMaxAbs[row] = rowMax;

      // Norms are compared as |‖a‖ - ‖g‖|, in the rows' own scale when that had to be rescaled.
      let scale = 1;
      if (!Number.isFinite(na) || !Number.isFinite(ng)) {
        ({ dot, na, ng, scale } = scaledRowProducts(golden, actual, base, dim));
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
      minPassingAtol: this.minAtol === null ? null : Math.max(this.minAtol, 0),
    };
    return { metrics, details: this.details };
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

function histogramBin(diff: number): number {
  if (diff === 0) return 0;
  const k = Math.floor((Math.log10(diff) - HISTOGRAM_MIN_LOG10) * HISTOGRAM_BINS_PER_DECADE);
  return 1 + Math.min(Math.max(k, 0), HISTOGRAM_DECADES * HISTOGRAM_BINS_PER_DECADE);
}

/** Compares two whole matrices; a shape mismatch is a result (see verdict.ts), not an exception. */
export function referenceCompareMatrices(
  golden: { rows: number; dim: number; data: FloatArray },
  actual: { rows: number; dim: number; data: FloatArray },
  tolerance: Pick<Tolerance, 'atol' | 'rtol'>,
  ids: readonly string[] = [],
): Comparison {
  if (golden.rows !== actual.rows || golden.dim !== actual.dim) {
    const empty = new ReferenceAccumulator(0, 0, tolerance, ids).result();
    empty.metrics.shape = [actual.rows, actual.dim];
    empty.metrics.goldenShape = [golden.rows, golden.dim];
    empty.metrics.minPassingAtol = null;
    return empty;
  }
  const acc = new ReferenceAccumulator(golden.rows, golden.dim, tolerance, ids);
  acc.add(golden.data, actual.data, 0, golden.rows);
  return acc.result();
}
