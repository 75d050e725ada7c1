/**
 * The metrics a baseline diff and the run history follow per backend, each turned into an error
 * that grows when things get worse (top-k kept becomes top-k lost), so one rule — growth = after ÷
 * before — fits them all.
 */
import type { BackendReport } from '../report/report.js';

export interface DriftMetric {
  key: string;
  /** As the reports name it. */
  label: string;
  /** The value, or undefined where this backend's report does not have it. */
  of: (b: BackendReport) => number | undefined;
}

const num = (v: unknown): number | undefined => (v === undefined || v === null ? undefined : Number(v));

export const DRIFT_METRICS: readonly DriftMetric[] = [
  { key: 'maxAbs', label: 'max abs', of: (b) => num(b.metrics?.maxAbs) },
  { key: 'mismatches', label: 'mismatches', of: (b) => num(b.metrics?.mismatches) },
  { key: 'cosineDeltaMax', label: 'cos Δ max', of: (b) => num(b.metrics?.cosineDeltaMax) },
  { key: 'cosineDeltaMean', label: 'cos Δ mean', of: (b) => num(b.metrics?.cosineDeltaMean) },
  { key: 'normDeltaMax', label: 'norm drift', of: (b) => num(b.metrics?.normDeltaMax) },
  { key: 'top1Lost', label: 'top-1 lost', of: (b) => (b.downstream ? 1 - Number(b.downstream.top1Overlap) : undefined) },
  { key: 'top10Lost', label: 'top-10 lost', of: (b) => (b.downstream ? 1 - Number(b.downstream.top10Overlap) : undefined) },
  { key: 'batchInvariance', label: 'batch inv. max abs', of: (b) => num(b.batchInvariance?.maxAbs) },
];

export const DRIFT_METRIC_LABEL: Record<string, string> = Object.fromEntries(DRIFT_METRICS.map((m) => [m.key, m.label]));

/** after ÷ before, where 0 → 0 and NaN → NaN are no change and becoming non-zero or NaN is unbounded growth. */
export function growth(before: number, after: number): number {
  if (Number.isNaN(after)) return Number.isNaN(before) ? 1 : Infinity;
  if (Number.isNaN(before)) return 0;
  // A cosine Δ of −1e-17 is rounding around 0, not a negative error.
  before = Math.max(before, 0);
  after = Math.max(after, 0);
  if (before === after) return 1;
  if (before === 0) return Infinity;
  return after / before;
}
