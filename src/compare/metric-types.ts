/** What a comparison of two matrices yields: the summary metrics and the per-row/per-dimension details. */

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

export interface Comparison {
  metrics: Metrics;
  details: Details;
}
