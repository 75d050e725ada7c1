#!/usr/bin/env node
/**
 * Benchmark for the float64 `reference` runtime (issue #19): the plain loops it was written with
 * (products.ts), its WebAssembly SIMD products on one thread (wasm-products.ts), and the same kernel
 * on N worker threads (forward-pool.ts, as the runtime's `threads` option runs it), in one process, as
 * ratios to the loops, on the same model and the same texts.
 *
 *   npx tsc -p tsconfig.json && node bench/reference-bench.mjs
 *   node bench/reference-bench.mjs --model models/all-MiniLM-L6-v2 --corpus fixtures/corpus/minilm.jsonl --texts 16 --rounds 3 --threads 2
 *
 * The model defaults to models/all-MiniLM-L6-v2 (`npm run models`), else all-MiniLM-L6-v2's shape with
 * seeded random weights (the speed does not depend on the values). Texts: --texts of the corpus spread
 * evenly over its length order, tokenized as `run` does. --threads: default the machine's cores. Each
 * round runs the loops, then the kernel on this thread, then the kernel on the threads, over all
 * texts, so a machine shared with other work slows all three alike; the figures that count are the
 * per-round ratios to the loops (their median and range are printed), not the absolute times. Every
 * round also checks that all three give the same last_hidden_state to the bit. The threads are
 * started (each builds its model) and both kernels run once over the texts before the first round;
 * only forward passes are timed.
 */
import { existsSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const MODEL = resolve(ROOT, arg('model', 'models/all-MiniLM-L6-v2'));
const CORPUS = resolve(ROOT, arg('corpus', 'fixtures/corpus/minilm.jsonl'));
const TEXTS = Number(arg('texts', 16));
const ROUNDS = Number(arg('rounds', 3));
const THREADS = Number(arg('threads', availableParallelism()));

const dist = (p) => import(new URL(`../dist/${p}`, import.meta.url).href);
if (!existsSync(join(ROOT, 'dist', 'backends', 'reference', 'bert-f64.js'))) {
  console.error('dist/ is missing: run `npx tsc -p tsconfig.json` first');
  process.exit(2);
}
const { BertFloat64 } = await dist('backends/reference/bert-f64.js');
const { loadModelInfo } = await dist('model/model-folder.js');
const { readSafetensors } = await dist('model/safetensors.js');
const { loadTokenizer } = await dist('tokenize/tokenizer.js');
const { loadCorpus } = await dist('corpus/corpus.js');
const { ForwardPool } = await dist('backends/reference/forward-pool.js');
const { shareWeights } = await dist('backends/reference/shared-weights.js');

let config;
let tensors;
let tokenizerInfo;
let source;
if (existsSync(join(MODEL, 'model.safetensors'))) {
  tokenizerInfo = loadModelInfo(MODEL);
  config = tokenizerInfo.config;
  tensors = readSafetensors(join(MODEL, 'model.safetensors'));
  source = MODEL;
} else {
  const { PRESETS } = await dist('fixtures/presets.js');
  const { generateBertWeights } = await dist('fixtures/weights.js');
  const preset = PRESETS.minilm;
  config = { ...preset.config, vocab_size: preset.vocabSize };
  tensors = generateBertWeights(config, preset.seed);
  tokenizerInfo = loadModelInfo(resolve(ROOT, preset.tokenizerFrom));
  source = `${MODEL} has no model.safetensors: all-MiniLM-L6-v2's shape with seeded random weights`;
}
const tokenizer = await loadTokenizer(tokenizerInfo);
const corpus = loadCorpus(CORPUS);
const encoded = corpus.texts.map((t) => tokenizer.encode(t));
const order = encoded.map((_, i) => i).sort((a, b) => encoded[a].ids.length - encoded[b].ids.length || a - b);
const picked = TEXTS >= order.length ? order : Array.from({ length: TEXTS }, (_, k) => order[Math.round((k * (order.length - 1)) / Math.max(TEXTS - 1, 1))]);
const texts = picked.map((r) => encoded[r]);
const tokens = texts.reduce((s, e) => s + e.ids.length, 0);

const loops = new BertFloat64(config, tensors, { kernel: 'loops' });
const wasm = new BertFloat64(config, tensors);
const pool = new ForwardPool('reference-bench', new URL('../dist/backends/reference/forward-worker.js', import.meta.url), { config, weights: shareWeights(tensors), options: {} });
await pool.grow(THREADS);
const H = config.hidden_size;
const I = config.intermediate_size;
// Multiply-adds of the products per text: 4 H×H and 2 H×I linears per token per layer, plus q·kᵀ and p·v.
const macs = texts.reduce((s, e) => s + config.num_hidden_layers * (e.ids.length * (4 * H * H + 2 * H * I) + 2 * e.ids.length * e.ids.length * H), 0);

function timeAll(model) {
  const outs = [];
  const started = performance.now();
  for (const e of texts) outs.push(model.forward(e.ids, e.typeIds));
  return { ms: performance.now() - started, outs };
}

const jobs = texts.map((e) => ({ ids: Int32Array.from(e.ids), types: Int32Array.from(e.typeIds) }));
async function timePool() {
  const outs = new Array(texts.length);
  const started = performance.now();
  await pool.forward(jobs, (i, data) => (outs[i] = data));
  return { ms: performance.now() - started, outs };
}

/** Elements of `b` that differ from `a` in any bit. */
function differing(a, b) {
  let n = 0;
  a.outs.forEach((o, t) => o.forEach((v, i) => (n += Object.is(v, b.outs[t][i]) ? 0 : 1)));
  return n;
}

const speed = (ms) => `${(ms / 1000).toFixed(2)} s (${((texts.length * 1000) / ms).toFixed(2)} texts/s, ${((2 * macs) / ms / 1e6).toFixed(2)} GFLOP/s)`;
console.log(`model: ${source}`);
console.log(
  `${texts.length} texts of ${CORPUS.replace(ROOT + '/', '')}, ${tokens} tokens (${texts[0].ids.length}..${texts.at(-1).ids.length} each); ${THREADS} threads; ` +
    `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, load average ${loadavg()[0].toFixed(1)}`,
);
// Compile and warm up, one pass over the texts each (every thread compiles its own WebAssembly instance).
timeAll(wasm);
await timePool();
const rounds = [];
for (let r = 0; r < ROUNDS; r++) {
  const a = timeAll(loops);
  const b = timeAll(wasm);
  const c = await timePool();
  const round = { loopsMs: a.ms, wasmMs: b.ms, threadsMs: c.ms, wasmRatio: a.ms / b.ms, threadsRatio: a.ms / c.ms, differing: differing(a, b) + differing(a, c), loadAverage: loadavg()[0] };
  rounds.push(round);
  console.log(
    `round ${r + 1}: loops ${speed(a.ms)}, kernel 1 thread ${speed(b.ms)}, kernel ${THREADS} threads ${speed(c.ms)}: ` +
      `${round.wasmRatio.toFixed(1)}x and ${round.threadsRatio.toFixed(1)}x the loops (${(b.ms / c.ms).toFixed(2)}x from the threads), ${round.differing} elements differ, load average ${round.loadAverage.toFixed(1)}`,
  );
}
await pool.close();
const stats = (key) => {
  const v = rounds.map((r) => r[key]).sort((x, y) => x - y);
  return { median: v[Math.floor(v.length / 2)], min: v[0], max: v.at(-1) };
};
const summary = {
  model: source,
  texts: texts.length,
  tokens,
  threads: THREADS,
  cpu: cpus()[0]?.model ?? null,
  wasm: stats('wasmRatio'),
  threadsRatio: stats('threadsRatio'),
  differing: rounds.reduce((s, r) => s + r.differing, 0),
  rounds,
};
const line = (s) => `median ${s.median.toFixed(1)}x, range ${s.min.toFixed(1)}x..${s.max.toFixed(1)}x`;
console.log(`speed-up over the loops per round: kernel 1 thread ${line(summary.wasm)}; kernel ${THREADS} threads ${line(summary.threadsRatio)}; bit-identical: ${summary.differing === 0}`);
console.log(JSON.stringify(summary));
process.exitCode = summary.differing === 0 ? 0 : 1;
