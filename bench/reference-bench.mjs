#!/usr/bin/env node
/**
 * Benchmark for the float64 `reference` runtime (issue #19 §3): its WebAssembly SIMD products
 * (src/backends/reference/wasm-products.ts) against the plain loops they replaced (products.ts), in
 * one process, as a ratio, on the same model and the same texts.
 *
 *   npx tsc -p tsconfig.json && node bench/reference-bench.mjs
 *   node bench/reference-bench.mjs --model models/all-MiniLM-L6-v2 --corpus fixtures/corpus/minilm.jsonl --texts 16 --rounds 3
 *
 * The model defaults to models/all-MiniLM-L6-v2 (`npm run models`), else all-MiniLM-L6-v2's shape with
 * seeded random weights (the speed does not depend on the values). Texts: --texts of the corpus spread
 * evenly over its length order, tokenized as `run` does. Each round runs the loops, then the kernel,
 * over all texts, so a machine shared with other work slows both alike; the figure that counts is the
 * per-round ratio (its median and range are printed), not the absolute times. Every round also checks
 * that both give the same last_hidden_state to the bit.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
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

console.log(`model: ${source}`);
console.log(`${texts.length} texts of ${CORPUS.replace(ROOT + '/', '')}, ${tokens} tokens (${texts[0].ids.length}..${texts.at(-1).ids.length} each); ${cpus()[0]?.model ?? 'unknown CPU'}, load average ${loadavg()[0].toFixed(1)}`);
wasm.forward(texts[0].ids, texts[0].typeIds); // compile and warm up
const rounds = [];
for (let r = 0; r < ROUNDS; r++) {
  const a = timeAll(loops);
  const b = timeAll(wasm);
  let differing = 0;
  a.outs.forEach((o, t) => o.forEach((v, i) => (differing += Object.is(v, b.outs[t][i]) ? 0 : 1)));
  rounds.push({ loopsMs: a.ms, wasmMs: b.ms, ratio: a.ms / b.ms, differing });
  console.log(
    `round ${r + 1}: loops ${(a.ms / 1000).toFixed(2)} s (${((texts.length * 1000) / a.ms).toFixed(2)} texts/s, ${((2 * macs) / a.ms / 1e6).toFixed(2)} GFLOP/s), ` +
      `wasm ${(b.ms / 1000).toFixed(2)} s (${((texts.length * 1000) / b.ms).toFixed(2)} texts/s, ${((2 * macs) / b.ms / 1e6).toFixed(2)} GFLOP/s): ` +
      `${(a.ms / b.ms).toFixed(1)}x, ${differing} elements differ, load average ${loadavg()[0].toFixed(1)}`,
  );
}
const ratios = rounds.map((r) => r.ratio).sort((x, y) => x - y);
const summary = {
  model: source,
  texts: texts.length,
  tokens,
  cpu: cpus()[0]?.model ?? null,
  medianRatio: ratios[Math.floor(ratios.length / 2)],
  minRatio: ratios[0],
  maxRatio: ratios.at(-1),
  differing: rounds.reduce((s, r) => s + r.differing, 0),
  rounds,
};
console.log(`speed-up (loops time / wasm time per round): median ${summary.medianRatio.toFixed(1)}x, range ${summary.minRatio.toFixed(1)}x..${summary.maxRatio.toFixed(1)}x; bit-identical: ${summary.differing === 0}`);
console.log(JSON.stringify(summary));
process.exitCode = summary.differing === 0 ? 0 : 1;
