/**
 * Where a run's time went, per phase: each backend's open, embed, compare, downstream and batch
 * invariance, and the run's pairwise matrix and report writing. Plain rows for the terminal (and any
 * renderer that wants them); phases a report did not time (older or merged reports) stay blank.
 */
import { seconds } from './format.js';
import type { Report } from './report.js';

export const TIMING_COLUMNS = ['backend', 'open', 'embed', 'texts/s', 'compare', 'downstream', 'batch inv.'] as const;

export interface TimingSummary {
  rows: string[][];
  /** One line: every phase summed over backends, then pairwise, report writing and the total. */
  total: string;
}

/** Null when no backend was timed (a report of skipped backends only, or an old one). */
export function timingSummary(report: Report): TimingSummary | null {
  const timed = report.backends.filter((b) => b.timing);
  if (!timed.length) return null;
  const cell = (ms: number | undefined) => (ms === undefined ? '' : seconds(ms));
  const rows = timed.map((b) => {
    const t = b.timing!;
    return [b.name, cell(t.openMs), cell(t.embedMs), t.textsPerSecond ? String(Number(t.textsPerSecond.toPrecision(3))) : '', cell(t.compareMs), cell(t.downstreamMs), cell(t.batchInvarianceMs)];
  });
  const sum = (key: 'openMs' | 'embedMs' | 'compareMs' | 'downstreamMs' | 'batchInvarianceMs') => timed.reduce((s, b) => s + (b.timing![key] ?? 0), 0);
  const phases = [
    `open ${seconds(sum('openMs'))}`,
    `embed ${seconds(sum('embedMs'))}`,
    `compare ${seconds(sum('compareMs'))}`,
    `downstream ${seconds(sum('downstreamMs'))}`,
    `batch invariance ${seconds(sum('batchInvarianceMs'))}`,
  ];
  const run = report.timing;
  if (run) phases.push(`pairwise ${seconds(run.pairwiseMs)}`, `report writing ${seconds(run.reportMs)}`);
  // With backends side by side their phases overlap: the sums are work done, not wall time.
  const each = run?.threadsPerBackend ? `, ${run.threadsPerBackend} thread${run.threadsPerBackend === 1 ? '' : 's'} each where the config sets none` : '';
  const side = run?.jobs && run.jobs > 1 ? ` (${run.jobs} backends at a time${each}; phases summed over backends)` : '';
  const total = run ? `time to verdict ${seconds(run.totalMs)}${side}: ${phases.join(', ')}` : `time per phase: ${phases.join(', ')}`;
  return { rows, total };
}
