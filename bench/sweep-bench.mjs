#!/usr/bin/env node
// Cost of the longest sweep length on the long-reach fixtures: one 8192-token sequence through the
// float64 reference and through ONNX Runtime (CPU, 2 threads), each in its own process so peak RSS is
// its own. Prints wall and CPU seconds, peak RSS, and the load average (the machine may be shared:
// CPU seconds are the figure that does not depend on it). Run after `npm run build`:
//   node bench/sweep-bench.mjs [--tokens 8192] [--json]
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const arg = (flag, fallback) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : fallback);

async function one(kind, model, file, S) {
  const dir = join(root, 'fixtures/models', model);
  // Token ids from the fixture vocabulary (past the specials), [CLS] ... [SEP].
  const ids = Array.from({ length: S }, (_, t) => (t === 0 ? 2 : t === S - 1 ? 3 : 100 + ((t * 7919) % 2600)));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (kind === 'reference') {
    const { BertFloat64 } = await import(join(root, 'dist/backends/reference/bert-f64.js'));
    const { loadModelInfo } = await import(join(root, 'dist/model/model-folder.js'));
    const { readSafetensors } = await import(join(root, 'dist/model/safetensors.js'));
    const model = new BertFloat64(loadModelInfo(dir).config, readSafetensors(join(dir, 'model.safetensors')));
    model.forward(ids, new Array(S).fill(0));
  } else {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(join(dir, 'onnx', file), { intraOpNumThreads: 2 });
    const t = (data) => new ort.Tensor('int64', BigInt64Array.from(data, BigInt), [1, S]);
    await session.run({ input_ids: t(ids), attention_mask: t(new Array(S).fill(1)), token_type_ids: t(new Array(S).fill(0)) });
  }
  const cpu = process.cpuUsage(cpu0);
  return { wallS: (performance.now() - t0) / 1000, cpuS: (cpu.user + cpu.system) / 1e6, peakRssMB: process.resourceUsage().maxRSS / 1024 };
}

if (args[0] === '--child') {
  const [, kind, model, file, S] = args;
  process.stdout.write(JSON.stringify(await one(kind, model, file, Number(S))) + '\n');
} else {
  const S = Number(arg('--tokens', '8192'));
  const cases = [
    ['reference', 'tiny-alibi', '-'],
    ['onnxruntime-node', 'tiny-alibi', 'model.onnx'],
    ['onnxruntime-node', 'tiny-alibi', 'model_sentinel.onnx'],
    ['onnxruntime-node', 'tiny-alibi', 'model_fp16.onnx'],
    ['reference', 'tiny-alibi-causal', '-'],
    ['onnxruntime-node', 'tiny-alibi-causal', 'model.onnx'],
    ['onnxruntime-node', 'tiny-alibi-causal', 'model_sentinel.onnx'],
    ['reference', 'tiny-rotary', '-'],
    ['onnxruntime-node', 'tiny-rotary', 'model.onnx'],
  ];
  const load = loadavg()[0];
  const rows = [];
  for (const [kind, model, file] of cases) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', kind, model, file, String(S)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${kind} ${model} ${file}: ${r.stderr}`);
    rows.push({ backend: kind, model, file, tokens: S, ...JSON.parse(r.stdout) });
  }
  const result = { loadAverageAtStart: load, loadAverageAtEnd: loadavg()[0], cores: (await import('node:os')).cpus().length, rows };
  if (args.includes('--json')) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else {
    console.log(`${S} tokens, one sequence; load average ${load.toFixed(1)} -> ${result.loadAverageAtEnd.toFixed(1)} on ${result.cores} cores`);
    console.log('| backend | model | file | wall s | CPU s | peak RSS MB |\n| --- | --- | --- | ---: | ---: | ---: |');
    for (const r of rows) console.log(`| ${r.backend} | ${r.model} | ${r.file} | ${r.wallS.toFixed(1)} | ${r.cpuS.toFixed(1)} | ${r.peakRssMB.toFixed(0)} |`);
  }
}
