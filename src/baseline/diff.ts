/**
 * The diff of two reports of the same check: for every backend in either run, its status, the growth
 * of each metric, how far its vectors moved (measured elsewhere and passed in) and the environment
 * that could explain it; then which drift limits the change breaks. Pure: reports in, data out.
 */
import type { Moves } from '../compare/moved.js';
import type { DriftLimits } from '../config/checks.js';
import { describeValue, fmt } from '../report/format.js';
import type { BackendReport, Report } from '../report/report.js';
import type { BackendDrift, BaselineDiff, EnvironmentChange, MetricChange } from './diff-types.js';
import { DRIFT_METRIC_LABEL, DRIFT_METRICS, growth } from './drift-metrics.js';

/** Text ids kept in the diff per side (the count is always exact). */
const IDS_KEPT = 20;

/** A backend's vectors compared across the runs, or why they were not. */
export type MovesOutcome = Moves | { notCompared: string };

export function diffReports(before: Report, after: Report, baselinePath: string, moves: ReadonlyMap<string, MovesOutcome> = new Map()): BaselineDiff {
  const old = new Map(before.backends.map((b) => [b.name, b]));
  const now = new Set(after.backends.map((b) => b.name));
  const backends: BackendDrift[] = [
    ...after.backends.map((b) => backendDrift(old.get(b.name) ?? null, b, moves.get(b.name))),
    ...before.backends.filter((b) => !now.has(b.name)).map((b) => backendDrift(b, null, undefined)),
  ];
  const beforeIds = new Set(before.corpus.ids);
  const afterIds = new Set(after.corpus.ids);
  const only = (ids: readonly string[], other: Set<string>) => {
    const list = ids.filter((id) => !other.has(id));
    return { count: list.length, ids: list.slice(0, IDS_KEPT) };
  };
  return {
    baseline: { path: baselinePath, createdAt: before.createdAt, verdict: before.verdict, version: before.tool?.version ?? null },
    backends,
    texts: { onlyInBaseline: only(before.corpus.ids, afterIds), onlyInCurrent: only(after.corpus.ids, beforeIds) },
    environment: changes(runEnvironment(before), runEnvironment(after)),
  };
}

function backendDrift(before: BackendReport | null, after: BackendReport | null, moved: MovesOutcome | undefined): BackendDrift {
  const b = (after ?? before)!;
  const limits = after?.limits?.drift;
  const metrics: MetricChange[] = [];
  if (before?.metrics && after?.metrics) {
    for (const m of DRIFT_METRICS) {
      const x = m.of(before);
      const y = m.of(after);
      if (x !== undefined && y !== undefined) metrics.push({ key: m.key, before: x, after: y, growth: growth(x, y) });
    }
  }
  const moves = moved && !('notCompared' in moved) ? moved : null;
  const drift: BackendDrift = {
    name: b.name,
    in: before && after ? 'both' : before ? 'baseline' : 'current',
    statusBefore: before?.status ?? null,
    statusAfter: after?.status ?? null,
    metrics,
    moves,
    ...(moved && 'notCompared' in moved ? { movesNotCompared: moved.notCompared } : {}),
    environment: before && after ? changes(backendEnvironment(before), backendEnvironment(after)) : [],
    ...(limits ? { limits } : {}),
    exceeded: [],
  };
  drift.exceeded = exceededLimits(drift, limits);
  return drift;
}

/** One line per drift limit the change breaks (none without limits: drift is then information only). */
export function exceededLimits(d: Pick<BackendDrift, 'metrics' | 'moves'>, limits: DriftLimits | undefined): string[] {
  if (!limits) return [];
  const out: string[] = [];
  if (limits.maxGrowth !== undefined) {
    for (const m of d.metrics) {
      if (m.growth > limits.maxGrowth) out.push(`drift: ${metricChangeText(m)} since the baseline (maxGrowth ${limits.maxGrowth}×)`);
    }
  }
  if (limits.maxMoved !== undefined && d.moves && d.moves.moved > limits.maxMoved) {
    out.push(`drift: ${movesText(d.moves)} since the baseline (maxMoved ${limits.maxMoved})`);
  }
  return out;
}

/** "max abs 3.1e-4 → 9.8e-4 (3.16×)". */
export function metricChangeText(m: MetricChange): string {
  return `${DRIFT_METRIC_LABEL[m.key] ?? m.key} ${fmt(m.before)} → ${fmt(m.after)} (${growthText(m)})`;
}

/** "3.16×", "unchanged", "from 0", "now NaN", "0.5×". */
export function growthText(m: Pick<MetricChange, 'before' | 'after' | 'growth'>): string {
  if (m.growth === 1) return 'unchanged';
  if (m.growth === Infinity) return Number.isNaN(m.after) ? 'now NaN' : 'from 0';
  return `${fmt(m.growth)}×`;
}

/** "412 of 18,496 elements moved, the largest by 3e-7 ('long-1' dim 17)", or "no element moved". */
export function movesText(m: Moves): string {
  if (m.moved === 0) return `no element moved (${m.compared.toLocaleString('en-US')} compared)`;
  const at = m.maxMoveAt ? ` ('${m.maxMoveAt.id}' dim ${m.maxMoveAt.dim})` : '';
  return `${m.moved.toLocaleString('en-US')} of ${m.compared.toLocaleString('en-US')} elements moved, the largest by ${fmt(m.maxMove)}${at}`;
}

/** A backend's environment, runtime, precision and tolerance as dotted keys → text. */
export function backendEnvironment(b: BackendReport): Map<string, string> {
  const out = new Map<string, string>([
    ['runtime', b.runtime],
    ['precision', b.precision],
  ]);
  flatten(b.environment ?? {}, '', out);
  flatten((b.tolerance ?? {}) as unknown as Record<string, unknown>, 'tolerance.', out);
  return out;
}

/** What a whole run depended on: package versions, model file hashes, corpus, golden. */
export function runEnvironment(r: Report): Map<string, string> {
  const out = new Map<string, string>();
  flatten(r.packages ?? {}, 'packages.', out);
  flatten(r.model?.files ?? {}, 'model files.', out);
  out.set('corpus.sha256', r.corpus.sha256);
  out.set('golden.path', r.golden.path);
  if (r.golden.createdAt) out.set('golden.createdAt', r.golden.createdAt);
  return out;
}

/** Nested objects become dotted keys; arrays and scalars are one value each. */
function flatten(o: Record<string, unknown>, prefix: string, out: Map<string, string>): void {
  for (const [k, v] of Object.entries(o)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, `${prefix}${k}.`, out);
    else out.set(`${prefix}${k}`, describeValue(v));
  }
}

/** Every key whose value differs, in first-seen order (a key missing on one side is null there). */
export function changes(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): EnvironmentChange[] {
  const keys = [...new Set([...before.keys(), ...after.keys()])];
  return keys.filter((k) => before.get(k) !== after.get(k)).map((k) => ({ key: k, before: before.get(k) ?? null, after: after.get(k) ?? null }));
}
