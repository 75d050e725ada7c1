/**
 * `parity sweep`'s judge: each length's rows are a small corpus of their own, judged by
 * judgeComparison exactly as `run` and `merge` judge a backend's corpus — the tolerance, the rows that
 * are never excused (non-finite, all-zero, constant, a shape mismatch) and the backend's expected
 * failure with each row's token counts — and the lengths roll up into one status per backend. The
 * sweep keeps no rules of its own.
 */
import { compareMatrices } from '../compare/metrics.js';
import type { Matrix } from '../numeric/matrix.js';
import type { BackendReport, BackendStatus } from '../report/report.js';
import { judgeComparison, type BackendBase } from './backend-report.js';
import type { TextFacts } from './expectation.js';

/** One measured length: the trusted rows and the backend's, row for row, and what is known of each text. */
export interface MeasuredRows {
  golden: Matrix;
  /** Of another width than `golden` for a shape mismatch (its data is then not read). */
  actual: Matrix;
  facts: TextFacts;
}

/** One length judged as a run's corpus is; with no `expect` in `base`, the tolerance alone (pass or fail). */
export function judgeRows(base: BackendBase, rows: MeasuredRows): BackendReport {
  const comparison = compareMatrices(rows.golden, rows.actual, base.tolerance, rows.facts.ids);
  return judgeComparison(base, comparison, null, null, rows.facts);
}

/**
 * A backend's status from its lengths' (an error where a length could not be embedded; none for a
 * skipped length). The expectation was judged per length, over that length's failing rows, so the
 * whole is excused only when every failing length is:
 * error if any length errored (as in `run`, an error is never judged); else fail if any failed beyond
 * its expectation; else xfail if any failed as expected; else skipped if no length ran; else xpass
 * when the expectation applied (every length then is xpass), pass otherwise.
 */
export function rollUpLengths(statuses: readonly BackendStatus[]): BackendStatus {
  for (const s of ['error', 'fail', 'xfail'] as const) if (statuses.includes(s)) return s;
  if (!statuses.length) return 'skipped';
  return statuses.includes('xpass') ? 'xpass' : 'pass';
}
