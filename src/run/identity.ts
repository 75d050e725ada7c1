/**
 * A run's identity: what makes a run what it is, built once here and recorded in report.json, so
 * that `run`, `merge`, `sweep` and `golden` agree on it and `merge` rebuilds it from the record:
 * - the embedding choices (prompt, truncateDim), resolved against the model folder;
 * - batching (texts per batch, texts per streamed block);
 * - the tokenizer context (model description and harness tokenizer for those choices);
 * - the watch specs and the checks' sizes;
 * - the model, corpus and golden sections of the report.
 * A merge that loaded the tokenizer without the run's prompt, or copied a shard's `watch`, would
 * describe another run than the one whose vectors it holds.
 */
import { join, resolve } from 'node:path';
import type { ChecksConfig } from '../config/checks.js';
import { DEFAULT_CHECKS } from '../config/checks.js';
import type { ParityConfig } from '../config/config.js';
import { readWatched } from '../evaluate/watch.js';
import type { WatchSpec } from '../config/watch.js';
import type { GoldenInfo } from '../golden/golden.js';
import { displayPath } from '../io/display-path.js';
import type { ModelContext, ModelContexts } from '../tokenize/model-context.js';
import { loadModelInfo, resolvedEmbedding, type ResolvedEmbedding } from '../model/model-folder.js';
import type { Report } from '../report/report.js';
import { blockTextsFor } from './shard.js';

export interface RunIdentity {
  /** Absolute model folder (the config's `model`); null when a report recorded no model. */
  modelDir: string | null;
  embedding: ResolvedEmbedding;
  batching: { batchSize: number; blockTexts: number };
  watch: WatchSpec[];
  checks: ChecksConfig;
}

/**
 * From the config, with `--prompt-name` when given ("" or null: no prompt). A prompt name the model
 * does not have is one clear InputError here, before anything runs.
 */
export function identityFromConfig(config: ParityConfig, overrides: { promptName?: string | null } = {}): RunIdentity {
  const choices = overrides.promptName === undefined ? config.embedding : { ...config.embedding, promptName: overrides.promptName };
  return {
    modelDir: config.model,
    embedding: resolvedEmbedding(loadModelInfo(config.model, choices)),
    batching: { batchSize: config.batchSize, blockTexts: blockTextsFor(config.batchSize, config.blockTexts) },
    watch: config.watch,
    checks: config.checks,
  };
}

/**
 * From report.json's record (`embedding`, `batching`, `checks`, `watch`, `model.dir`). Reports
 * written before `embedding` was recorded give it from `model.prompt` and `model.truncateDim`.
 */
export function identityFromReport(report: Report): RunIdentity {
  const model = report.model;
  return {
    // Report paths are relative to the working folder of the run; merge runs from the same one.
    modelDir: model ? resolve(model.dir) : null,
    embedding: report.embedding ?? { promptName: model?.prompt?.name ?? null, truncateDim: model?.truncateDim ?? null },
    batching: report.batching ?? { batchSize: 0, blockTexts: 0 },
    watch: (report.watch ?? []).map(({ id, dim }) => ({ id, dim })),
    checks: { ...DEFAULT_CHECKS, ...report.checks },
  };
}

/** The tokenizer context of this identity: the model folder loaded with its embedding choices. */
export function modelContext(identity: RunIdentity, contexts: ModelContexts): Promise<ModelContext> {
  if (!identity.modelDir) return Promise.reject(new Error('the run recorded no model'));
  return contexts.get(identity.modelDir, identity.embedding);
}

/** What report.json records of the identity beside the sections below. */
export function identityRecord(identity: RunIdentity): Pick<Report, 'embedding' | 'batching' | 'checks'> {
  return { embedding: identity.embedding, batching: identity.batching, checks: identity.checks };
}

/** report.json's `model`: what the harness tokenizer and pooling were for this run; null without a context. */
export function modelSection(ctx: ModelContext | null, dir: string, files: Record<string, string>, hub?: { id: string; revision: string } | null): Report['model'] {
  if (!ctx) return null;
  return {
    dir: displayPath(dir),
    files,
    pooling: ctx.model.pooling.mode,
    normalize: ctx.model.pooling.normalize,
    maxSeqLength: ctx.model.maxSeqLength,
    tokenizer: ctx.tokenizer.description,
    prompt: ctx.model.prompt,
    includePrompt: ctx.model.pooling.includePrompt,
    truncateDim: ctx.model.truncateDim,
    // A model id resolved in the Hugging Face cache: which id and snapshot revision this was.
    ...(hub ? { hub: { id: hub.id, revision: hub.revision } } : {}),
  };
}

/**
 * report.json's `watch`: each watched element read from the golden and from the vectors files the
 * backends wrote into `outDir` (absent when nothing is watched). `ids` are the report's rows;
 * `goldenRowOf` maps one to its golden row.
 */
export function watchSection(
  identity: RunIdentity,
  ids: readonly string[],
  goldenPath: string,
  goldenRowOf: (row: number) => number,
  outDir: string,
  backends: ReadonlyArray<{ name: string; vectors: string | null }>,
): Pick<Report, 'watch'> {
  if (!identity.watch.length) return {};
  const vectors = backends.filter((b) => b.vectors).map((b) => ({ name: b.name, path: join(outDir, b.vectors!) }));
  return { watch: readWatched(identity.watch, ids, goldenPath, goldenRowOf, vectors) };
}

/** report.json's `golden`. */
export function goldenSection(golden: GoldenInfo): Report['golden'] {
  return {
    path: displayPath(golden.path),
    dtype: golden.dtype,
    shape: [golden.rows, golden.dim],
    backend: golden.meta?.backend.name ?? null,
    createdAt: golden.meta?.createdAt ?? null,
  };
}

/**
 * report.json's `corpus` for these rows: texts only while the report stays attachable (at most
 * checks.reportRows rows), `shard` when the run compared one.
 */
export function corpusSection(
  corpus: { path: string; sha256: string; count: number },
  ids: string[],
  texts: readonly string[],
  checks: ChecksConfig,
  shard?: { index: number; count: number; rows: number[] },
): Report['corpus'] {
  return {
    path: displayPath(corpus.path),
    sha256: corpus.sha256,
    count: corpus.count,
    ids,
    ...(texts.length <= checks.reportRows ? { texts: [...texts] } : {}),
    ...(shard ? { shard } : {}),
  };
}
