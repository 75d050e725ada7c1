/**
 * `run --baseline`: reads the baseline up front (a bad path is one error before anything runs), then
 * puts the diff into the finished report and fails the backends whose change breaks their drift
 * limits — even within tolerance — so the verdict and the exit code say so.
 */
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readReport } from '../report/read-report.js';
import { InputError } from '../errors.js';
import { displayPath } from '../io/display-path.js';
import { overallVerdict, type BackendReport, type Report } from '../report/report.js';
import { diffReports } from './diff.js';
import type { BaselineDiff } from './diff-types.js';
import { vectorMoves, type RunOnDisk } from './vectors.js';

export interface Baseline extends RunOnDisk {
  /** report.json of the baseline, as shown in reports. */
  path: string;
}

/** A report folder or its report.json, read and checked. */
export function readBaseline(path: string): Baseline {
  let file = resolve(path);
  try {
    if (statSync(file).isDirectory()) file = join(file, 'report.json');
  } catch {
    /* readReport says what is missing */
  }
  return { report: readReport(file), dir: dirname(file), path: displayPath(file) };
}

/** The same check as the baseline's report folder would overwrite the baseline while it runs. */
export function checkBaselineOutside(baseline: Baseline, outDir: string): void {
  if (resolve(baseline.dir) === resolve(outDir)) {
    throw new InputError(`--baseline ${baseline.path} is in the --out folder this run writes (${displayPath(outDir)}): copy the baseline elsewhere first, or pass another --out`);
  }
}

/** `parity diff A B`: B against A, with B's drift limits. */
export function diffRuns(a: Baseline, b: Baseline): BaselineDiff {
  return diffReports(a.report, b.report, a.path, vectorMoves(a, b));
}

/** The report with `baseline` filled in, drift limits applied to its backends and its verdict recomputed. */
export function withBaseline(report: Report, outDir: string, baseline: Baseline, options: { strict?: boolean } = {}): Report {
  const diff = diffReports(baseline.report, report, baseline.path, vectorMoves(baseline, { report, dir: outDir }));
  const drifts = new Map(diff.backends.map((d) => [d.name, d]));
  const warnings = [...report.warnings];
  const backends = report.backends.map((b): BackendReport => {
    const d = drifts.get(b.name)!;
    if (d.limits?.maxMoved !== undefined && !d.moves && d.in === 'both' && b.vectors) {
      warnings.push(`${b.name}: drift.maxMoved not checked: ${d.movesNotCompared ?? 'the vectors were not compared'}`);
    }
    if (!d.exceeded.length || b.status === 'error' || b.status === 'skipped') return b;
    const reasons = [...b.reasons, ...d.exceeded];
    return { ...b, status: 'fail', reason: b.status === 'fail' ? b.reason : d.exceeded[0], reasons };
  });
  const status = new Map(backends.map((b) => [b.name, b.status]));
  const judged = { ...diff, backends: diff.backends.map((d) => (d.in === 'baseline' ? d : { ...d, statusAfter: status.get(d.name) ?? d.statusAfter })) };
  return { ...report, backends, warnings, verdict: overallVerdict(backends, options), baseline: judged };
}
