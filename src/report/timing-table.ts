/**
 * Where a run's time went, per phase: each backend's open, embed, compare, downstream and batch
 * invariance, and the run's pairwise matrix and report writing. Plain rows and lines for every
 * renderer (terminal, HTML, Markdown); phases a report did not time (older or merged reports) stay
 * blank, and a report without the run's timing gets no time to verdict: nothing is made up.
 */
import { seconds } from './format.js';
import type { Report, RunTiming } from './report.js';

export const TIMING_COLUMNS = ['backend', 'open', 'embed', 'texts/s', 'compare', 'downstream', 'batch inv.'] as const;

export interface TimingSummary {
  /** One row per timed backend, cells in TIMING_COLUMNS order; empty when no backend was timed. */
  rows: string[][];
  /** One line: the time to verdict (when the report has it), then every phase summed over backends, pairwise and report writing. */
  total: string;
}

/** A figure only when the report holds one (a report.json edited by hand or cut short may not). */
function ms(value: number | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * "time to verdict 271 s", or "time to verdict 270 s up to writing the report" while the report
 * files are being written (report.html and summary.md cannot hold the time it takes to write them),
 * and how many backends worked at once. Null without the run's timing (older and merged reports).
 */
function verdictTime(run: RunTiming | undefined): { head: string; jobs: string | null } | null {
  if (!run) return null;
  const total = ms(run.totalMs);
  const verdict = ms(run.verdictMs);
  const head = total !== undefined ? `time to verdict ${seconds(total)}` : verdict !== undefined ? `time to verdict ${seconds(verdict)} up to writing the report` : null;
  if (!head) return null;
  const each = run.threadsPerBackend ? `, ${run.threadsPerBackend} thread${run.threadsPerBackend === 1 ? '' : 's'} each where the config sets none` : '';
  const jobs = run.jobs ? `${run.jobs} ${run.jobs === 1 ? 'backend' : 'backends'} at a time${each}` : null;
  return { head, jobs };
}

/** "time to verdict 270 s up to writing the report (2 backends at a time)"; null when the report has no run timing. */
export function timeToVerdict(report: Report): string | null {
  const v = verdictTime(report.timing);
  return v && `${v.head}${v.jobs ? ` (${v.jobs})` : ''}`;
}

/** Null when neither a backend nor the run was timed (a report of skipped backends only, or an old one). */
export function timingSummary(report: Report): TimingSummary | null {
  const timed = report.backends.filter((b) => b.timing);
  const verdict = verdictTime(report.timing);
  if (!timed.length && !verdict) return null;
  const cell = (ms: number | undefined) => (ms === undefined ? '' : seconds(ms));
  const rows = timed.map((b) => {
    const t = b.timing!;
    return [b.name, cell(t.openMs), cell(t.embedMs), t.textsPerSecond ? String(Number(t.textsPerSecond.toPrecision(3))) : '', cell(t.compareMs), cell(t.downstreamMs), cell(t.batchInvarianceMs)];
  });
  const sum = (key: 'openMs' | 'embedMs' | 'compareMs' | 'downstreamMs' | 'batchInvarianceMs') => timed.reduce((s, b) => s + (b.timing![key] ?? 0), 0);
  const phases = timed.length
    ? [
        `open ${seconds(sum('openMs'))}`,
        `embed ${seconds(sum('embedMs'))}`,
        `compare ${seconds(sum('compareMs'))}`,
        `downstream ${seconds(sum('downstreamMs'))}`,
        `batch invariance ${seconds(sum('batchInvarianceMs'))}`,
      ]
    : [];
  const run = report.timing;
  const pairwise = ms(run?.pairwiseMs);
  const writing = ms(run?.reportMs);
  if (pairwise !== undefined) phases.push(`pairwise ${seconds(pairwise)}`);
  if (writing !== undefined) phases.push(`report writing ${seconds(writing)}`);
  if (!verdict) return { rows, total: `time per phase: ${phases.join(', ')}` };
  // With backends side by side their phases overlap: the sums are work done, not wall time.
  const notes = [verdict.jobs, run?.jobs && run.jobs > 1 && timed.length ? 'phases summed over backends' : null].filter(Boolean);
  const total = `${verdict.head}${notes.length ? ` (${notes.join('; ')})` : ''}${phases.length ? `: ${phases.join(', ')}` : ''}`;
  return { rows, total };
}
