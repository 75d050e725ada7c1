/**
 * `parity run`: corpus → tokenizer → backend runners → vectors → comparator → report.
 * This file wires the stages together and never computes a metric itself.
 *
 * The corpus streams through in blocks (`blockTexts` rows, a multiple of the batch size): every open
 * backend embeds a block, its vectors are appended to vectors/NAME.npy.partial and fed to that
 * backend's comparison accumulator, and the run state is saved — so memory is bounded by the block,
 * and an interrupted run continues from the last finished block with --resume. Backends sort texts
 * by length within a block, and shards are whole blocks, so a text's vector does not depend on how
 * the corpus was sharded.
 */
import { join, resolve } from 'node:path';
import type { Matrix } from '../numeric/matrix.js';
import { createBackends } from '../backends/registry.js';
import { ComparisonAccumulator } from '../compare/accumulator.js';
import { PairwiseMaxAbs } from '../compare/pairwise.js';
import { loadConfig, selectBackends, type BackendConfig } from '../config/config.js';
import { loadCorpus } from '../corpus/corpus.js';
import { BackendError } from '../errors.js';
import { checkGoldenMatchesChoices, checkGoldenMatchesCorpus, readGoldenInfo } from '../golden/golden.js';
import { loadModelInfo } from '../model/model-folder.js';
import { NpyRowReader } from '../npy/npy-reader.js';
import { displayPath } from '../io/display-path.js';
import { modelFileHashes } from '../model/model-files.js';
import { NpyAppendWriter } from '../npy/npy-append.js';
import { REPORT_FILES, writeReportFiles, writeReportJson } from '../report/write-all.js';
import type { BackendReport, BackendTiming, Report } from '../report/report.js';
import { packageVersions } from '../versions.js';
import { backendBase } from '../evaluate/backend-report.js';
import { evaluateBackend, runReport, type EvaluationContext } from '../evaluate/evaluate.js';
import { diagnosisEvidence } from '../diagnose/evidence.js';
import { attachWhereItStarts, heldSpecs } from './where-it-starts.js';
import { rankingSimilarity } from '../evaluate/checks.js';
import { textFacts } from '../evaluate/text-facts.js';
import { ModelContexts } from '../tokenize/model-context.js';
import { openSessions, type Isolation } from './sessions.js';
import { clearRunState, loadRunState, saveRunState, type BackendState, type RunState } from './run-state.js';
import type { BackendSession } from './session.js';
import { batchInvarianceFor } from './batch-invariance.js';
import { BlockFolds } from './block-folds.js';
import { defaultJobs, Lanes, threadsPerBackend } from './lanes.js';
import { previousCosts, startRanks } from './start-order.js';
import { workerGroup } from './worker-group.js';
import { shardRows, type Shard } from './shard.js';
import { corpusSection, goldenSection, identityFromConfig, identityRecord, modelContext, modelSection, watchSection } from './identity.js';
import { checkWatch } from '../config/watch.js';
import { checkBaselineOutside, readBaseline, withBaseline } from '../baseline/apply.js';

export interface RunOptions {
  config?: string;
  backends?: string[];
  corpus?: string;
  golden?: string;
  out: string;
  /** Tolerance overrides from flags, applied to every selected backend. */
  tolerance?: Partial<BackendConfig['tolerance']>;
  command?: string[];
  /** Called after each block: texts done by every running backend. */
  onProgress?: (p: { done: number; total: number; running: number }) => void;
  /** An expected failure that passes (xpass) fails the run. */
  strict?: boolean;
  /** Embed and compare only this shard of the corpus (`--shard 2/4`). */
  shard?: Shard;
  /** Continue an interrupted run in the same --out folder. */
  resume?: boolean;
  /** Overrides the config's isolation ("none" runs backends in this process). */
  isolation?: Isolation;
  /** Overrides the config's promptName (`--prompt-name`; "" = no prompt). */
  promptName?: string | null;
  /** A previous run's report folder or report.json: the report says what changed since, drift limits apply. */
  baseline?: string;
  /** How many backends work at once (`--jobs`); overrides the config's `jobs` (lanes.ts). */
  jobs?: number;
}

export interface RunResult {
  report: Report;
  reportPath: string;
}

interface Live {
  spec: BackendConfig;
  session: BackendSession;
  /** What it cannot share with a concurrent task (worker-group.ts). */
  group: string;
  /** Its tasks' priority on the lanes (0 first): start-order.ts. */
  rank: number;
  state: BackendState;
  acc: ComparisonAccumulator | null;
  writer: NpyAppendWriter | null;
  /** Time spent comparing this backend's vectors with the golden's (this process, resumed rows included). */
  compareMs: number;
}

export async function runParity(options: RunOptions): Promise<RunResult> {
  const runStarted = performance.now();
  const config = loadConfig(options.config);
  // The run identity (embedding choices, batching, watch, checks): a bad prompt name is one clear error here.
  const identity = identityFromConfig(config, { promptName: options.promptName });
  const { embedding } = identity;
  const selected = selectBackends(config, options.backends).map((b) => ({
    ...b,
    tolerance: { ...b.tolerance, ...definedOnly(options.tolerance ?? {}) },
    embedding,
  }));
  const corpus = loadCorpus(options.corpus ? resolve(options.corpus) : config.corpus);
  const golden = readGoldenInfo(options.golden ? resolve(options.golden) : config.golden);
  checkGoldenMatchesCorpus(golden, corpus);
  // The prompt and truncate_dim must be the golden's too.
  const modelInfo = loadModelInfo(config.model, embedding);
  checkGoldenMatchesChoices(golden, modelInfo.prompt, modelInfo.truncateDim);
  checkWatch(identity.watch, corpus.ids, golden.dim, config.path);
  // Resolve every backend up front: a typo in any entry is one error before anything runs; so are a
  // `file` backend's vectors made with another prompt or truncateDim (like the golden's, above).
  createBackends(selected).forEach((backend, i) => {
    const dir = selected[i].modelDir;
    backend.checkMadeWith?.(dir === modelInfo.dir ? modelInfo : loadModelInfo(dir, embedding));
  });

  const warnings: string[] = [];
  const contexts = new ModelContexts();
  const outDir = resolve(options.out);
  const baseline = options.baseline === undefined ? null : readBaseline(options.baseline);
  if (baseline) checkBaselineOutside(baseline, outDir);
  const modelFiles = modelFileHashes(config.model);
  if (golden.meta) {
    const changed = Object.entries(golden.meta.model.files).filter(([f, h]) => modelFiles[f] !== undefined && modelFiles[f] !== h);
    if (changed.length) {
      warnings.push(`model files changed since the golden was made: ${changed.map(([f]) => f).join(', ')} — regenerate the golden if the weights changed on purpose`);
    }
  }

  const { batchSize, blockTexts } = identity.batching;
  const rows = options.shard ? shardRows(corpus.texts.length, options.shard, blockTexts) : null;
  const texts = rows ? rows.map((r) => corpus.texts[r]) : corpus.texts;
  const ids = rows ? rows.map((r) => corpus.ids[r]) : corpus.ids;
  // The golden streams too: one block of rows at a time, by positional reads. A block of a shard is
  // one contiguous run of corpus rows (shards are whole blocks).
  const goldenReader = new NpyRowReader(golden.path, { chunkRows: blockTexts });
  const goldenBlock = (start: number, end: number): Matrix => {
    const first = rows ? rows[start] : start;
    if (rows && rows[end - 1] !== first + (end - start - 1)) throw new Error('internal: a shard block is not contiguous');
    return { rows: end - start, dim: golden.dim, data: goldenReader.read(first, end - start).slice() };
  };

  const resumeKey = {
    corpusSha256: corpus.sha256,
    golden: golden.path,
    shard: options.shard ? `${options.shard.index}/${options.shard.count}` : null,
    blockTexts,
    batchSize,
    backends: selected.map((b) => b.name),
    embedding,
  };
  const resumed: RunState | null = options.resume ? loadRunState(outDir, resumeKey) : null;
  const state: RunState = resumed ?? { version: 1, ...resumeKey, completedRows: 0, perBackend: {} };

  const sessions = openSessions(options.isolation ?? config.isolation, contexts, batchSize, warnings);
  const jobs = options.jobs ?? config.jobs ?? defaultJobs(sessions.isolation);
  const lanes = new Lanes(jobs);
  // A run of fewer backends than jobs never has more of them at once.
  const threads = threadsPerBackend(Math.min(jobs, selected.length));
  const pairwise = new PairwiseMaxAbs(['golden', ...selected.map((b) => b.name)]);
  let pairwiseMs = 0;
  // With more than one job, the backends a previous run found longest start first (start-order.ts).
  const previousRun = jobs > 1 ? previousCosts(outDir, baseline?.report ?? null) : null;
  const ranks = startRanks(selected.map((s) => s.name), previousRun?.costs ?? null);
  const live: Live[] = selected.map((spec, i) => {
    const previous = state.perBackend[spec.name];
    const itemState = previous ?? { status: 'running', environment: {}, openMs: 0, embedMs: 0 };
    return { spec, session: sessions.session(spec, undefined, threads), group: workerGroup(spec), rank: ranks[i], state: itemState, acc: null, writer: null, compareMs: 0 };
  });
  try {
    // Token counts for the checks and expectations; the harness tokenizer of the configured model.
    // Known before any backend finishes, so each one is judged as soon as it is done.
    const ctx = await modelContext(identity, contexts).catch(() => null);
    const facts = textFacts(ctx?.tokenizer ?? null, texts, ids, identity.batching);
    const evaluation: EvaluationContext = {
      outDir,
      golden: { path: golden.path, dim: golden.dim, rowOf: rows ? (k: number) => rows[k] : (k: number) => k },
      facts,
      evidence: diagnosisEvidence(ctx?.model ?? null, ctx?.tokenizer ?? null, texts, facts.batchTokens),
      settings: identity.checks,
      similarity: rankingSimilarity(identity.checks.similarity, modelInfo.similarity),
      warnings,
    };

    // Open a backend (or take over its state from the interrupted run).
    const open = async (item: Live): Promise<void> => {
      const previous = resumed?.perBackend[item.spec.name];
      if (previous && previous.status !== 'running') return;
      const opened = await item.session.open(deadlineOf(item));
      item.state.environment = opened.environment;
      if (opened.status !== 'ok') {
        item.state = { ...item.state, status: opened.status, reason: opened.reason };
        return;
      }
      item.state.openMs += opened.openMs;
      if (previous?.dim !== undefined) {
        item.writer = NpyAppendWriter.resume(vectorsPath(outDir, item.spec.name), state.completedRows);
        item.acc = new ComparisonAccumulator(texts.length, previous.dim, item.spec.tolerance, ids);
      }
    };
    // An interrupted run's finished rows go to the accumulators and the pairwise matrix before any new block.
    if (resumed) {
      await Promise.all(live.map((item) => lanes.run(item.group, () => open(item), item.rank)));
      pairwiseMs += replayFinishedRows(live, state.completedRows, goldenBlock, pairwise, blockTexts);
    }

    // The blocks still to embed. Every backend embeds block b, then the block is folded: into the
    // pairwise matrix, the progress line and the saved run state. No backend starts block b+1 before
    // block b is folded, so at most two blocks of vectors are held whatever the corpus size.
    const blocks = new BlockFolds(
      state.completedRows,
      texts.length,
      blockTexts,
      live.length,
      goldenBlock,
      (start, end, vectors) => {
        const pairwiseStarted = performance.now();
        pairwise.add(vectors);
        pairwiseMs += performance.now() - pairwiseStarted;
        options.onProgress?.({ done: end, total: texts.length, running: live.filter((l) => l.state.status === 'running').length });
        state.completedRows = end;
        for (const item of live) state.perBackend[item.spec.name] = item.state;
        saveRunState(outDir, state);
      },
    );

    // A block's vectors: appended to the backend's vectors file and compared with the golden's rows.
    const keepBlock = (item: Live, vectors: Matrix, gold: Matrix, start: number, end: number): void => {
      if (!item.acc) {
        item.state.dim = vectors.dim;
        item.acc = new ComparisonAccumulator(texts.length, vectors.dim, item.spec.tolerance, ids);
        item.writer = NpyAppendWriter.create(vectorsPath(outDir, item.spec.name), vectors.data instanceof Float64Array ? '<f8' : '<f4', vectors.dim);
      }
      item.writer!.append(vectors.data);
      const compareStarted = performance.now();
      item.acc.add(gold.data, vectors.data, start, end - start);
      item.compareMs += performance.now() - compareStarted;
    };

    // One lane per backend: open, every block, then its own report (batch invariance while it is
    // still open, then the shared evaluation), each step a task on `lanes`.
    const lane = async (item: Live): Promise<BackendReport> => {
      if (!resumed) await lanes.run(item.group, () => open(item), item.rank);
      for (let b = 0; b < blocks.count; b++) {
        await blocks.ready(b);
        const { start, end, gold } = blocks.block(b);
        let vectors: Matrix | null = null;
        if (item.state.status === 'running') {
          const corpusRows = rows ? rows.slice(start, end) : Array.from({ length: end - start }, (_, k) => start + k);
          // Embedding, writing and comparing are one task: the harness's share of the work holds a lane too.
          vectors = await lanes.run(item.group, async () => {
            const got = await embedBlock(item, texts.slice(start, end), corpusRows, gold.dim);
            if (got) keepBlock(item, got, gold, start, end);
            return got;
          }, item.rank);
        }
        blocks.arrive(b, item.spec.name, vectors);
      }
      const report = await lanes.run(item.group, () => finishBackend(item, texts, evaluation, batchSize), item.rank);
      // Done with it: its worker (and the model it holds) can go while the others still run.
      await item.session.close();
      return report;
    };
    let reports: BackendReport[];
    try {
      reports = await Promise.all(live.map(lane));
    } catch (error) {
      blocks.abort(error);
      throw error;
    }
    await attachWhereItStarts(reports, heldSpecs(config.backends, selected), texts, ids, ctx?.tokenizer ?? null, ctx?.model.config.num_hidden_layers, warnings);
    const producedAll = ['golden', ...reports.filter((r) => r.vectors).map((r) => r.name)];
    const pairwiseStarted = performance.now();
    const pairwiseResult = pairwise.result(producedAll);
    pairwiseMs += performance.now() - pairwiseStarted;
    const judged: Report = runReport(
      {
        command: options.command ?? [],
        config: displayPath(config.path),
        model: modelSection(ctx, config.model, modelFiles, config.hub),
        corpus: corpusSection({ path: corpus.path, sha256: corpus.sha256, count: corpus.texts.length }, ids, texts, identity.checks, rows && options.shard ? { ...options.shard, rows } : undefined),
        golden: goldenSection(golden),
        backends: reports,
        pairwise: pairwiseResult,
        warnings,
        packages: packageVersions(),
        ...identityRecord(identity),
        ...watchSection(identity, ids, golden.path, evaluation.golden.rowOf, outDir, reports),
      },
      { strict: options.strict },
    );
    const report = baseline ? withBaseline(judged, outDir, baseline, { strict: options.strict }) : judged;
    // The time to verdict is known before any file is written, so report.html and summary.md show it
    // (up to writing them). report.json is written twice: the second adds how long writing every file
    // took, and the time to verdict with it.
    const writeStarted = performance.now();
    report.timing = { pairwiseMs, verdictMs: writeStarted - runStarted, jobs, ...(threads ? { threadsPerBackend: threads } : {}), ...(previousRun ? { longestFirstBy: previousRun.from } : {}) };
    writeReportFiles(report, outDir);
    const now = performance.now();
    report.timing = { ...report.timing, reportMs: now - writeStarted, totalMs: now - runStarted };
    writeReportJson(report, outDir);
    const reportPath = join(outDir, REPORT_FILES.json);
    clearRunState(outDir);
    return { report, reportPath: displayPath(reportPath) };
  } finally {
    for (const item of live) item.writer?.close();
    goldenReader.close();
    await Promise.all(live.map((item) => item.session.close()));
    await sessions.close();
  }
}

/**
 * The latest a backend's next request may finish: what is left of its timeoutMs after its own time so
 * far (open and embedding, an interrupted run's included), not its wait for a lane.
 */
function deadlineOf(item: Live): number {
  return performance.now() + item.spec.timeoutMs - item.state.openMs - item.state.embedMs;
}

function vectorsPath(outDir: string, name: string): string {
  return join(outDir, 'vectors', `${name}.npy`);
}

/** One block from one backend, or null after recording why it stopped (error, wrong shape). */
async function embedBlock(item: Live, texts: readonly string[], corpusRows: readonly number[], goldenDim: number): Promise<Matrix | null> {
  const started = performance.now();
  try {
    const vectors = await item.session.embed(texts, deadlineOf(item), corpusRows);
    item.state.embedMs += performance.now() - started;
    if (vectors.rows !== texts.length) {
      throw new BackendError(item.spec.name, `returned ${vectors.rows} vectors for ${texts.length} texts`);
    }
    if (vectors.dim !== goldenDim) {
      item.state = { ...item.state, status: 'shape', dim: vectors.dim };
      return null;
    }
    return vectors;
  } catch (error) {
    item.state = { ...item.state, status: 'error', reason: error instanceof Error ? error.message : String(error) };
    item.state.environment = { ...item.state.environment, ...(await item.session.environment()) };
    return null;
  }
}

/** After --resume: feed the rows already on disk to the accumulators and the pairwise matrix; returns the pairwise time. */
function replayFinishedRows(live: Live[], done: number, goldenBlock: (s: number, e: number) => Matrix, pairwise: PairwiseMaxAbs, blockTexts: number): number {
  let pairwiseMs = 0;
  for (let start = 0; start < done; start += blockTexts) {
    const end = Math.min(start + blockTexts, done);
    const gold = goldenBlock(start, end);
    const block = new Map<string, Matrix>([['golden', gold]]);
    for (const item of live) {
      if (!item.acc || !item.writer) continue;
      const data = item.writer.read(start, end - start);
      const compareStarted = performance.now();
      item.acc.add(gold.data, data, start, end - start);
      item.compareMs += performance.now() - compareStarted;
      block.set(item.spec.name, { rows: end - start, dim: item.writer.dim, data });
    }
    const pairwiseStarted = performance.now();
    pairwise.add(block);
    pairwiseMs += performance.now() - pairwiseStarted;
  }
  return pairwiseMs;
}

/** A backend's report entry: batch invariance while its session is open, then the shared evaluation. */
async function finishBackend(item: Live, texts: readonly string[], evaluation: EvaluationContext, batchSize: number): Promise<BackendReport> {
  const { spec, state } = item;
  const environment = state.status === 'running' ? { ...state.environment, ...(await item.session.environment()) } : state.environment;
  const base = backendBase(
    { ...spec, ...(spec.downstream || spec.batchInvariance || spec.drift ? { limits: { downstream: spec.downstream, batchInvariance: spec.batchInvariance, drift: spec.drift } } : {}) },
    environment,
  );
  const timing: BackendTiming = { openMs: state.openMs, embedMs: state.embedMs, textsPerSecond: state.embedMs > 0 ? (texts.length * 1000) / state.embedMs : 0 };
  if (state.status === 'skipped' || state.status === 'error') return evaluateBackend(evaluation, base, { kind: state.status, reason: state.reason ?? 'unknown' }, timing);
  if (state.status === 'shape') return evaluateBackend(evaluation, base, { kind: 'shape', dim: state.dim! }, timing);
  item.writer!.finish();
  item.writer = null;
  const problems: string[] = [];
  const { facts, settings } = evaluation;
  const batchStarted = performance.now();
  const batchInvariance = await batchInvarianceFor(item.session, deadlineOf(item), texts, facts.ids, facts.lengths, settings.batchInvarianceSample, batchSize, problems);
  timing.batchInvarianceMs = performance.now() - batchStarted;
  evaluation.warnings.push(...problems.map((p) => `${spec.name}: ${p}`));
  const vectorsFile = join('vectors', `${spec.name}.npy`);
  const resultStarted = performance.now();
  const comparison = item.acc!.result();
  timing.compareMs = item.compareMs + performance.now() - resultStarted;
  return evaluateBackend(evaluation, base, { kind: 'vectors', vectorsFile, comparison, batchInvariance }, timing);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
