/**
 * The in-process ONNX Runtime backends (onnxruntime-node, onnxruntime-web) hand the
 * graphOptimizationLevel option to the session and report it: on tiny-bert, 'disabled' (the graph
 * as the file names it, bisect's default) and 'all' (every fusion, the default) both pass fp32
 * tolerance against the float64 golden, and their vectors differ in the last bits — proof that the
 * level reached ONNX Runtime rather than stopping at the environment.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.js';
import { createBackends } from '../../src/backends/registry.js';
import { loadCorpus } from '../../src/corpus/corpus.js';
import { readGolden } from '../../src/golden/golden.js';
import { ModelContexts } from '../../src/tokenize/model-context.js';
import type { Matrix } from '../../src/numeric/matrix.js';
import { FIXTURE } from '../support/helpers.js';

const FP32 = { atol: 1e-5, rtol: 1.3e-6 };
const corpus = loadCorpus(FIXTURE.corpus);
const golden = readGolden(FIXTURE.golden).vectors;
const contexts = new ModelContexts();
const opened: Backend[] = [];

afterAll(async () => {
  for (const b of opened) await b.close();
});

async function embed(runtime: string, level: string): Promise<{ vectors: Matrix; environment: Record<string, unknown> }> {
  const [b] = createBackends([{ name: `${runtime}-${level}`, runtime, modelDir: FIXTURE.model, options: { graphOptimizationLevel: level } }]);
  opened.push(b);
  expect(await b.availability()).toEqual({ available: true });
  const ctx = await contexts.get(FIXTURE.model);
  await b.open({ model: ctx.model, tokenizer: ctx.tokenizer, batchSize: 16 });
  const vectors = await b.embed(corpus.texts);
  const environment = b.environment();
  await b.close();
  return { vectors, environment };
}

/** The worst |a - b| / (atol + rtol·|b|) (<= 1 passes) and the largest |a - b|. */
function against(a: Matrix, b: Matrix) {
  let worst = 0;
  let maxAbs = 0;
  for (let i = 0; i < b.data.length; i++) {
    const d = Math.abs(a.data[i] - b.data[i]);
    maxAbs = Math.max(maxAbs, d);
    worst = Math.max(worst, d / (FP32.atol + FP32.rtol * Math.abs(b.data[i])));
  }
  return { worst, maxAbs };
}

describe.each(['onnxruntime-node', 'onnxruntime-web'])('%s: graphOptimizationLevel reaches the session', (runtime) => {
  it("'disabled' and 'all' both pass fp32 tolerance, differ from each other, and the environment records each", async () => {
    const disabled = await embed(runtime, 'disabled');
    const all = await embed(runtime, 'all');
    expect(disabled.environment.graphOptimizationLevel).toBe('disabled');
    expect(all.environment.graphOptimizationLevel).toBe('all');
    for (const run of [disabled, all]) {
      expect([run.vectors.rows, run.vectors.dim]).toEqual([golden.rows, golden.dim]);
      expect(against(run.vectors, golden).worst).toBeLessThanOrEqual(1);
    }
    // The optimized graph rounds differently: measured max abs 1.8e-7 between the two (native), 1.2e-7 (wasm).
    const between = against(disabled.vectors, all.vectors);
    expect(between.maxAbs).toBeGreaterThan(0);
    expect(between.worst).toBeLessThanOrEqual(1);
  }, 120_000);
});
