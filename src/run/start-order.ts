/**
 * Which backend's work goes first when several backends work at once: the longest first, by what a
 * previous run measured (longest-processing-time first, as test runners order test files by their
 * last duration). Started in config order, a long backend that comes last in the config (a PyTorch
 * bfloat16 on a CPU without bfloat16 hardware, the llama.cpp files) runs alone at the end while the
 * other cores idle. The order changes no result: every backend runs in its own process, and what a
 * backend gets tested never depends on which were judged before it (diagnose/hypotheses.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendReport, Report } from '../report/report.js';
import { readReport } from '../report/read-report.js';
import { displayPath } from '../io/display-path.js';

/** What one backend took in a previous run, in ms: every phase of its own (open, embed, compare, downstream, batch invariance). */
export function backendCost(report: BackendReport): number | null {
  const t = report.timing;
  if (!t) return null;
  return t.openMs + t.embedMs + (t.compareMs ?? 0) + (t.downstreamMs ?? 0) + (t.batchInvarianceMs ?? 0);
}

/**
 * Each backend's rank (0 starts first): backends the previous run did not time first, in config
 * order (nothing says they are short); then the timed ones, longest first, ties in config order.
 * Without a previous run, config order.
 */
export function startRanks(names: readonly string[], previous: ReadonlyMap<string, number> | null): number[] {
  const cost = (i: number) => previous?.get(names[i]);
  const order = names
    .map((_, i) => i)
    .sort((a, b) => {
      const ca = cost(a);
      const cb = cost(b);
      if (ca === undefined || cb === undefined) return ca === undefined && cb === undefined ? a - b : ca === undefined ? -1 : 1;
      return cb - ca || a - b;
    });
  const ranks = new Array<number>(names.length);
  order.forEach((i, rank) => (ranks[i] = rank));
  return ranks;
}

/**
 * The previous run's backend times: the report this run is about to replace in its --out folder,
 * else the --baseline's. A report that cannot be read orders nothing (the run does not depend on it).
 */
export function previousCosts(outDir: string, baseline: Report | null): { costs: Map<string, number>; from: string } | null {
  const candidates: { report: () => Report; from: string }[] = [];
  const own = join(outDir, 'report.json');
  if (existsSync(own)) candidates.push({ report: () => readReport(own), from: displayPath(own) });
  if (baseline) candidates.push({ report: () => baseline, from: 'the baseline' });
  for (const c of candidates) {
    let report: Report;
    try {
      report = c.report();
    } catch {
      continue;
    }
    const costs = new Map<string, number>();
    for (const b of report.backends) {
      const ms = backendCost(b);
      if (ms !== null) costs.set(b.name, ms);
    }
    if (costs.size) return { costs, from: c.from };
  }
  return null;
}
