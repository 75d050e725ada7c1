/**
 * "Since baseline" text shared by the terminal, HTML and Markdown renderers: one sentence per
 * backend ("cpu-fp16: max abs 3.1e-4 → 9.8e-4 (3.16×), 412 of 18,496 elements moved …, still within
 * tolerance"), formatted once so every format says the same thing.
 */
import type { BackendDrift, BaselineDiff, EnvironmentChange, MetricChange } from '../baseline/diff-types.js';
import { growthText, metricChangeText, movesText } from '../baseline/diff.js';
import { fmt, truncate } from './format.js';

export { growthText, metricChangeText, movesText };

/** Longest value of an environment change shown before it is cut (the full one is in report.json). */
const VALUE_CHARS = 40;

/** The metric a reader looks at first: max abs, when both runs measured it. */
export function headlineChange(d: BackendDrift): MetricChange | undefined {
  return d.metrics.find((m) => m.key === 'maxAbs');
}

/** "max abs 1.06e-6 → 1.12e-6 (1.06×)" or "unchanged" or what is missing. */
export function maxAbsCellText(d: BackendDrift): string {
  const m = headlineChange(d);
  return m ? `${fmt(m.before)} → ${fmt(m.after)} (${growthText(m)})` : '';
}

/** "412 moved" / "0 moved" / "" (not compared). */
export function movedCellText(d: BackendDrift): string {
  return d.moves ? `${d.moves.moved.toLocaleString('en-US')} of ${d.moves.compared.toLocaleString('en-US')}` : '';
}

/** "intraOpNumThreads 1 → 2" (`separator` after the key), long values cut. */
export function changeText(c: EnvironmentChange, separator = ' ', chars = VALUE_CHARS): string {
  return `${c.key}${separator}${truncate(c.before ?? '(none)', chars)} → ${truncate(c.after ?? '(none)', chars)}`;
}

export function environmentText(changes: readonly EnvironmentChange[], max = 4): string {
  const shown = changes.slice(0, max).map((c) => changeText(c));
  if (changes.length > max) shown.push(`${changes.length - max} more`);
  return shown.join(', ');
}

/** What a backend's change amounts to, for the end of its sentence. */
export function driftOutcome(d: BackendDrift): string {
  if (d.exceeded.length) return 'beyond its drift limit';
  if (d.statusAfter === 'pass') return d.limits ? 'within its drift limits and tolerance' : 'still within tolerance';
  return '';
}

/** The backend's whole sentence, without its name. */
export function driftSentence(d: BackendDrift): string {
  if (d.in === 'baseline') return `only in the baseline run (${d.statusBefore}): not in this run`;
  if (d.in === 'current') return `new in this run (${d.statusAfter}): not in the baseline`;
  const parts: string[] = [];
  if (d.statusBefore !== d.statusAfter) parts.push(`status ${d.statusBefore} → ${d.statusAfter}`);
  const head = headlineChange(d);
  if (head) parts.push(metricChangeText(head));
  // Any other metric that grew past the limit is named too; the rest are in the tables.
  for (const m of d.metrics) if (m !== head && d.limits?.maxGrowth !== undefined && m.growth > d.limits.maxGrowth) parts.push(metricChangeText(m));
  if (d.moves) parts.push(movesText(d.moves));
  else if (d.movesNotCompared && head) parts.push(`vectors not compared: ${d.movesNotCompared}`);
  if (!head && !parts.length) parts.push(`no vectors in ${d.statusBefore === d.statusAfter ? 'either run' : 'one of the runs'}`);
  const outcome = driftOutcome(d);
  if (outcome) parts.push(outcome);
  return parts.join(', ');
}

/** "2 texts only in the baseline ('a', 'b'); 1 only in this run ('c')", or null. */
export function textsText(diff: BaselineDiff): string | null {
  const side = (s: { count: number; ids: string[] }, where: string) => {
    if (!s.count) return null;
    const ids = s.ids.map((id) => `'${truncate(id, 24)}'`).join(', ');
    return `${s.count} text${s.count === 1 ? '' : 's'} ${where} (${ids}${s.count > s.ids.length ? ', …' : ''})`;
  };
  const parts = [side(diff.texts.onlyInBaseline, 'only in the baseline'), side(diff.texts.onlyInCurrent, 'only in this run')].filter(Boolean);
  return parts.length ? parts.join('; ') : null;
}
