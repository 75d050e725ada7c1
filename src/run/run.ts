/**
 * `parity run`: corpus → tokenizer → backend runners → vectors → comparator → report.
 * Data flows one way; this file only wires the stages together and never computes a metric itself.
 */
import { join, resolve } from 'node:path';
import { displayPath } from '../io/display-path.js';
import type { Matrix } from '../backends/backend.js';
import { createBackends } from '../backends/registry.js';
import { compareMatrices, HISTOGRAM_BINS_PER_DECADE, HISTOGRAM_MIN_LOG10 } from '../compare/metrics.js';
import { pairwiseMaxAbs } from '../compare/pairwise.js';
import { judge } from '../compare/verdict.js';
import { loadConfig, selectBackends, type BackendConfig } from '../config/config.js';
import { loadCorpus } from '../corpus/corpus.js';
import { checkGoldenMatchesCorpus, readGolden } from '../golden/golden.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { modelFileHashes } from '../model/model-files.js';
import { encodeNpy } from '../npy/npy.js';
import { reportToJson } from '../report/json.js';
import { overallVerdict, REPORT_SCHEMA_VERSION, serializeDetails, type BackendReport, type Report } from '../report/report.js';
import { packageVersions, parityVersion } from '../versions.js';
import { embedWithBackend, type EmbedOutcome } from './embed-with-backend.js';
import { WorkerPool, workerScript } from './isolated.js';
import { expectationApplies } from '../config/expectation.js';
import { ModelContexts } from './model-context.js';

export interface RunOptions {
  config?: string;
  backends?: string[];
  corpus?: string;
  golden?: string;
  out: string;
  /** Tolerance overrides from flags, applied to every selected backend. */
  tolerance?: Partial<BackendConfig['tolerance']>;
  command?: string[];
  /** Called as each backend finishes, for progress output. */
  onBackend?: (b: BackendReport) => void;
  /** An expected failure that passes (xpass) fails the run. */
  strict?: boolean;
}

export interface RunResult {
  report: Report;
  reportPath: string;
}

export async function runParity(options: RunOptions): Promise<RunResult> {
  const config = loadConfig(options.config);
  const selected = selectBackends(config, options.backends).map((b) => ({
    ...b,
    tolerance: { ...b.tolerance, ...definedOnly(options.tolerance ?? {}) },
  }));
  const corpus = loadCorpus(options.corpus ? resolve(options.corpus) : config.corpus);
  const golden = readGolden(options.golden ? resolve(options.golden) : config.golden);
  checkGoldenMatchesCorpus(golden, corpus);
  // Resolve every backend up front: a typo in any entry is one error before anything runs.
  createBackends(selected);

  const warnings: string[] = [];
  const contexts = new ModelContexts();
  const outDir = resolve(options.out);
  const modelFiles = modelFileHashes(config.model);
  if (golden.meta) {
    const changed = Object.entries(golden.meta.model.files).filter(([f, h]) => modelFiles[f] !== undefined && modelFiles[f] !== h);
    if (changed.length) {
      warnings.push(`model files changed since the golden was made: ${changed.map(([f]) => f).join(', ')} — regenerate the golden if the weights changed on purpose`);
    }
  }

  const reports: BackendReport[] = [];
  const produced: { name: string; vectors: Matrix }[] = [{ name: 'golden', vectors: golden.vectors }];
  const embed = embedder(config.isolation, contexts, warnings);
  try {
    for (const spec of selected) {
      const outcome = await embed.run(spec, corpus.texts, config.batchSize);
      const base = {
        name: spec.name,
        runtime: spec.runtime,
        precision: spec.precision,
        ...(spec.note ? { note: spec.note } : {}),
        tolerance: spec.tolerance,
        environment: outcome.environment,
      };
      let report: BackendReport;
      if (outcome.status === 'ok') {
        const vectorsFile = join('vectors', `${spec.name}.npy`);
        writeFileAtomic(join(outDir, vectorsFile), encodeNpy(outcome.vectors));
        report = compareBackend(base, outcome.vectors, golden.vectors, corpus.ids, outcome.timing, vectorsFile);
        produced.push({ name: spec.name, vectors: outcome.vectors });
      } else {
        report = {
          ...base,
          status: outcome.status,
          reason: outcome.reason,
          reasons: [outcome.reason],
          message: null,
          metrics: null,
          details: null,
          timing: null,
          vectors: null,
        };
      }
      report = applyExpectation(report, spec);
      reports.push(report);
      options.onBackend?.(report);
    }
  } finally {
    await embed.close();
  }

  const ctx = await contexts.get(config.model).catch(() => null);
  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'parity', version: parityVersion() },
    createdAt: new Date().toISOString(),
    command: options.command ?? [],
    verdict: overallVerdict(reports, { strict: options.strict }),
    config: displayPath(config.path),
    model: ctx
      ? {
          dir: displayPath(config.model),
          files: modelFiles,
          pooling: ctx.model.pooling.mode,
          normalize: ctx.model.pooling.normalize,
          maxSeqLength: ctx.model.maxSeqLength,
          tokenizer: ctx.tokenizer.description,
        }
      : null,
    corpus: { path: displayPath(corpus.path), sha256: corpus.sha256, count: corpus.texts.length, ids: corpus.ids },
    golden: {
      path: displayPath(golden.path),
      dtype: golden.vectors.dtype,
      shape: [golden.vectors.rows, golden.vectors.dim],
      backend: golden.meta?.backend.name ?? null,
      createdAt: golden.meta?.createdAt ?? null,
    },
    backends: reports,
    pairwise: pairwiseMaxAbs(produced),
    warnings,
    packages: packageVersions(),
  };
  const reportPath = join(outDir, 'report.json');
  writeFileAtomic(reportPath, reportToJson(report));
  return { report, reportPath: displayPath(reportPath) };
}

function compareBackend(
  base: Pick<BackendReport, 'name' | 'runtime' | 'precision' | 'note' | 'tolerance' | 'environment'>,
  vectors: Matrix,
  golden: Matrix,
  ids: readonly string[],
  timing: BackendReport['timing'],
  vectorsFile: string,
): BackendReport {
  const { metrics, details } = compareMatrices(golden, vectors, base.tolerance, ids);
  const verdict = judge(metrics, base.tolerance);
  return {
    ...base,
    status: verdict.status,
    reason: verdict.reasons[0] ?? null,
    reasons: verdict.reasons,
    message: verdict.message,
    metrics,
    details: metrics.total ? serializeDetails(details, HISTOGRAM_MIN_LOG10, HISTOGRAM_BINS_PER_DECADE) : null,
    timing,
    vectors: vectorsFile,
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Marks a backend xfail/xpass when the config expects it to fail and the expectation's conditions
 * hold on what the backend recorded. The measured numbers and reasons stay as they are.
 */
export function applyExpectation(report: BackendReport, spec: BackendConfig): BackendReport {
  const e = spec.expect;
  if (!e || (report.status !== 'pass' && report.status !== 'fail') || !expectationApplies(e, report.environment)) return report;
  const expected = { status: e.status, reason: e.reason };
  if (report.status === 'fail') {
    return { ...report, status: 'xfail', expected, reasons: [...report.reasons, `expected failure: ${e.reason}`] };
  }
  const reason = `expected to fail (${e.reason}) but passed — the fix may have landed; remove "expect" from this backend`;
  return { ...report, status: 'xpass', expected, reason, reasons: [reason] };
}

interface Embedder {
  run(spec: BackendConfig, texts: readonly string[], batchSize: number): Promise<EmbedOutcome>;
  close(): Promise<void>;
}

/** Backends run in worker processes (crash/OOM/hang isolation) unless the config says "none". */
function embedder(isolation: 'process' | 'none', contexts: ModelContexts, warnings: string[]): Embedder {
  const script = isolation === 'process' ? workerScript() : null;
  if (script) {
    const pool = new WorkerPool(script);
    return { run: (spec, texts, batchSize) => pool.embed(spec, texts, batchSize), close: () => pool.close() };
  }
  if (isolation === 'process') warnings.push('backends ran in-process: the compiled worker (dist/run/backend-worker.js) is missing; run `npm run build`');
  return {
    run: (spec, texts, batchSize) =>
      embedWithBackend({ backend: createBackends([spec])[0], modelDir: spec.modelDir, texts, batchSize, timeoutMs: spec.timeoutMs, contexts }),
    close: async () => undefined,
  };
}
