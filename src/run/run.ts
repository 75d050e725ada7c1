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
import { embedWithBackend } from './embed-with-backend.js';
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
  const backends = createBackends(selected);

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
  for (let i = 0; i < selected.length; i++) {
    const spec = selected[i];
    const outcome = await embedWithBackend({
      backend: backends[i],
      modelDir: spec.modelDir,
      texts: corpus.texts,
      batchSize: config.batchSize,
      timeoutMs: spec.timeoutMs,
      contexts,
    });
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
    reports.push(report);
    options.onBackend?.(report);
  }

  const ctx = await contexts.get(config.model).catch(() => null);
  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'parity', version: parityVersion() },
    createdAt: new Date().toISOString(),
    command: options.command ?? [],
    verdict: overallVerdict(reports),
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
