/**
 * The one path from vectors on disk to reports: `run` (vectors written block by block, compared as
 * they came) and `merge` (vectors reassembled from shards) both hand each backend's outcome here and
 * get its report entry, then the run's report. Everything a report says about a backend — the
 * comparison, downstream impact on the same seeded sample, diagnoses, limits, the expected failure —
 * is decided here, so a merged report is a single run's. Never imports run/ or backends/.
 */
import { join } from 'node:path';
import type { BatchInvarianceResult } from '../compare/batch-invariance.js';
import { ComparisonAccumulator } from '../compare/accumulator.js';
import type { Comparison } from '../compare/metric-types.js';
import { compareMatrices } from '../compare/metrics.js';
import type { ChecksConfig } from '../config/checks.js';
import { NpyRowReader } from '../npy/npy-reader.js';
import { overallVerdict, REPORT_SCHEMA_VERSION, type BackendReport, type Report } from '../report/report.js';
import { parityVersion } from '../versions.js';
import { judgeComparison, unrunBackend, type BackendBase } from './backend-report.js';
import { downstreamAndDiagnosis, type RankingSimilarity } from './checks.js';
import type { TextFacts } from './expectation.js';
import type { DiagnosisEvidence } from './checks.js';

/** What every backend of one run (or merge) is evaluated against. */
export interface EvaluationContext {
  /** The report folder; vectors files are relative to it. */
  outDir: string;
  golden: { path: string; dim: number; rowOf: (k: number) => number };
  /** Texts of the run (a shard's rows, or the whole corpus), with their facts. */
  facts: TextFacts;
  settings: ChecksConfig;
  /** What downstream impact ranks by (rankingSimilarity: checks.similarity, the model's, or cosine). */
  similarity: RankingSimilarity;
  /** Problems that do not fail a backend (a check that could not be measured) land here. */
  warnings: string[];
  /**
   * Evidence for the diagnoses beyond the vectors, the same in `run` and `merge`: who tokenized for
   * a runtime, and texts re-embedded under suspected faults (diagnose/evidence.ts builds it).
   */
  evidence?: DiagnosisEvidence;
}

export type BackendOutcome =
  | { kind: 'skipped' | 'error'; reason: string }
  /** The backend returned vectors of another width: a failed comparison naming both shapes. */
  | { kind: 'shape'; dim: number }
  | {
      kind: 'vectors';
      /** Relative to the report folder. */
      vectorsFile: string;
      /** The comparison when it was accumulated as the vectors were produced; otherwise made here. */
      comparison?: Comparison;
      batchInvariance: BatchInvarianceResult | null;
    };

/** One backend's report entry. */
export function evaluateBackend(
  ctx: EvaluationContext,
  base: BackendBase,
  outcome: BackendOutcome,
  timing: BackendReport['timing'],
): BackendReport {
  const total = ctx.facts.ids.length;
  if (outcome.kind === 'shape') {
    const empty = (dim: number) => ({ rows: total, dim, data: new Float32Array(0) });
    return judgeComparison(base, compareMatrices(empty(ctx.golden.dim), empty(outcome.dim), base.tolerance, ctx.facts.ids), timing, null, ctx.facts);
  }
  if (outcome.kind !== 'vectors') return unrunBackend(base, outcome.kind, outcome.reason);
  const vectorsPath = join(ctx.outDir, outcome.vectorsFile);
  const compareStarted = performance.now();
  const comparison = outcome.comparison ?? compareOnDisk(vectorsPath, ctx, base.tolerance);
  const compareMs = outcome.comparison ? {} : { compareMs: performance.now() - compareStarted };
  const problems: string[] = [];
  const s = ctx.settings;
  const started = performance.now();
  const { downstream, diagnosis } = downstreamAndDiagnosis(vectorsPath, ctx.golden.path, ctx.golden.rowOf, total, comparison, ctx.facts.lengths, s.downstreamMaxN, problems, ctx.similarity, {
    runtime: base.runtime,
    evidence: ctx.evidence,
  });
  const timed = timing ? { ...timing, ...compareMs, downstreamMs: performance.now() - started } : null;
  ctx.warnings.push(...problems.map((p) => `${base.name}: ${p}`));
  return judgeComparison(base, comparison, timed, outcome.vectorsFile, ctx.facts, { downstream, batchInvariance: outcome.batchInvariance, diagnosis }, s.reportRows);
}

/** Streams a backend's vectors file against the golden's rows, a block at a time. */
function compareOnDisk(vectorsPath: string, ctx: EvaluationContext, tolerance: BackendBase['tolerance']): Comparison {
  const BLOCK = 1024;
  const total = ctx.facts.ids.length;
  const vectors = new NpyRowReader(vectorsPath, { chunkRows: BLOCK });
  const golden = new NpyRowReader(ctx.golden.path, { chunkRows: BLOCK });
  try {
    const dim = vectors.dim;
    if (vectors.info.rows !== total || dim !== ctx.golden.dim) {
      const shape = (d: number) => ({ rows: 0, dim: d, data: new Float32Array(0) });
      const c = compareMatrices({ ...shape(ctx.golden.dim), rows: total }, { ...shape(dim), rows: vectors.info.rows }, tolerance, ctx.facts.ids);
      return c;
    }
    const acc = new ComparisonAccumulator(total, dim, tolerance, ctx.facts.ids);
    const g = golden.info.dtype === '<f8' ? new Float64Array(BLOCK * dim) : new Float32Array(BLOCK * dim);
    for (let start = 0; start < total; start += BLOCK) {
      const n = Math.min(BLOCK, total - start);
      // Golden rows of this block, by runs of consecutive rows.
      for (let k = 0; k < n; ) {
        const first = ctx.golden.rowOf(start + k);
        let run = 1;
        while (k + run < n && ctx.golden.rowOf(start + k + run) === first + run) run++;
        g.set(golden.read(first, run), k * dim);
        k += run;
      }
      acc.add(g.subarray(0, n * dim), vectors.read(start, n), start, n);
    }
    return acc.result();
  } finally {
    vectors.close();
    golden.close();
  }
}

/** The fields of a run's report that its caller knows; evaluation adds the verdict and the stamp. */
export type ReportParts = Omit<Report, 'schemaVersion' | 'tool' | 'createdAt' | 'verdict'>;

/** The run's report from its backends' entries: verdict (strict: xpass fails), schema, tool and time. */
export function runReport(parts: ReportParts, options: { strict?: boolean } = {}): Report {
  const { command, ...rest } = parts;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'parity', version: parityVersion() },
    createdAt: new Date().toISOString(),
    command,
    verdict: overallVerdict(parts.backends, { strict: options.strict }),
    ...rest,
  };
}
