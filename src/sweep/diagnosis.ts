/**
 * The sentence a person reads for a swept backend: where it stops agreeing, what the first failure
 * looks like, what was skipped and why, and how it truncates past the model's limit.
 */
import { fmt } from '../numeric/format.js';
import type { SweepBackend, SweepPoint } from './result.js';

/** The truncation check in words, for the diagnosis. */
export function describeTruncation(t: SweepPoint): string {
  const text = `a ${t.length}-token text cut to the model's ${t.truncatedTo}`;
  if (t.status === 'pass') return `truncates as the trusted backend does (${text})`;
  if (t.status === 'error') return `error on ${text}: ${t.reason}`;
  const what =
    (t.nonFinite ?? 0) > 0
      ? `${t.nonFinite} of ${t.total} values NaN/Inf`
      : t.mismatches
        ? `${t.mismatches} of ${t.total} elements off, max abs ${fmt(t.maxAbs)}`
        : (t.reason ?? `max abs ${fmt(t.maxAbs)}`);
  return `past the model's ${t.truncatedTo}-token limit it does not truncate as the trusted backend does (${text}: ${what})`;
}

/** First failing length, last passing length before it, and the sentence a person reads. */
export function summarize(points: readonly SweepPoint[]): Pick<SweepBackend, 'firstFailingLength' | 'lastPassingLength' | 'diagnosis'> {
  const ran = points.filter((p) => p.status !== 'skipped');
  const skipped = points.filter((p) => p.status === 'skipped');
  // One clause per reason: a backend's own maxTokens and the model's limit skip different lengths.
  const byReason = new Map<string | undefined, number[]>();
  for (const p of skipped) byReason.set(p.reason, [...(byReason.get(p.reason) ?? []), p.length]);
  const skipNote = [...byReason].map(([reason, lengths]) => `; ${lengths.join(', ')} skipped${reason ? ` (${reason})` : ''}`).join('');
  if (!ran.length) return { firstFailingLength: null, lastPassingLength: null, diagnosis: `no length ran${skipNote}` };
  const firstBad = ran.findIndex((p) => p.status === 'fail' || p.status === 'error');
  if (firstBad < 0) {
    const last = ran[ran.length - 1].length;
    return { firstFailingLength: null, lastPassingLength: last, diagnosis: `agrees at every length tested (${ran[0].length}..${last} tokens)${skipNote}` };
  }
  const bad = ran[firstBad];
  const lastGood = firstBad > 0 ? ran[firstBad - 1].length : null;
  const what = bad.status === 'error' ? (bad.reason?.startsWith('shape error') ? 'shape error' : 'error') : 'diverges';
  let diagnosis = lastGood === null ? `${what} at every length from ${bad.length} tokens` : `agrees up to ${lastGood} tokens, ${what} from ${bad.length}`;
  const later = ran.slice(firstBad + 1).filter((p) => p.status === 'pass');
  if (later.length) diagnosis += ` (passes again at ${later.map((p) => p.length).join(', ')})`;
  const failing = ran.filter((p) => p.status === 'fail');
  if (failing.length && failing.every((p) => p.aloneMaxAbs !== undefined && (p.aloneMaxAbs ?? 0) <= bad.batchVsAloneMaxAbs! && p.batchVsAloneMaxAbs! > 0 && (p.aloneMaxAbs ?? 0) * 10 < (p.maxAbs ?? 0))) {
    diagnosis += ' — only when padded in a batch: alone it agrees (look at the padding mask)';
  }
  if (failing.some((p) => (p.nonFinite ?? 0) > 0)) diagnosis += ' — NaN/Inf in the output';
  // The judge's reasons (evaluate/) name rows with no real output; the sentence says so too.
  else if (failing.some((p) => /rows are (all zeros|constant)/.test(p.reason ?? ''))) diagnosis += ' — all-zero or constant rows: no real output';
  if (bad.status === 'fail' && (bad.nonFinite ?? 0) > 0) diagnosis += `; at ${bad.length}: ${bad.nonFinite} of ${bad.total} values NaN/Inf`;
  else if (bad.status === 'fail' && bad.mismatches !== undefined) diagnosis += `; at ${bad.length}: ${bad.mismatches} of ${bad.total} elements off, max abs ${fmt(bad.maxAbs)}`;
  else if (bad.reason) diagnosis += `: ${bad.reason}`;
  return { firstFailingLength: bad.length, lastPassingLength: lastGood, diagnosis: diagnosis + skipNote };
}
