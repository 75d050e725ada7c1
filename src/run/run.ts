/**
 * `parity run`: corpus → tokenizer → backend runners → vectors → comparator → report.
 * Data flows one way; this file only wires the stages together and never computes a metric itself.
 */
import { join, resolve } from 'node:path';
import { displayPath } from '../io/display-path.js';
import type { Matrix } from '../backends/backend.js';
import { createBackends } from '../backends/registry.js';
import { pairwiseMaxAbs } from '../compare/pairwise.js';
import { loadConfig, selectBackends, type BackendConfig } from '../config/config.js';
import { loadCorpus } from '../corpus/corpus.js';
import { checkGoldenMatchesCorpus, readGolden } from '../golden/golden.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { modelFileHashes } from '../model/model-files.js';
import { encodeNpy } from '../npy/npy.js';
import { reportToJson } from '../report/json.js';
import { overallVerdict, REPORT_SCHEMA_VERSION, type BackendReport, type Report } from '../report/report.js';
import { packageVersions, parityVersion } from '../versions.js';
import { embedWithBackend, type EmbedOutcome } from './embed-with-backend.js';
import { WorkerPool, workerScript } from './isolated.js';
import { judgeBackend, unrunBackend, type BackendBase } from './backend-report.js';
import { selectRows, shardRows, type Shard } from './shard.js';
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
  /** Embed and compare only this shard of the corpus (`--shard 2/4`). */
  shard?: Shard;
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
  // A shard embeds and compares only its rows; everything downstream sees just those rows.
  const rows = options.shard ? shardRows(corpus.texts.length, options.shard, config.batchSize) : null;
  const texts = rows ? rows.map((r) => corpus.texts[r]) : corpus.texts;
  const ids = rows ? rows.map((r) => corpus.ids[r]) : corpus.ids;
  const goldenRows = rows ? selectRows(golden.vectors, rows) : golden.vectors;
  const produced: { name: string; vectors: Matrix }[] = [{ name: 'golden', vectors: goldenRows }];
  const embed = embedder(config.isolation, contexts, warnings);
  try {
    for (const spec of selected) {
      const outcome = await embed.run(spec, texts, config.batchSize);
      const base: BackendBase = {
        name: spec.name,
        runtime: spec.runtime,
        precision: spec.precision,
        ...(spec.note ? { note: spec.note } : {}),
        ...(spec.expect ? { expect: spec.expect } : {}),
        tolerance: spec.tolerance,
        environment: outcome.environment,
      };
      let report: BackendReport;
      if (outcome.status === 'ok') {
        const vectorsFile = join('vectors', `${spec.name}.npy`);
        writeFileAtomic(join(outDir, vectorsFile), encodeNpy(outcome.vectors));
        report = judgeBackend(base, outcome.vectors, goldenRows, ids, outcome.timing, vectorsFile);
        produced.push({ name: spec.name, vectors: outcome.vectors });
      } else {
        report = unrunBackend(base, outcome.status, outcome.reason);
      }
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
    corpus: {
      path: displayPath(corpus.path),
      sha256: corpus.sha256,
      count: corpus.texts.length,
      ids,
      texts,
      ...(rows && options.shard ? { shard: { ...options.shard, rows } } : {}),
    },
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

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
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
