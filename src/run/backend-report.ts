/**
 * Turns one backend's outcome into its report entry: compare against golden, judge against the
 * tolerance, apply the config's expected failure. Shared by `run` and `merge`, so a merged report
 * is computed exactly as a single run's.
 */
import { HISTOGRAM_BINS_PER_DECADE, HISTOGRAM_MIN_LOG10 } from '../compare/histogram.js';
import type { Comparison } from '../compare/metric-types.js';
import { judge } from '../compare/verdict.js';
import { expectationApplies, type Expectation } from '../config/expectation.js';
import { serializeDetails, type BackendReport } from '../report/report.js';
import { downstreamReasons } from '../config/checks.js';
import type { DownstreamImpact } from '../compare/downstream.js';
import type { BatchInvarianceResult } from '../compare/batch-invariance.js';

export type BackendBase = Pick<BackendReport, 'name' | 'runtime' | 'precision' | 'note' | 'tolerance' | 'environment' | 'expect' | 'limits'>;

/** What the diagnosis checks found for a backend; thresholds in `base.limits` may turn them into failures. */
export interface CheckResults {
  downstream?: DownstreamImpact | null;
  batchInvariance?: BatchInvarianceResult | null;
  diagnosis?: string[];
}

/** Reasons the checks fail the backend's configured limits (none when no limit is set). */
function checkReasons(limits: BackendBase['limits'], checks: CheckResults): string[] {
  const reasons = checks.downstream ? downstreamReasons(checks.downstream, limits?.downstream) : [];
  const max = limits?.batchInvariance?.maxAbs;
  const bi = checks.batchInvariance;
  if (bi && max !== undefined && !(bi.maxAbs <= max)) {
    reasons.push(`batch invariance: text '${bi.worstText?.id}' changes by ${bi.maxAbs.toPrecision(3)} (> ${max}) when padded next to '${bi.longest.id}'`);
  }
  return reasons;
}

/** The report entry for a finished comparison (from compareMatrices or a streamed accumulator). */
export function judgeComparison(
  base: BackendBase,
  comparison: Comparison,
  timing: BackendReport['timing'],
  vectorsFile: string | null,
  checks: CheckResults = {},
  reportRows = Infinity,
): BackendReport {
  const { metrics, details } = comparison;
  const verdict = judge(metrics, base.tolerance);
  const reasons = [...verdict.reasons, ...checkReasons(base.limits, checks)];
  return applyExpectation({
    ...base,
    ...checks,
    status: reasons.length ? 'fail' : 'pass',
    reason: reasons[0] ?? null,
    reasons,
    message: verdict.message,
    metrics,
    details: metrics.total ? serializeDetails(details, HISTOGRAM_MIN_LOG10, HISTOGRAM_BINS_PER_DECADE, reportRows) : null,
    timing,
    vectors: vectorsFile,
  });
}

/** A backend that produced no vectors: skipped (with why) or error (with what broke). */
export function unrunBackend(base: BackendBase, status: 'skipped' | 'error', reason: string): BackendReport {
  return { ...base, status, reason, reasons: [reason], message: null, metrics: null, details: null, timing: null, vectors: null };
}

/**
 * Marks a backend xfail/xpass when the config expects it to fail and the expectation's conditions
 * hold on what the backend recorded. The measured numbers and reasons stay as they are.
 */
export function applyExpectation(report: BackendReport, expectation: Expectation | undefined = report.expect): BackendReport {
  const e = expectation;
  if (!e || (report.status !== 'pass' && report.status !== 'fail') || !expectationApplies(e, report.environment)) return report;
  const expected = { status: e.status, reason: e.reason };
  if (report.status === 'fail') {
    return { ...report, status: 'xfail', expected, reasons: [...report.reasons, `expected failure: ${e.reason}`] };
  }
  const reason = `expected to fail (${e.reason}) but passed — the fix may have landed; remove "expect" from this backend`;
  return { ...report, status: 'xpass', expected, reason, reasons: [reason] };
}
