/**
 * The sweep's points and verdicts, from the vectors sweep.ts measured. Nothing here decides pass or
 * fail by itself: each length's three rows (probe alone, probe batched, companion batched) go through
 * evaluate/lengths.ts, which judges them as `run` judges a corpus, and the backend's verdict is
 * that module's roll-up. What is the sweep's own: which rows and facts make a length, the
 * backend-against-itself figures (compare/max-abs-diff.ts), and the sentence a person reads.
 */
import type { Tolerance } from '../compare/tolerance.js';
import { maxAbsDiff } from '../compare/max-abs-diff.js';
import type { BackendConfig } from '../config/config.js';
import { backendBase, type BackendBase } from '../evaluate/backend-report.js';
import { judgeRows, rollUpLengths, type MeasuredRows } from '../evaluate/lengths.js';
import type { Matrix } from '../numeric/matrix.js';
import { fmt } from '../numeric/format.js';
import type { BackendStatus } from '../report/report.js';
import type { SweepBackend, SweepPoint } from './result.js';

const SHAPE_ERROR = /ShapeInferenceError|Incompatible dimensions|broadcast|shape mismatch|dims? .*(differ|mismatch)/i;

/** Whether an error message is a shape error (named as such, never excused). */
export function errorKind(message: string): 'shape' | 'other' {
  return SHAPE_ERROR.test(message) ? 'shape' : 'other';
}

/** The texts of one length: a probe of `length` tokens (cut to `truncatedTo` for the truncation check) and the companion. */
export interface LengthTexts {
  length: number;
  companionTokens: number;
  /** The truncation check only: the model's limit the probe is cut to. */
  truncatedTo?: number;
}

/** The trusted vectors of one length: the probe and the companion, each embedded alone. */
export interface TrustedRows {
  probe: Matrix;
  companion: Matrix;
}

/**
 * One length as evaluate/ sees it: three texts, each with its token count before truncation and the
 * padded length the backend embedded it at (as `run`'s `texts.tokens` and `texts.batchTokens`):
 * the probe alone and batched, `length` tokens in a batch of `length` (the limit, when cut), and the
 * companion, its own few tokens padded to the probe's length. `companionAlone` is not a compared row,
 * but a width other than the trusted one there is a shape mismatch too.
 */
export function lengthRows(texts: LengthTexts, golden: TrustedRows, alone: Matrix, batched: Matrix, companionAlone?: Matrix): MeasuredRows {
  const { length, companionTokens, truncatedTo } = texts;
  const padded = truncatedTo ?? length;
  const ids = [`probe-${length} alone`, `probe-${length} batched`, 'companion batched'];
  const facts = { ids, tokens: [length, length, companionTokens], batchTokens: [padded, padded, padded] };
  const dim = golden.probe.dim;
  const g = new Float64Array(3 * dim);
  g.set(golden.probe.data, 0);
  g.set(golden.probe.data, dim);
  g.set(golden.companion.data, 2 * dim);
  const odd = [alone, batched, companionAlone].find((m) => m !== undefined && m.dim !== dim);
  // A shape mismatch is a result (compareMatrices never reads the data then), and never excused.
  if (odd) return { golden: { rows: 3, dim, data: g }, actual: { rows: 3, dim: odd.dim, data: new Float64Array(0) }, facts };
  const a = new Float64Array(3 * dim);
  a.set(alone.data.subarray(0, dim), 0);
  a.set(batched.data.subarray(0, 2 * dim), dim); // the batch keeps input order: probe, then companion
  return { golden: { rows: 3, dim, data: g }, actual: { rows: 3, dim, data: a }, facts };
}

/** The tolerance alone (no expectation: that is judged over every length once the backend is done). */
function toleranceOnly(tolerance: Tolerance): BackendBase {
  return { name: '', runtime: '', precision: '', tolerance, environment: {} };
}

/** One length: its three rows judged with the tolerance, plus the backend's own batched-vs-alone drift. */
export function comparePoint(
  texts: LengthTexts,
  tolerance: Tolerance,
  golden: TrustedRows,
  alone: Matrix,
  companionAlone: Matrix,
  batched: Matrix,
  embedMs: number,
): SweepPoint {
  const { length } = texts;
  const dim = golden.probe.dim;
  const judged = judgeRows(toleranceOnly(tolerance), lengthRows(texts, golden, alone, batched, companionAlone));
  const m = judged.metrics!;
  // A shape mismatch has no metrics to show: the reason names both widths.
  if (m.shape[1] !== m.goldenShape[1]) return { length, status: 'fail', reason: judged.reasons.join('; '), embedMs };
  const batchVsAlone = Math.max(maxAbsDiff(batched.data, alone.data, 0, 0, dim), maxAbsDiff(batched.data, companionAlone.data, dim, 0, dim));
  return {
    length,
    status: judged.status === 'pass' ? 'pass' : 'fail',
    ...(judged.status !== 'pass' ? { reason: judged.reasons.join('; ') } : {}),
    maxAbs: m.maxAbs,
    mismatches: m.mismatches,
    total: m.total,
    cosineDelta: m.cosineDeltaMax,
    nonFinite: m.nonFinite,
    batchVsAloneMaxAbs: batchVsAlone,
    aloneMaxAbs: maxAbsDiff(alone.data, golden.probe.data, 0, 0, dim),
    embedMs,
  };
}

/**
 * The backend's verdict once every length ran: each measured length judged again, now with the
 * backend's `expect` and recorded environment (evaluate/lengths.ts), and rolled up. A failing point's
 * reason becomes the judged one, so a failure the expectation does not cover says why.
 */
export function judgeLengths(
  spec: Pick<BackendConfig, 'name' | 'runtime' | 'precision' | 'tolerance' | 'expect'>,
  environment: Record<string, unknown>,
  measured: ReadonlyMap<SweepPoint, MeasuredRows>,
  points: readonly SweepPoint[],
): { verdict: BackendStatus; expected?: SweepBackend['expected'] } {
  const base = backendBase(spec, environment);
  const statuses: BackendStatus[] = [];
  for (const point of points) {
    if (point.status === 'error') statuses.push('error');
    const rows = measured.get(point);
    if (!rows) continue;
    const judged = judgeRows(base, rows);
    statuses.push(judged.status);
    if (point.status === 'fail') point.reason = judged.reasons.join('; ');
  }
  const verdict = rollUpLengths(statuses);
  return verdict === 'xfail' || verdict === 'xpass' ? { verdict, expected: { reason: spec.expect!.reason, outcome: verdict } } : { verdict };
}
