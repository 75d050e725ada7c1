/**
 * `parity bench`: how fast each backend embeds the corpus through the harness, beside the yardsticks
 * measured in the same run on the same model, texts, batch size and threads. Speed is reported as
 * ratios within one run because the machines are noisy; nothing here is a pass/fail assertion.
 *   ratioVsRawOrt          = backend texts/s ÷ raw onnxruntime-node loop over length-sorted batches
 *   ratioVsTransformersJs  = backend texts/s ÷ transformers.js feature-extraction pipeline
 */
import { fork } from 'node:child_process';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { compiledScript } from '../io/compiled-script.js';
import Table from 'cli-table3';
import { loadConfig, selectBackends, type BackendConfig } from '../config/config.js';
import { loadCorpus } from '../corpus/corpus.js';
import { InputError } from '../errors.js';
import { displayPath } from '../io/display-path.js';
import { loadModelInfo } from '../model/model-folder.js';
import { ModelContexts } from '../model/model-context.js';
import type { Measurement, MeasureTask } from './measure.js';

export interface BenchOptions {
  config?: string;
  backends?: string[];
  model?: string;
  corpus?: string;
  batchSize?: number;
  threads?: number;
  repeats?: number;
}

export interface BenchEntry {
  name: string;
  kind: 'backend' | 'raw-ort' | 'raw-ort-sorted' | 'transformers.js';
  textsPerSecond: number | null;
  tokensPerSecond: number | null;
  seconds: number | null;
  passes: number[];
  batchLatencyMs: { p50: number; p95: number } | null;
  paddingEfficiency: number | null;
  peakRssMB: number | null;
  ratioVsRawOrt?: number | null;
  ratioVsTransformersJs?: number | null;
  error?: string;
}

export interface BenchResult {
  model: string;
  corpus: { path: string; texts: number; tokens: number };
  batchSize: number;
  threads: number | 'default';
  repeats: number;
  machine: { cpus: number; node: string };
  entries: BenchEntry[];
}

/** Runtimes whose throughput compares with a raw ONNX Runtime loop. */
const ONNX_RUNTIMES = new Set(['onnxruntime-node', 'onnxruntime-web', 'webgpu-browser']);

function childScript(): string {
  const found = compiledScript(import.meta.url, 'bench-child.js');
  if (!found) throw new InputError('the compiled bench child (dist/bench/bench-child.js) is missing; run `npm run build`');
  return found;
}

/** One measurement in a fresh process: its peak RSS is its own, and a crash costs only that entry. */
function inChild(task: MeasureTask): Promise<Measurement> {
  return new Promise((resolvePromise, reject) => {
    const child = fork(childScript(), [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let settled = false;
    child.once('message', (m: { ok: boolean; result?: Measurement; error?: string }) => {
      settled = true;
      if (m.ok) resolvePromise(m.result!);
      else reject(new Error(m.error));
    });
    child.once('exit', (code, signal) => {
      if (!settled) reject(new Error(`measurement process ${signal ? `died of ${signal}` : `exited with code ${code}`}`));
    });
    child.send(task);
  });
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const config = loadConfig(options.config);
  const modelDir = options.model ? resolve(options.model) : config.model;
  const model = loadModelInfo(modelDir);
  const batchSize = options.batchSize ?? config.batchSize;
  const repeats = options.repeats ?? 3;
  const corpus = loadCorpus(options.corpus ? resolve(options.corpus) : config.corpus);
  const texts = corpus.texts;
  const { tokenizer } = await new ModelContexts().get(modelDir);
  const tokens = texts.reduce((n, t) => n + tokenizer.encode(t).ids.length, 0);

  const chosen: BackendConfig[] = options.backends?.length
    ? selectBackends(config, options.backends)
    : config.backends.filter((b) => b.runtime === 'onnxruntime-node' ? b.options.device !== 'cuda' : b.runtime === 'onnxruntime-web');
  const specs = chosen.map((b) => ({
    ...b,
    modelDir,
    options: { ...b.options, ...(options.threads && 'threads' in b.options ? { threads: options.threads } : {}), ...(options.threads && b.runtime === 'onnxruntime-node' ? { threads: options.threads } : {}) },
  }));

  const entry = (name: string, kind: BenchEntry['kind'], m: Measurement | Error): BenchEntry =>
    m instanceof Error
      ? { name, kind, textsPerSecond: null, tokensPerSecond: null, seconds: null, passes: [], batchLatencyMs: null, paddingEfficiency: null, peakRssMB: null, error: m.message }
      : {
          name,
          kind,
          textsPerSecond: texts.length / m.seconds,
          tokensPerSecond: tokens / m.seconds,
          seconds: m.seconds,
          passes: m.passes,
          batchLatencyMs: m.batchLatencyMs,
          paddingEfficiency: m.paddingEfficiency,
          peakRssMB: m.peakRssMB,
        };
  const run = (task: MeasureTask) => inChild(task).catch((e: Error) => e);

  const common = { texts, batchSize, repeats };
  const entries: BenchEntry[] = [];
  entries.push(entry('raw onnxruntime-node, corpus order', 'raw-ort', await run({ kind: 'raw-ort', modelDir, modelFile: 'onnx/model.onnx', sorted: false, threads: options.threads, ...common })));
  entries.push(entry('raw onnxruntime-node, length-sorted', 'raw-ort-sorted', await run({ kind: 'raw-ort', modelDir, modelFile: 'onnx/model.onnx', sorted: true, threads: options.threads, ...common })));
  const pooling = model.pooling.mode === 'cls' ? 'cls' : 'mean';
  entries.push(entry('transformers.js pipeline', 'transformers.js', await run({ kind: 'transformers.js', modelDir, pooling, normalize: model.pooling.normalize, threads: options.threads, ...common })));
  for (const spec of specs) {
    entries.push(entry(spec.name, 'backend', await run({ kind: 'backend', spec, blockTexts: config.blockTexts, ...common })));
  }
  const sorted = entries.find((e) => e.kind === 'raw-ort-sorted')?.textsPerSecond ?? null;
  const tjs = entries.find((e) => e.kind === 'transformers.js')?.textsPerSecond ?? null;
  for (const e of entries) {
    const spec = specs.find((s) => s.name === e.name);
    if (e.kind !== 'backend' || !spec || !ONNX_RUNTIMES.has(spec.runtime)) continue;
    e.ratioVsRawOrt = e.textsPerSecond && sorted ? e.textsPerSecond / sorted : null;
    e.ratioVsTransformersJs = e.textsPerSecond && tjs ? e.textsPerSecond / tjs : null;
  }
  return {
    model: displayPath(modelDir),
    corpus: { path: displayPath(corpus.path), texts: texts.length, tokens },
    batchSize,
    threads: options.threads ?? 'default',
    repeats,
    machine: { cpus: cpus().length, node: process.versions.node },
    entries,
  };
}

/** `color` as for the run table (wantsColor): cli-table3 paints its head red and borders grey by default, which a pipe must not get. */
export function renderBench(r: BenchResult, { color }: { color: boolean } = { color: false }): string {
  const table = new Table({
    head: ['', 'texts/s', 'tokens/s', 'batch p50 ms', 'batch p95 ms', 'peak RSS MB', 'padding eff.', 'vs raw ORT (sorted)', 'vs transformers.js'],
    style: { head: color ? ['bold'] : [], border: color ? ['gray'] : [] },
  });
  const n = (x: number | null | undefined, d = 1) => (x === null || x === undefined ? '' : x.toFixed(d));
  for (const e of r.entries) {
    if (e.error) {
      table.push([e.name, { colSpan: 8, content: `error: ${e.error}` }]);
      continue;
    }
    table.push([e.name, n(e.textsPerSecond), n(e.tokensPerSecond, 0), n(e.batchLatencyMs?.p50), n(e.batchLatencyMs?.p95), n(e.peakRssMB, 0), n(e.paddingEfficiency, 2), n(e.ratioVsRawOrt, 2), n(e.ratioVsTransformersJs, 2)]);
  }
  return (
    `${r.model}: ${r.corpus.texts} texts (${r.corpus.tokens} tokens) from ${r.corpus.path}, batch ${r.batchSize}, threads ${r.threads}, ` +
    `median of ${r.repeats} after a warm-up, ${r.machine.cpus} CPUs\n${table.toString()}\n`
  );
}
