/**
 * Applies a backend's expected failure (config/expectation.ts) to its judged report. A failure is
 * `xfail` only when the expectation applies here (`when`) and the failure stays inside its bound
 * (`within`); anything else stays a plain `fail`, with a reason that says what went beyond it:
 * - zero, constant and non-finite rows and shape mismatches are never expected: they mean the backend
 *   produced no real output, which no runtime bug report excuses;
 * - failed limits on the diagnosis checks (downstream, batch invariance) are not covered;
 * - a failing text outside `within.texts`, or max abs / cosine Δ above the caps.
 * A text counts as failing when its largest |a - g| exceeds atol or its cosine Δ exceeds the cosine
 * tolerance: |a - g| <= atol clears every element, so no failing text is missed (a text within
 * atol + rtol·|g| but above atol is counted too, which can only refuse an excuse, never grant one).
 */
import type { Details, Metrics } from '../compare/metric-types.js';
import type { Tolerance } from '../compare/tolerance.js';
import { fmt } from '../numeric/format.js';
import { conditionsHold, describeConditions, expectationApplies, type Expectation } from '../config/expectation.js';
import type { BackendReport } from '../report/report.js';

/** What is known about each text of the run, by run row (a shard's row k). */
export interface TextFacts {
  ids: readonly string[];
  /** Token count the model sees (truncated, special tokens included); absent without the tokenizer. */
  lengths?: readonly number[];
  /** Token count before truncation, special tokens included. */
  tokens?: readonly number[];
  /** Padded length of the length-sorted batch each text was embedded in by the harness. */
  batchTokens?: readonly number[];
}

export interface ExpectationInput {
  metrics: Metrics;
  /** Per-row details of the comparison (null for a shape mismatch). */
  details: Details | null;
  tolerance: Tolerance;
  /** Reasons from the diagnosis checks' limits (downstream, batch invariance). */
  limitReasons: readonly string[];
  facts: TextFacts;
}

/** Why the failure is not the expected one; empty when the expectation covers it. */
export function beyondExpectation(e: Expectation, input: ExpectationInput): string[] {
  const { metrics: m, details, tolerance, limitReasons, facts } = input;
  const never: string[] = [];
  if (m.shape[0] !== m.goldenShape[0] || m.shape[1] !== m.goldenShape[1]) never.push('a shape mismatch');
  if (m.nonFinite > m.goldenNonFinite) never.push('non-finite values');
  if (m.zeroRows > m.goldenZeroRows) never.push('all-zero rows');
  if (m.constantRows > m.goldenConstantRows) never.push('constant rows');
  if (never.length) return [`${never.join(', ')} — never an expected failure (the backend produced no real output)`];

  const beyond: string[] = [];
  // A report written before expectations were bounded carries none: it excuses nothing.
  if (!e.within) return ['the expectation has no "within" bound (a report from an older parity); bound it in the config and run again'];
  if (limitReasons.length) beyond.push('the diagnosis checks\' limits failed, which the expectation does not cover');
  const { within } = e;
  if (within.maxAbs !== undefined && !(m.maxAbs <= within.maxAbs)) {
    beyond.push(`max abs ${fmt(m.maxAbs)}${m.maxAbsAt ? ` (text '${m.maxAbsAt.id}')` : ''} exceeds the expected ${fmt(within.maxAbs)}`);
  }
  if (within.cosineDelta !== undefined && !(m.cosineDeltaMax <= within.cosineDelta)) {
    beyond.push(`cosine Δ ${fmt(m.cosineDeltaMax)}${m.cosineDeltaMaxAt ? ` (text '${m.cosineDeltaMaxAt.id}')` : ''} exceeds the expected ${fmt(within.cosineDelta)}`);
  }
  if (within.texts && details) {
    const t = within.texts;
    const ids = t.ids ? new Set(t.ids) : null;
    const missing = (['tokens', 'batchTokens'] as const).filter((k) => t[k] && !facts[k]);
    if (missing.length) {
      beyond.push(`the expectation's text condition needs ${missing.join(' and ')}, which are unknown here (no tokenizer for the model)`);
    } else {
      const outside: string[] = [];
      const rows = details.rowMaxAbs.length;
      for (let r = 0; r < rows; r++) {
        const failing = details.rowMaxAbs[r] > tolerance.atol || (tolerance.cosine !== undefined && details.cosineDelta[r] > tolerance.cosine);
        if (!failing) continue;
        const id = facts.ids[r] ?? String(r);
        const inside =
          (!ids || ids.has(id)) &&
          (!t.tokens || conditionsHold(facts.tokens![r], t.tokens)) &&
          (!t.batchTokens || conditionsHold(facts.batchTokens![r], t.batchTokens));
        if (!inside) outside.push(id);
      }
      if (outside.length) {
        const rule = [
          ids ? `ids ${t.ids!.map((i) => `'${i}'`).join(', ')}` : '',
          t.tokens ? `tokens ${describeConditions(t.tokens)}` : '',
          t.batchTokens ? `batch tokens ${describeConditions(t.batchTokens)}` : '',
        ].filter(Boolean).join('; ');
        const named = outside.slice(0, 5).map((id) => `'${id}'`).join(', ') + (outside.length > 5 ? ` and ${outside.length - 5} more` : '');
        beyond.push(`${outside.length} failing text${outside.length > 1 ? 's' : ''} outside the expected ones (${rule}): ${named}`);
      }
    }
  }
  return beyond;
}

/**
 * Marks a judged backend xfail/xpass when its expectation applies and covers the failure; a failure
 * beyond it stays `fail` with what went beyond. The measured numbers stay as they are.
 */
export function applyExpectation(report: BackendReport, input: ExpectationInput): BackendReport {
  const e = report.expect;
  if (!e || (report.status !== 'pass' && report.status !== 'fail') || !expectationApplies(e, report.environment)) return report;
  const expected = { status: e.status, reason: e.reason };
  if (report.status === 'pass') {
    const reason = `expected to fail (${e.reason}) but passed — the fix may have landed; remove "expect" from this backend`;
    return { ...report, status: 'xpass', expected, reason, reasons: [reason] };
  }
  const beyond = beyondExpectation(e, input);
  if (beyond.length) {
    const why = `beyond the expected failure (${e.reason}): ${beyond.join('; ')}`;
    return { ...report, reasons: [...report.reasons, why] };
  }
  return { ...report, status: 'xfail', expected, reasons: [...report.reasons, `expected failure: ${e.reason}`] };
}
