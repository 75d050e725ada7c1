/**
 * The measurements `parity bench` makes, each in its own child process (so its peak RSS is its own):
 * the harness path of a configured backend (an `http` backend with `serve`, such as Infinity, starts
 * its real server), and two yardsticks on the same model, texts, batch size and threads — a raw
 * onnxruntime-node `session.run` loop (in corpus order and over length-sorted batches: the limit for
 * CPU) and transformers.js `pipeline('feature-extraction')` (what a JS developer would pick).
 *
 * A measurement is prepared once (load, one warm-up pass) and then asked for timed passes one at a
 * time, so the parent can interleave rounds across all measurements (A B C A B C …) and one noisy
 * moment on a shared machine hits every row alike instead of deciding a ratio.
 */
import { readFileSync } from 'node:fs';
import { createBackends } from '../backends/registry.js';
import type { BackendConfig } from '../config/config.js';
import { modelFeeds } from '../backends/ort-io.js';
import { makeBatches, paddingEfficiency, type PaddedBatch } from '../embed/batches.js';
import { HiddenStateBackend } from '../backends/hidden-state-backend.js';
import { HttpBackend } from '../backends/http/runner.js';
import { ModelContexts } from '../tokenize/model-context.js';
import { blockTextsFor } from '../run/shard.js';

export type MeasureTask =
  | { kind: 'backend'; spec: BackendConfig; texts: string[]; batchSize: number; blockTexts?: number }
  | { kind: 'raw-ort'; modelDir: string; modelFile: string; sorted: boolean; threads?: number; texts: string[]; batchSize: number }
  | { kind: 'transformers.js'; modelDir: string; pooling: 'mean' | 'cls'; normalize: boolean; threads?: number; texts: string[]; batchSize: number };

/** What a measurement reports after its last pass (the seconds of each pass are the parent's). */
export interface MeasureFinal {
  /** Per-batch latencies of the timed passes, milliseconds. */
  latencies: number[];
  paddingEfficiency: number | null;
  peakRssMB: number;
  /** Where peakRssMB comes from when it is not this process (a served backend: the server's). */
  rssOf?: string;
}

export interface Measurer {
  /** One timed pass over every text; seconds. */
  pass(): Promise<number>;
  finish(): Promise<MeasureFinal>;
}

/** Loads what `task` needs and runs one untimed warm-up pass (session initialisation, allocator growth, JIT). */
export async function prepare(task: MeasureTask): Promise<Measurer> {
  const latencies: number[] = [];
  let record = false;
  let padding: number | null = null;
  let onePass: () => Promise<void>;
  let release: () => Promise<Partial<MeasureFinal>>;
  if (task.kind === 'backend') {
    const contexts = new ModelContexts();
    const ctx = await contexts.get(task.spec.modelDir);
    const [backend] = createBackends([task.spec]);
    const availability = await backend.availability();
    if (!availability.available) throw new Error(`skipped: ${availability.reason}`);
    await backend.open({ model: ctx.model, tokenizer: ctx.tokenizer, batchSize: task.batchSize });
    const block = blockTextsFor(task.batchSize, task.blockTexts);
    if (backend instanceof HiddenStateBackend) backend.forwardObserver = (ms) => record && latencies.push(ms);
    if (backend instanceof HttpBackend) backend.requestObserver = (ms) => record && latencies.push(ms);
    // Exactly what `parity run` does: block by block, each block tokenized, sorted, batched, pooled.
    onePass = async () => {
      for (let start = 0; start < task.texts.length; start += block) await backend.embed(task.texts.slice(start, start + block));
    };
    release = async () => {
      // A served backend's work happens in its server, a Python-worker backend's (openvino,
      // sentence-transformers) in its worker: that process's peak RSS is the figure that matters.
      const env = backend.environment();
      const served = (env.serve as { pid?: number } | undefined)?.pid;
      const pid = served ?? (typeof env.pid === 'number' ? env.pid : undefined);
      const rss = pid ? peakRssOfPid(pid) : null;
      await backend.close();
      return rss !== null ? { peakRssMB: rss, rssOf: `${served ? 'server' : 'worker'} pid ${pid}` } : {};
    };
  } else if (task.kind === 'raw-ort') {
    const ort = await import('onnxruntime-node');
    const ctx = await new ModelContexts().get(task.modelDir);
    const encoded = task.texts.map((t) => ctx.tokenizer.encode(t));
    const batches: PaddedBatch[] = makeBatches(encoded, task.batchSize, ctx.tokenizer.padId, { sortByLength: task.sorted, paddingSide: ctx.tokenizer.paddingSide });
    padding = paddingEfficiency(batches);
    const session = await ort.InferenceSession.create(`${task.modelDir}/${task.modelFile}`, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      ...(task.threads ? { intraOpNumThreads: task.threads } : {}),
    });
    // The backends' feeds builder, built ahead so that only session.run is timed.
    const feeds = batches.map((b) => modelFeeds('raw onnxruntime-node', session.inputNames, b, (data, dims) => new ort.Tensor('int64', data, dims)));
    onePass = async () => {
      for (const f of feeds) {
        const t = performance.now();
        await session.run(f);
        if (record) latencies.push(performance.now() - t);
      }
    };
    release = async () => {
      await session.release();
      return {};
    };
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
    onePass = async () => {
      for (let start = 0; start < task.texts.length; start += task.batchSize) {
        const t = performance.now();
        await extractor(task.texts.slice(start, start + task.batchSize), { pooling: task.pooling, normalize: task.normalize });
        if (record) latencies.push(performance.now() - t);
      }
    };
    release = async () => {
      await extractor.dispose();
      return {};
    };
  }
  await onePass(); // warm-up, untimed
  record = true;
  return {
    async pass() {
      const t = performance.now();
      await onePass();
      return (performance.now() - t) / 1000;
    },
    async finish() {
      const extra = await release();
      return { latencies, paddingEfficiency: padding, peakRssMB: process.resourceUsage().maxRSS / 1024, ...extra };
    },
  };
}

/** Peak resident set (VmHWM) of another process, MB; null where /proc cannot tell (not Linux, gone). */
function peakRssOfPid(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}
