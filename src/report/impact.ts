/**
 * "Does it matter?" figures shared by the HTML, Markdown and JUnit renderers: each backend's
 * downstream-impact and batch-invariance numbers, formatted once, with the config's limit (if any)
 * and whether the value fails it. Limits are optional: without one a figure is information only.
 */
import { fmt, keptPct, spearmanText } from './format.js';
import type { BackendReport, Report } from './report.js';

export interface ImpactFigure {
  key: 'top1' | 'top5' | 'top10' | 'spearman' | 'maxPairwiseDelta' | 'rankFlips' | 'batchMaxAbs';
  label: string;
  value: number;
  shown: string;
  /** The configured limit, as text ("≥ 0.99", "≤ 0.01"); absent when none is set. */
  limit?: string;
  /** True when a limit is set and the value is on the wrong side of it (NaN always fails). */
  fails: boolean;
}

/** report.json stores non-finite numbers as strings; a re-read report may still hold them. */
function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

function atLeast(value: number, limit: number | undefined): Pick<ImpactFigure, 'limit' | 'fails'> {
  return limit === undefined ? { fails: false } : { limit: `≥ ${limit}`, fails: !(value >= limit) };
}

function atMost(value: number, limit: number | undefined): Pick<ImpactFigure, 'limit' | 'fails'> {
  return limit === undefined ? { fails: false } : { limit: `≤ ${limit}`, fails: !(value <= limit) };
}

/** Downstream figures (neighbours, pairwise similarities), in table order; empty when not measured. */
export function downstreamFigures(b: BackendReport): ImpactFigure[] {
  const d = b.downstream;
  if (!d) return [];
  const t = b.limits?.downstream ?? {};
  const top1 = num(d.top1Overlap);
  const top5 = num(d.top5Overlap);
  const top10 = num(d.top10Overlap);
  const spearman = num(d.spearman);
  const delta = num(d.maxPairwiseDelta);
  const flips = num(d.rankFlips);
  return [
    { key: 'top1', label: 'top-1 kept', value: top1, shown: keptPct(top1), ...atLeast(top1, t.minTop1Overlap) },
    { key: 'top5', label: 'top-5 kept', value: top5, shown: keptPct(top5), ...atLeast(top5, t.minTop5Overlap) },
    { key: 'top10', label: 'top-10 kept', value: top10, shown: keptPct(top10), ...atLeast(top10, t.minTop10Overlap) },
    { key: 'spearman', label: 'spearman', value: spearman, shown: spearmanText(spearman), ...atLeast(spearman, t.minSpearman) },
    { key: 'maxPairwiseDelta', label: 'max Δ similarity', value: delta, shown: fmt(delta), ...atMost(delta, t.maxPairwiseDelta) },
    { key: 'rankFlips', label: 'rank flips', value: flips, shown: flips.toLocaleString('en-US'), ...atMost(flips, t.maxRankFlips) },
  ];
}

/** The batch-invariance figure (max |batched − alone|); null when not measured. */
export function batchFigure(b: BackendReport): ImpactFigure | null {
  const bi = b.batchInvariance;
  if (!bi) return null;
  const value = num(bi.maxAbs);
  return { key: 'batchMaxAbs', label: 'batch inv. max abs', value, shown: fmt(value), ...atMost(value, b.limits?.batchInvariance?.maxAbs) };
}

export function impactFigures(b: BackendReport): ImpactFigure[] {
  const bf = batchFigure(b);
  return [...downstreamFigures(b), ...(bf ? [bf] : [])];
}

/** Backends with anything to show in "Does it matter?". */
export function impactBackends(report: Report): BackendReport[] {
  return report.backends.filter((b) => b.downstream || b.batchInvariance);
}

/** "information only" when no limit applies to a measured figure; otherwise how many limits hold. */
export function limitSummary(b: BackendReport): { text: string; tone: 'info' | 'good' | 'bad' } {
  const limited = impactFigures(b).filter((f) => f.limit !== undefined);
  if (!limited.length) return { text: 'information only', tone: 'info' };
  const failed = limited.filter((f) => f.fails).length;
  if (!failed) return { text: `${limited.length === 1 ? 'limit holds' : `all ${limited.length} limits hold`}`, tone: 'good' };
  return { text: `${failed} of ${limited.length} limit${limited.length === 1 ? '' : 's'} failed`, tone: 'bad' };
}

/** The corpus text of `row` when that row really is `id` (a merged report may index another row set). */
export function textOfRow(report: Report, row: number, id?: string): string | undefined {
  if (id !== undefined && report.corpus.ids[row] !== id) return undefined;
  return report.corpus.texts?.[row];
}

export function idOfRow(report: Report, row: number): string {
  return report.corpus.ids[row] ?? `row ${row}`;
}

/** "tokens" or "characters", singular for 1. */
export function lengthWord(unit: string | undefined, length: number | undefined): string {
  const word = unit === 'characters' ? 'character' : 'token';
  return length === 1 ? word : `${word}s`;
}

/**
 * Which similarity ranked the neighbours, and where it came from; then, for golden vectors that are
 * not unit-norm, how far the golden's own dot-product and Euclidean rankings disagree (the metric,
 * not any backend, moves those neighbours). Null when no backend measured downstream impact.
 */
export function similarityNote(report: Report): string | null {
  const d = report.backends.find((b) => b.downstream)?.downstream;
  if (!d) return null;
  const name = d.similarity ?? 'cosine';
  const from = d.similaritySource === 'checks.similarity' ? 'the config\'s checks.similarity' : d.similaritySource === 'config_sentence_transformers.json' ? 'the model\'s similarity_fn_name' : 'the default';
  const parts = [`neighbours ranked by ${name} similarity (${from})`];
  const g = d.goldenDotVsEuclidean;
  if (g) {
    parts.push(
      `the golden's vectors are not unit-norm (max |‖g‖ − 1| ${fmt(num(g.maxNormDeviation))}), so the metric alone changes rankings: ` +
        `on the golden itself, dot product vs Euclidean keep ${keptPct(num(g.top1Overlap))} of top-1 and ${keptPct(num(g.top10Overlap))} of top-10 neighbours, ` +
        `spearman ${spearmanText(num(g.spearman))}, ${num(g.rankFlips)} rank flips`,
    );
  }
  return parts.join('; ');
}
