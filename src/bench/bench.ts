/**
 * `parity bench`: how fast each backend embeds the corpus through the harness, beside the yardsticks
 * measured in the same run on the same model, texts, batch size and threads: raw onnxruntime-node,
 * transformers.js, sentence-transformers (PyTorch on the CPU, a Python child in .venv) and Infinity
 * (its real server over HTTP, started from .venv-infinity). Every measurement lives in its own
 * process, is prepared (loaded, warmed up) first, and then the timed passes go in interleaved rounds
 * (A B C D A B C D …), so a noisy moment on a shared machine hits every row alike. Speed is only
 * reported as ratios within one run; nothing here is a pass/fail assertion.
 *   ratioVsRawOrt               = texts/s ÷ raw onnxruntime-node over length-sorted batches (ONNX backends)
 *   ratioVsTransformersJs       = texts/s ÷ transformers.js feature-extraction pipeline (ONNX backends)
 *   ratioVsSentenceTransformers = texts/s ÷ sentence-transformers model.encode (every row)
 */
import { resolveModelRef } from '../model/hub-cache.js';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { packagePath } from '../package-root.js';
import { compiledScript } from '../io/compiled-script.js';
import { ipcTransport, jsonLinesTransport, Supervised } from '../process/supervisor.js';
import Table from 'cli-table3';
import { infinityBackendEntry } from '../backends/http/infinity.js';
import { loadConfig, parseConfig, selectBackends, type BackendConfig } from '../config/config.js';
import { loadCorpus } from '../corpus/corpus.js';
import { InputError } from '../errors.js';
import { displayPath } from '../io/display-path.js';
import { loadModelInfo } from '../model/model-folder.js';
import { findPython, missingPythonModules, PYTHON_SETUP_HINT } from '../python/interpreter.js';
import { ModelContexts } from '../tokenize/model-context.js';
import type { MeasureFinal, MeasureTask } from './measure.js';

export interface BenchOptions {
  config?: string;
  backends?: string[];
  model?: string;
  corpus?: string;
  batchSize?: number;
  threads?: number;
  repeats?: number;
  /** Leave out the Python rows (sentence-transformers, Infinity). */
  noPython?: boolean;
}

export type BenchKind = 'backend' | 'raw-ort' | 'raw-ort-sorted' | 'transformers.js' | 'sentence-transformers' | 'infinity';

export interface BenchEntry {
  name: string;
  kind: BenchKind;
  textsPerSecond: number | null;
  tokensPerSecond: number | null;
  seconds: number | null;
  passes: number[];
  batchLatencyMs: { p50: number; p95: number } | null;
  paddingEfficiency: number | null;
  peakRssMB: number | null;
  /** Whose RSS peakRssMB is, when not the measuring process (Infinity: its server). */
  rssOf?: string;
  ratioVsRawOrt?: number | null;
  ratioVsTransformersJs?: number | null;
  ratioVsSentenceTransformers?: number | null;
  error?: string;
}

export interface BenchResult {
  model: string;
  corpus: { path: string; texts: number; tokens: number };
  batchSize: number;
  threads: number | 'default';
  repeats: number;
  /** "interleaved": round r times every row once, in table order, before round r+1. */
  rounds: 'interleaved';
  machine: { cpus: number; node: string };
  entries: BenchEntry[];
}

/** Runtimes whose throughput compares with a raw ONNX Runtime loop (OpenVINO runs the same ONNX file through the harness). */
const ONNX_RUNTIMES = new Set(['onnxruntime-node', 'onnxruntime-web', 'webgpu-browser', 'openvino']);

function childScript(): string {
  const found = compiledScript(import.meta.url, 'bench-child.js');
  if (!found) throw new InputError('the compiled bench child (dist/bench/bench-child.js) is missing; run `npm run build`');
  return found;
}

/** scripts/ of this package (beside dist/ and src/). */
function scriptsDir(): string {
  return packagePath('scripts');
}

type Reply = { ok: true; seconds?: number; final?: MeasureFinal } | { ok: false; error: string };

/** One measurement's process, asked one thing at a time; a crash costs only its row. */
class Contestant {
  private constructor(private readonly process: Supervised<object, Reply>) {}

  static node(): Contestant {
    const child = fork(childScript(), [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] });
    return new Contestant(new Supervised(child, ipcTransport(child), { label: () => 'measurement process', tailLines: 2, tailChars: 1500, strays: 'ignore' }));
  }

  static python(python: string, script: string): Contestant {
    const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, HF_HUB_OFFLINE: '1' } });
    return new Contestant(new Supervised(child, jsonLinesTransport(child), { label: () => 'measurement process', tailLines: 2, tailChars: 1500, strays: 'ignore' }));
  }

  /** The process's reply, or its death as a failed reply. */
  ask(message: object): Promise<Reply> {
    return this.process.ask(message).catch((error: Error) => ({ ok: false, error: error.message }));
  }

  stop(): void {
    this.process.kill();
  }
}

interface Row {
  name: string;
  kind: BenchKind;
  /** Why this row is not measured (skipped), decided before any process starts. */
  skip?: string;
  start?: () => Contestant;
  prepare?: object;
  spec?: BackendConfig;
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const config = loadConfig(options.config);
  const modelDir = options.model ? resolveModelRef(options.model, process.cwd()).dir : config.model;
  const model = loadModelInfo(modelDir);
  const batchSize = options.batchSize ?? config.batchSize;
  const repeats = options.repeats ?? 3;
  const threads = options.threads;
  const corpus = loadCorpus(options.corpus ? resolve(options.corpus) : config.corpus);
  const texts = corpus.texts;
  const { tokenizer } = await new ModelContexts().get(modelDir);
  const tokens = texts.reduce((n, t) => n + tokenizer.encode(t).ids.length, 0);

  const chosen: BackendConfig[] = options.backends?.length
    ? selectBackends(config, options.backends)
    : config.backends.filter((b) => (b.runtime === 'onnxruntime-node' ? b.options.device !== 'cuda' : b.runtime === 'onnxruntime-web' || b.runtime === 'openvino'));
  const withThreads = (b: BackendConfig): BackendConfig => {
    if (!threads) return { ...b, modelDir };
    const o = b.options;
    const serve = o.serve as { env?: Record<string, string> } | undefined;
    return {
      ...b,
      modelDir,
      options: {
        ...o,
        ...('threads' in o || b.runtime === 'onnxruntime-node' || b.runtime === 'openvino' ? { threads } : {}),
        // A served PyTorch server (Infinity) takes its intra-op threads from OMP_NUM_THREADS.
        ...(serve ? { serve: { ...serve, env: { ...serve.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) } } } : {}),
      },
    };
  };
  const specs = chosen.map(withThreads);

  const common = { texts, batchSize };
  const node = (task: MeasureTask) => ({ start: () => Contestant.node(), prepare: { type: 'prepare', task } });
  const pooling = model.pooling.mode === 'cls' ? 'cls' : 'mean';
  const rows: Row[] = [
    { name: 'raw onnxruntime-node, corpus order', kind: 'raw-ort', ...node({ kind: 'raw-ort', modelDir, modelFile: 'onnx/model.onnx', sorted: false, threads, ...common }) },
    { name: 'raw onnxruntime-node, length-sorted', kind: 'raw-ort-sorted', ...node({ kind: 'raw-ort', modelDir, modelFile: 'onnx/model.onnx', sorted: true, threads, ...common }) },
    { name: 'transformers.js pipeline', kind: 'transformers.js', ...node({ kind: 'transformers.js', modelDir, pooling, normalize: model.pooling.normalize, threads, ...common }) },
  ];
  if (!options.noPython) rows.push(sentenceTransformersRow(config.dir, modelDir, texts, batchSize, threads), infinityRow(config.dir, modelDir, batchSize, withThreads, texts));
  for (const spec of specs) rows.push({ name: spec.name, kind: 'backend', spec, ...node({ kind: 'backend', spec, blockTexts: config.blockTexts, ...common }) });

  // Prepare every row (each keeps its process), then the interleaved rounds, then collect.
  const live = new Map<Row, Contestant>();
  const errors = new Map<Row, string>();
  const passes = new Map<Row, number[]>(rows.map((r) => [r, []]));
  const finals = new Map<Row, MeasureFinal>();
  try {
    for (const row of rows) {
      if (row.skip) {
        errors.set(row, `skipped: ${row.skip}`);
        continue;
      }
      const c = row.start!();
      live.set(row, c);
      const r = await c.ask(row.prepare!);
      if (!r.ok) {
        errors.set(row, r.error);
        c.stop();
        live.delete(row);
      }
    }
    for (let round = 0; round < repeats; round++) {
      for (const [row, c] of live) {
        const r = await c.ask({ type: 'pass' });
        if (r.ok && r.seconds !== undefined) passes.get(row)!.push(r.seconds);
        else {
          errors.set(row, r.ok ? 'no timing in reply' : r.error);
          c.stop();
          live.delete(row);
        }
      }
    }
    for (const [row, c] of live) {
      const r = await c.ask({ type: 'finish' });
      if (r.ok && r.final) finals.set(row, r.final);
      else errors.set(row, r.ok ? 'no result in reply' : r.error);
    }
  } finally {
    for (const c of live.values()) c.stop();
  }

  const entries = rows.map((row): BenchEntry => {
    const ps = passes.get(row)!;
    const final = finals.get(row);
    const error = errors.get(row);
    if (error || !final || ps.length === 0) {
      return { name: row.name, kind: row.kind, textsPerSecond: null, tokensPerSecond: null, seconds: null, passes: ps, batchLatencyMs: null, paddingEfficiency: null, peakRssMB: null, error: error ?? 'no timed pass' };
    }
    const seconds = median(ps);
    return {
      name: row.name,
      kind: row.kind,
      textsPerSecond: texts.length / seconds,
      tokensPerSecond: tokens / seconds,
      seconds,
      passes: ps,
      batchLatencyMs: final.latencies.length ? { p50: quantile(final.latencies, 0.5), p95: quantile(final.latencies, 0.95) } : null,
      paddingEfficiency: final.paddingEfficiency,
      peakRssMB: final.peakRssMB,
      ...(final.rssOf ? { rssOf: final.rssOf } : {}),
    };
  });
  const tps = (kind: BenchKind) => entries.find((e) => e.kind === kind)?.textsPerSecond ?? null;
  const sorted = tps('raw-ort-sorted');
  const tjs = tps('transformers.js');
  const st = tps('sentence-transformers');
  for (const e of entries) {
    if (e.textsPerSecond === null) continue;
    e.ratioVsSentenceTransformers = st ? e.textsPerSecond / st : null;
    const spec = specs.find((s) => s.name === e.name);
    if (e.kind !== 'backend' || !spec || !ONNX_RUNTIMES.has(spec.runtime)) continue;
    e.ratioVsRawOrt = sorted ? e.textsPerSecond / sorted : null;
    e.ratioVsTransformersJs = tjs ? e.textsPerSecond / tjs : null;
  }
  return {
    model: displayPath(modelDir),
    corpus: { path: displayPath(corpus.path), texts: texts.length, tokens },
    batchSize,
    threads: threads ?? 'default',
    repeats,
    rounds: 'interleaved',
    machine: { cpus: cpus().length, node: process.versions.node },
    entries,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/** sentence-transformers in .venv: a Python child timing model.encode with torch.set_num_threads(threads). */
function sentenceTransformersRow(configDir: string, modelDir: string, texts: string[], batchSize: number, threads: number | undefined): Row {
  const row: Row = { name: 'sentence-transformers (PyTorch)', kind: 'sentence-transformers' };
  const python = findPython({ configDir, venv: '.venv' });
  const missing = missingPythonModules(python.command, ['torch', 'sentence_transformers']);
  if (missing === null || missing.length) {
    return { ...row, skip: `Python ${python.command} (from ${python.source}) ${missing === null ? 'does not start' : `cannot import ${missing.join(', ')}`}; build .venv with \`${PYTHON_SETUP_HINT}\`` };
  }
  const script = join(scriptsDir(), 'bench_sentence_transformers.py');
  return { ...row, start: () => Contestant.python(python.command, script), prepare: { type: 'prepare', model: modelDir, texts, batchSize, threads: threads ?? null } };
}

/** Infinity: the real server from .venv-infinity, through the http backend, as documented (infinity.ts). */
function infinityRow(configDir: string, modelDir: string, batchSize: number, withThreads: (b: BackendConfig) => BackendConfig, texts: string[]): Row {
  const entry = infinityBackendEntry({ name: 'infinity (HTTP, torch CPU)', batchSize });
  // Through the config parser, so the row is exactly what a config entry would run.
  const parsed = parseConfig({ model: modelDir, corpus: 'unused', golden: 'unused', backends: [{ ...entry, name: 'infinity' }] }, join(configDir, 'bench-infinity.json'));
  const spec = withThreads({ ...parsed.backends[0], name: entry.name as string });
  return {
    name: spec.name,
    kind: 'infinity',
    spec,
    start: () => Contestant.node(),
    // One request per batch of `batchSize`, the whole corpus as one block: the server sees the texts as sent.
    prepare: { type: 'prepare', task: { kind: 'backend', spec, texts, batchSize, blockTexts: texts.length } satisfies MeasureTask },
  };
}

/**
 * `color` as for the run table (wantsColor). cli-table3's own styles are off: it paints its head red by
 * default, which a pipe must not get, and its colour library also decides for itself (it turns colour
 * off whenever CI is set), so the head is made bold here and `color` is the only switch.
 */
export function renderBench(r: BenchResult, { color }: { color: boolean } = { color: false }): string {
  const head = ['', 'texts/s', 'tokens/s', 'batch p50 ms', 'batch p95 ms', 'peak RSS MB', 'padding eff.', 'vs raw ORT (sorted)', 'vs transformers.js', 'vs sentence-transformers'];
  const table = new Table({
    head: color ? head.map((h) => (h ? `\x1b[1m${h}\x1b[22m` : h)) : head,
    style: { head: [], border: [] },
  });
  const n = (x: number | null | undefined, d = 1) => (x === null || x === undefined ? '' : x.toFixed(d));
  for (const e of r.entries) {
    if (e.error) {
      table.push([e.name, { colSpan: 9, content: e.error.startsWith('skipped: ') ? e.error : `error: ${e.error}` }]);
      continue;
    }
    table.push([e.name, n(e.textsPerSecond), n(e.tokensPerSecond, 0), n(e.batchLatencyMs?.p50), n(e.batchLatencyMs?.p95), n(e.peakRssMB, 0), n(e.paddingEfficiency, 2), n(e.ratioVsRawOrt, 2), n(e.ratioVsTransformersJs, 2), n(e.ratioVsSentenceTransformers, 2)]);
  }
  return (
    `${r.model}: ${r.corpus.texts} texts (${r.corpus.tokens} tokens) from ${r.corpus.path}, batch ${r.batchSize}, threads ${r.threads}, ` +
    `median of ${r.repeats} interleaved rounds after a warm-up, ${r.machine.cpus} CPUs\n${table.toString()}\n` +
    (r.entries.some((e) => e.rssOf) ? 'Peak RSS of a served backend is its server\'s, of a Python-worker backend (openvino, sentence-transformers) its worker\'s.\n' : '')
  );
}
