/** Turns metrics + tolerance into pass/fail with reasons a person can act on. Pure; no I/O. */
import type { Metrics } from './metric-types.js';
import type { Tolerance } from './tolerance.js';
import { fmt, pct } from '../numeric/format.js';

export interface Verdict {
  status: 'pass' | 'fail';
  /** One line per failed check; empty on pass. */
  reasons: string[];
  /** torch.testing-style multi-line summary, for JUnit and terminal details. */
  message: string;
}

export function judge(m: Metrics, tol: Tolerance): Verdict {
  const reasons: string[] = [];
  const [rows, dim] = m.shape;
  const [gRows, gDim] = m.goldenShape;
  if (rows !== gRows || dim !== gDim) {
    const hint = rows === gRows ? ' — wrong model or head size?' : ' — different corpus or dropped texts?';
    reasons.push(`shape mismatch: backend gives (${rows}, ${dim}), golden is (${gRows}, ${gDim})${hint}`);
    return { status: 'fail', reasons, message: reasons[0] };
  }
  if (m.nonFinite > m.goldenNonFinite) {
    reasons.push(`${m.nonFinite} non-finite values (NaN/Inf) in the output; golden has ${m.goldenNonFinite}`);
  }
  if (m.zeroRows > m.goldenZeroRows) {
    reasons.push(`${m.zeroRows} of ${rows} rows are all zeros (golden has ${m.goldenZeroRows}) — backend produced no output`);
  }
  if (m.constantRows > m.goldenConstantRows) {
    reasons.push(`${m.constantRows} of ${rows} rows are constant (golden has ${m.goldenConstantRows}) — backend produced no real output`);
  }
  if (m.mismatchRatio > tol.mismatchRatio) {
    const where = m.maxAbsAt ? ` at text '${m.maxAbsAt.id}' dim ${m.maxAbsAt.dim}` : '';
    reasons.push(
      `${m.mismatches} / ${m.total} elements (${pct(m.mismatchRatio)}) beyond atol ${fmt(tol.atol)} + rtol ${fmt(tol.rtol)}·|golden|; ` +
        `max abs ${fmt(m.maxAbs)}${where}` +
        (tol.mismatchRatio > 0 ? `; allowed ratio ${pct(tol.mismatchRatio)}` : ''),
    );
  }
  if (tol.cosine !== undefined && m.cosineDeltaMax > tol.cosine) {
    const where = m.cosineDeltaMaxAt ? ` at text '${m.cosineDeltaMaxAt.id}'` : '';
    reasons.push(`cosine Δ ${fmt(m.cosineDeltaMax)}${where} exceeds ${fmt(tol.cosine)}`);
  }
  return { status: reasons.length ? 'fail' : 'pass', reasons, message: torchStyleMessage(m, tol) };
}

/** "Mismatched elements: 7 / 4096 (0.17%) / Greatest absolute difference: ... (up to 1e-05 allowed)" */
export function torchStyleMessage(m: Metrics, tol: Tolerance): string {
  const at = m.maxAbsAt;
  const lines = [
    `Mismatched elements: ${m.mismatches} / ${m.total} (${pct(m.mismatchRatio)})`,
    `Greatest absolute difference: ${fmt(m.maxAbs)}` +
      (at ? ` at text '${at.id}' dim ${at.dim} (golden ${at.golden}, actual ${at.actual})` : '') +
      ` (up to ${fmt(tol.atol)} allowed)`,
    `Greatest relative difference: ${fmt(m.maxRel)} (up to ${fmt(tol.rtol)} allowed)`,
    `Cosine Δ max ${fmt(m.cosineDeltaMax)}, mean ${fmt(m.cosineDeltaMean)}; norm drift max ${fmt(m.normDeltaMax)}`,
    `Smallest atol that passes at rtol ${fmt(tol.rtol)}: ${fmt(m.minPassingAtol)}`,
  ];
  if (m.nonFinite) lines.push(`Non-finite values: ${m.nonFinite}`);
  return lines.join('\n');
}
