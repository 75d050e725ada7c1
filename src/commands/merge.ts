/**
 * `parity merge DIR...`: combines the reports of `parity run --shard i/n` into the report a single
 * run would have written. Metrics are not averaged from shard summaries (a max of means is wrong,
 * downstream neighbours need all vectors): each backend's full matrix is reassembled from the
 * shards' saved vectors in corpus order and evaluated once by src/evaluate/ (the same code as `run`).
 */
import { diagnosisEvidence } from '../diagnose/evidence.js';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Matrix } from '../numeric/matrix.js';
import { pairwiseMaxAbs } from '../compare/pairwise.js';
import { describeCause, InputError } from '../errors.js';
import { checkBaselineOutside, readBaseline, withBaseline } from '../baseline/apply.js';
import { changes, runEnvironment } from '../baseline/diff.js';
import type { EnvironmentChange } from '../baseline/diff-types.js';
import { loadConfig, type BackendConfig, type ParityConfig } from '../config/config.js';
import { attachWhereItStarts, heldSpecs, wantsWhereItStarts } from '../run/where-it-starts.js';
import { checkGoldenMatchesChoices, checkGoldenMatchesCorpus, readGolden } from '../golden/golden.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { displayPath } from '../io/display-path.js';
import { corpusHash, loadCorpus } from '../corpus/corpus.js';
import { encodeNpy, readNpy } from '../npy/npy.js';
import { REPORT_FILES, writeReportFiles } from '../report/write-all.js';
import { readReport } from '../report/read-report.js';
import type { BackendReport, Report } from '../report/report.js';
import { backendBase } from '../evaluate/backend-report.js';
import { evaluateBackend, runReport, type EvaluationContext } from '../evaluate/evaluate.js';
import { rankingSimilarity, type RankingSimilarity } from '../evaluate/checks.js';
import type { SimilarityName } from '../numeric/similarity.js';
import { textFacts } from '../evaluate/text-facts.js';
import { ModelContexts } from '../tokenize/model-context.js';
import { corpusSection, goldenSection, identityFromReport, identityRecord, modelContext, watchSection, type RunIdentity } from '../run/identity.js';

/** A shard's batch-invariance result with every row number turned into a corpus row. */
function inCorpusRows(bi: NonNullable<BackendReport['batchInvariance']>, rows: readonly number[]): NonNullable<BackendReport['batchInvariance']> {
  const row = (r: number) => rows[r] ?? r;
  return {
    ...bi,
    sampleRows: bi.sampleRows.map(row),
    perText: bi.perText.map((t) => ({ ...t, row: row(t.row) })),
    worstText: bi.worstText ? { ...bi.worstText, row: row(bi.worstText.row) } : null,
    longest: { ...bi.longest, row: row(bi.longest.row) },
  };
}

export interface MergeOptions {
  out: string;
  /** Golden to compare against; default: the one the shard reports name. */
  golden?: string;
  /** Corpus file, needed only when the shard reports hold ids without texts (large corpora). */
  corpus?: string;
  strict?: boolean;
  command?: string[];
  /** A previous run's report folder or report.json, as `run --baseline`: the report says what changed since, drift limits apply. */
  baseline?: string;
}

interface ShardReport {
  dir: string;
  report: Report;
  shard: { index: number; count: number; rows: number[] };
}

function readShardReport(dir: string): ShardReport {
  const path = join(resolve(dir), 'report.json');
  if (!existsSync(path)) throw new InputError(`${path} does not exist: pass the --out folders of \`parity run --shard i/n\``);
  const report = readReport(path);
  const shard = report.corpus?.shard;
  if (!shard) throw new InputError(`${path} is not a shard report (it was not made with --shard i/n)`);
  return { dir: resolve(dir), report, shard };
}

export async function mergeShardReports(dirs: readonly string[], options: MergeOptions): Promise<{ report: Report; reportPath: string }> {
  if (dirs.length === 0) throw new InputError('parity merge needs the report folders of every shard');
  const shards = dirs.map(readShardReport).sort((a, b) => a.shard.index - b.shard.index);
  const first = shards[0].report;
  const count = shards[0].shard.count;
  const problems: string[] = [];
  for (const s of shards) {
    if (s.shard.count !== count) problems.push(`${s.dir} is shard ${s.shard.index}/${s.shard.count}, others are of ${count}`);
    if (s.report.corpus.sha256 !== first.corpus.sha256) problems.push(`${s.dir} was run on a different corpus (sha256 ${s.report.corpus.sha256.slice(0, 12)}…)`);
    // Other weights are another model, whatever the rest of the identity says.
    const files = runChanges(first, s.report, 'model files.').map((c) => c.key);
    if (files.length) problems.push(`${s.dir} was run on other model files (${files.join(', ')}) than shard ${shards[0].shard.index}`);
  }
  const seen = shards.map((s) => s.shard.index);
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.includes(i));
  const duplicate = seen.filter((i, k) => seen.indexOf(i) !== k);
  if (missing.length) problems.push(`missing shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')}`);
  if (duplicate.length) problems.push(`shard ${duplicate.join(', ')} given twice`);
  // One run identity, rebuilt from the record: shards made with another prompt, truncateDim,
  // batching, watch or checks are parts of different runs.
  const identity = identityFromReport(first);
  const recorded = JSON.stringify(identity);
  for (const s of shards) {
    const other = identityFromReport(s.report);
    if (JSON.stringify(other) !== recorded) {
      const differs = (Object.keys(identity) as (keyof RunIdentity)[]).filter((k) => JSON.stringify(identity[k]) !== JSON.stringify(other[k]));
      problems.push(`${s.dir} was run with another ${differs.join(', ')} than shard ${shards[0].shard.index}`);
    }
  }
  if (problems.length) throw new InputError(`cannot merge: ${problems.join('; ')}`);

  // Corpus order: every shard knows which corpus rows it holds.
  const total = first.corpus.count;
  const ids = new Array<string>(total);
  let texts = new Array<string>(total);
  for (const s of shards) {
    s.shard.rows.forEach((row, k) => {
      ids[row] = s.report.corpus.ids[k];
      texts[row] = s.report.corpus.texts?.[k] ?? '';
    });
  }
  if (!shards.every((s) => s.report.corpus.texts)) {
    // Large shards keep ids only: take the texts from the corpus file the shards name.
    const corpus = loadCorpus(resolve(options.corpus ?? first.corpus.path));
    if (corpus.sha256 !== first.corpus.sha256) {
      throw new InputError(`cannot merge: ${corpus.path} is not the corpus the shards ran on (sha256 differs); pass the right one with --corpus`);
    }
    texts = corpus.texts;
  }
  if (corpusHash(ids, texts) !== first.corpus.sha256) {
    throw new InputError('cannot merge: the shards together do not reproduce the corpus (hash differs) — were they made with the same --shard count?');
  }

  const golden = readGolden(resolve(options.golden ?? first.golden.path));
  checkGoldenMatchesCorpus(golden, { path: first.corpus.path, ids, texts, sha256: first.corpus.sha256 });
  checkGoldenMatchesChoices(golden, identity.embedding.promptName === null ? null : { name: identity.embedding.promptName }, identity.embedding.truncateDim);

  const outDir = resolve(options.out);
  const baseline = options.baseline === undefined ? null : readBaseline(options.baseline);
  if (baseline) checkBaselineOutside(baseline, outDir);
  // The same evaluation as a single run: the tokenizer context of the run's identity (its prompt
  // included), sizes and batching from the record.
  const settings = identity.checks;
  const context = await modelContext(identity, new ModelContexts()).catch(() => null);
  const tokenizer = context?.tokenizer ?? null;
  const warnings = [...new Set(shards.flatMap((s) => s.report.warnings))];
  // Shards on machines with other package versions are still one corpus and one model, but the
  // merged report records shard 1's versions only: say which differ.
  for (const s of shards.slice(1)) {
    const packages = runChanges(first, s.report, 'packages.');
    if (packages.length) {
      warnings.push(`${s.dir} ran with other package versions than shard ${shards[0].shard.index}: ${packages.map((c) => `${c.key} ${c.before ?? '(none)'} vs ${c.after ?? '(none)'}`).join(', ')}; the report records shard ${shards[0].shard.index}'s`);
    }
  }
  const facts = textFacts(tokenizer, texts, ids, first.batching ? identity.batching : null);
  const evaluation: EvaluationContext = {
    outDir,
    golden: { path: golden.path, dim: golden.vectors.dim, rowOf: (k) => k },
    facts,
    // As `run` does: the same evidence, so a merged report's diagnoses are the single run's.
    evidence: diagnosisEvidence(context?.model ?? null, tokenizer, texts, facts.batchTokens),
    settings,
    similarity: shardSimilarity(first.backends, settings),
    warnings,
  };
  const produced: { name: string; vectors: Matrix }[] = [{ name: 'golden', vectors: golden.vectors }];
  const backends: BackendReport[] = first.backends.map((b0) => {
    const parts = shards.map((s) => ({ s, b: s.report.backends.find((b) => b.name === b0.name) }));
    const base = backendBase(b0, { ...b0.environment, mergedFromShards: count });
    const absent = parts.filter((p) => !p.b || !p.b.vectors);
    if (absent.length) {
      const status = absent.some((p) => !p.b || p.b.status === 'error') ? 'error' : 'skipped';
      const why = absent.map((p) => `shard ${p.s.shard.index}/${count}: ${p.b ? `${p.b.status}: ${p.b.reason}` : 'backend not run'}`);
      return evaluateBackend(evaluation, base, { kind: status, reason: why.join('; ') }, null);
    }
    let vectors: Matrix | null = null;
    let embedMs = 0;
    let openMs = 0;
    for (const { s, b } of parts) {
      const m = readNpy(join(s.dir, b!.vectors!));
      if (m.rows !== s.shard.rows.length) throw new InputError(`${join(s.dir, b!.vectors!)} has ${m.rows} rows, shard ${s.shard.index} holds ${s.shard.rows.length}`);
      vectors ??= { rows: total, dim: m.dim, data: m.data instanceof Float64Array ? new Float64Array(total * m.dim) : new Float32Array(total * m.dim) };
      if (m.dim !== vectors.dim) throw new InputError(`${b0.name}: shard ${s.shard.index} has ${m.dim} dims, shard 1 has ${vectors.dim}`);
      s.shard.rows.forEach((row, k) => vectors!.data.set(m.data.subarray(k * m.dim, (k + 1) * m.dim), row * m.dim));
      embedMs += b!.timing?.embedMs ?? 0;
      openMs = Math.max(openMs, b!.timing?.openMs ?? 0);
    }
    const vectorsFile = join('vectors', `${b0.name}.npy`);
    writeFileAtomic(join(outDir, vectorsFile), encodeNpy(vectors!));
    produced.push({ name: b0.name, vectors: vectors! });
    const timing = { openMs, embedMs, textsPerSecond: embedMs > 0 ? (total * 1000) / embedMs : 0 };
    // Batch invariance was measured per shard on different texts: keep the worst shard's, with its
    // rows mapped from that shard's numbering to the corpus's.
    const worst = parts
      .filter((p) => p.b!.batchInvariance)
      .sort((x, y) => y.b!.batchInvariance!.maxAbs - x.b!.batchInvariance!.maxAbs)[0];
    const batchInvariance = worst ? inCorpusRows(worst.b!.batchInvariance!, worst.s.shard.rows) : null;
    return evaluateBackend(evaluation, base, { kind: 'vectors', vectorsFile, batchInvariance }, timing);
  });

  // Where it starts, as `run` attaches it: the same function, on the merged entries (whose worst rows
  // are corpus rows, as a single run's), with the backends as the shards' run held them.
  if (backends.some(wantsWhereItStarts)) {
    const specs = runSpecs(first, identity);
    if (typeof specs === 'string') warnings.push(`where it starts not looked for: ${specs}`);
    else await attachWhereItStarts(backends, specs, texts, ids, tokenizer, context?.model.config.num_hidden_layers, warnings);
  }

  // Shard 1's own run time and its diff against a baseline describe shard 1, not the merged run.
  const { schemaVersion: _v, tool: _t, createdAt: _c, verdict: _verdict, watch: _w, timing: _time, baseline: _b, ...firstParts } = first;
  const judged: Report = runReport(
    {
      ...firstParts,
      command: options.command ?? [],
      corpus: corpusSection(first.corpus, ids, texts, settings),
      golden: goldenSection(golden),
      backends,
      pairwise: pairwiseMaxAbs(produced),
      warnings,
      ...(first.batching ? identityRecord(identity) : { embedding: identity.embedding }),
      // Read from the merged vectors, as a single run reads its own.
      ...watchSection(identity, ids, golden.path, (k) => k, outDir, backends),
    },
    { strict: options.strict },
  );
  // As `run --baseline`: the diff against the merged vectors, drift limits applied.
  const report = baseline ? withBaseline(judged, outDir, baseline, { strict: options.strict }) : judged;
  writeReportFiles(report, outDir);
  const reportPath = join(outDir, REPORT_FILES.json);
  return { report, reportPath: displayPath(reportPath) };
}

/**
 * The configured backends as the shards' run held them (run/where-it-starts.ts, heldSpecs): the
 * config the shards name, each backend they ran with the tolerance they recorded (an --atol/--rtol
 * override included) and the run's embedding choices. A report records no runtime options (model
 * file, device), so they come from that config: when it is gone or no longer describes the shards'
 * run (another model, a backend renamed or of another runtime), the reason instead.
 */
function runSpecs(first: Report, identity: RunIdentity): BackendConfig[] | string {
  if (!first.config) return 'the shard reports name no config file';
  const path = resolve(first.config);
  if (!existsSync(path)) return `the config the shards ran with, ${first.config}, is not there (run \`parity merge\` from the folder the shards ran in)`;
  let config: ParityConfig;
  try {
    config = loadConfig(path);
  } catch (error) {
    return `cannot read ${first.config}: ${describeCause(error)}`;
  }
  if (identity.modelDir && resolve(config.model) !== identity.modelDir) return `${first.config} now names model ${displayPath(config.model)}, the shards ran ${displayPath(identity.modelDir)}`;
  const selected: BackendConfig[] = [];
  for (const b of first.backends) {
    const spec = config.backends.find((c) => c.name === b.name);
    if (!spec || spec.runtime !== b.runtime) return `${first.config} has no backend "${b.name}" of runtime ${b.runtime} any more`;
    selected.push({ ...spec, tolerance: b.tolerance, embedding: identity.embedding });
  }
  return heldSpecs(config.backends, selected);
}

/** The similarity the shards ranked by (all shards share one config and model), as their reports say. */
function shardSimilarity(backends: readonly BackendReport[], settings: { similarity?: SimilarityName }): RankingSimilarity {
  const ranked = backends.find((b) => b.downstream?.similarity)?.downstream;
  if (ranked?.similarity) return { name: ranked.similarity, source: ranked.similaritySource ?? 'default' };
  return rankingSimilarity(settings.similarity, null);
}
/** What differs between two runs' environments (the baseline diff's runEnvironment) under one prefix, the prefix cut off. */
function runChanges(a: Report, b: Report, prefix: string): EnvironmentChange[] {
  return changes(runEnvironment(a), runEnvironment(b))
    .filter((c) => c.key.startsWith(prefix))
    .map((c) => ({ ...c, key: c.key.slice(prefix.length) }));
}
