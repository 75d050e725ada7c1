/**
 * One backend's report entry from its comparison: judge against the tolerance and the checks'
 * limits, then apply the config's expected failure. evaluate.ts calls it for `run` and `merge` alike.
 */
import type { BatchInvarianceResult } from '../compare/batch-invariance.js';
import type { DownstreamImpact } from '../compare/downstream.js';
import { HISTOGRAM_BINS_PER_DECADE, HISTOGRAM_MIN_LOG10 } from '../compare/histogram.js';
import type { Comparison } from '../compare/metric-types.js';
import { judge } from '../compare/verdict.js';
import { downstreamReasons } from '../config/checks.js';
import { serializeDetails, type BackendReport } from '../report/report.js';
import { applyExpectation, type TextFacts } from './expectation.js';

export type BackendBase = Pick<BackendReport, 'name' | 'runtime' | 'precision' | 'note' | 'tolerance' | 'environment' | 'expect' | 'limits'>;

/** The config-side fields of a backend's report entry (from a config entry or a shard's report). */
export function backendBase(
  spec: Pick<BackendReport, 'name' | 'runtime' | 'precision' | 'note' | 'tolerance' | 'expect' | 'limits'>,
  environment: Record<string, unknown>,
): BackendBase {
  return {
    name: spec.name,
    runtime: spec.runtime,
    precision: spec.precision,
    ...(spec.note ? { note: spec.note } : {}),
    ...(spec.expect ? { expect: spec.expect } : {}),
    ...(spec.limits ? { limits: spec.limits } : {}),
    tolerance: spec.tolerance,
    environment,
  };
}

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
  facts: TextFacts,
  checks: CheckResults = {},
  reportRows = Infinity,
): BackendReport {
  const { metrics, details } = comparison;
  const verdict = judge(metrics, base.tolerance);
  const limitReasons = checkReasons(base.limits, checks);
  const reasons = [...verdict.reasons, ...limitReasons];
  const judged: BackendReport = {
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
  };
  return applyExpectation(judged, { metrics, details: metrics.total ? details : null, tolerance: base.tolerance, limitReasons, facts });
}

/** A backend that produced no vectors: skipped (with why) or error (with what broke). */
export function unrunBackend(base: BackendBase, status: 'skipped' | 'error', reason: string): BackendReport {
  return { ...base, status, reason, reasons: [reason], message: null, metrics: null, details: null, timing: null, vectors: null };
}
