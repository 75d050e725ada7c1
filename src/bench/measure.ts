/**
 * The measurements `parity bench` makes, each meant to run alone in a fresh child process (so its
 * peak RSS is its own): the harness path of a configured backend, and two yardsticks on the same
 * model, texts, batch size and threads — a raw onnxruntime-node `session.run` loop (in corpus order
 * and over length-sorted batches: the limit for CPU) and transformers.js `pipeline('feature-extraction')`
 * (what a JS developer would pick). Each: one warm-up pass, then the median of `repeats` timed passes.
 */
import { createBackends } from '../backends/registry.js';
import type { BackendConfig } from '../config/config.js';
import { makeBatches, paddingEfficiency, type PaddedBatch } from '../embed/batches.js';
import { HiddenStateBackend } from '../backends/hidden-state-backend.js';
import { ModelContexts } from '../model/model-context.js';
import { blockTextsFor } from '../run/shard.js';

export type MeasureTask =
  | { kind: 'backend'; spec: BackendConfig; texts: string[]; batchSize: number; blockTexts?: number; repeats: number }
  | { kind: 'raw-ort'; modelDir: string; modelFile: string; sorted: boolean; threads?: number; texts: string[]; batchSize: number; repeats: number }
  | { kind: 'transformers.js'; modelDir: string; pooling: 'mean' | 'cls'; normalize: boolean; threads?: number; texts: string[]; batchSize: number; repeats: number };

export interface Measurement {
  seconds: number;
  /** Seconds of every timed pass, in order. */
  passes: number[];
  batchLatencyMs: { p50: number; p95: number } | null;
  paddingEfficiency: number | null;
  peakRssMB: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

async function timePasses(repeats: number, pass: () => Promise<void>): Promise<number[]> {
  await pass(); // warm-up: session initialisation, allocator growth, JIT
  const passes: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await pass();
    passes.push((performance.now() - t) / 1000);
  }
  return passes;
}

export async function measure(task: MeasureTask): Promise<Measurement> {
  const latencies: number[] = [];
  let padding: number | null = null;
  let passes: number[];
  if (task.kind === 'backend') {
    const contexts = new ModelContexts();
    const ctx = await contexts.get(task.spec.modelDir);
    const [backend] = createBackends([task.spec]);
    const availability = await backend.availability();
    if (!availability.available) throw new Error(`skipped: ${availability.reason}`);
    await backend.open({ model: ctx.model, tokenizer: ctx.tokenizer, batchSize: task.batchSize });
    const block = blockTextsFor(task.batchSize, task.blockTexts);
    let record = false;
    if (backend instanceof HiddenStateBackend) backend.forwardObserver = (ms) => record && latencies.push(ms);
    // Exactly what `parity run` does: block by block, each block tokenized, sorted, batched, pooled.
    passes = await timePasses(task.repeats, async () => {
      for (let start = 0; start < task.texts.length; start += block) await backend.embed(task.texts.slice(start, start + block));
      record = true;
    });
    await backend.close();
  } else if (task.kind === 'raw-ort') {
    const ort = await import('onnxruntime-node');
    const ctx = await new ModelContexts().get(task.modelDir);
    const encoded = task.texts.map((t) => ctx.tokenizer.encode(t));
    const batches: PaddedBatch[] = makeBatches(encoded, task.batchSize, ctx.tokenizer.padId, { sortByLength: task.sorted });
    padding = paddingEfficiency(batches);
    const session = await ort.InferenceSession.create(`${task.modelDir}/${task.modelFile}`, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      ...(task.threads ? { intraOpNumThreads: task.threads } : {}),
    });
    const feeds = batches.map((b) => {
      const dims = [b.batch, b.seq];
      const all = { input_ids: b.inputIds, attention_mask: b.attentionMask, token_type_ids: b.tokenTypeIds } as Record<string, BigInt64Array>;
      return Object.fromEntries(session.inputNames.map((n) => [n, new ort.Tensor('int64', all[n], dims)]));
    });
    let record = false;
    passes = await timePasses(task.repeats, async () => {
      for (const f of feeds) {
        const t = performance.now();
        await session.run(f);
        if (record) latencies.push(performance.now() - t);
      }
      record = true;
    });
    await session.release();
  } else {
    const tf = await import('@huggingface/transformers');
    tf.env.allowRemoteModels = false;
    tf.env.allowLocalModels = true;
    const extractor = await tf.pipeline('feature-extraction', task.modelDir, {
      dtype: 'fp32',
      device: 'cpu',
      local_files_only: true,
      ...(task.threads ? { session_options: { intraOpNumThreads: task.threads } } : {}),
    } as never);
    let record = false;
    passes = await timePasses(task.repeats, async () => {
      for (let start = 0; start < task.texts.length; start += task.batchSize) {
        const t = performance.now();
        await extractor(task.texts.slice(start, start + task.batchSize), { pooling: task.pooling, normalize: task.normalize });
        if (record) latencies.push(performance.now() - t);
      }
      record = true;
    });
    await extractor.dispose();
  }
  return {
    seconds: median(passes),
    passes,
    batchLatencyMs: latencies.length ? { p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95) } : null,
    paddingEfficiency: padding,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
}
