/**
 * The whole pipeline on the fixture model: real tokenizer, real ONNX Runtime sessions, the float64
 * reference, the committed golden. Numbers asserted here are computed by the code under test.
 */
import { describe, expect, it } from 'vitest';
import { createBackends } from '../../src/backends/registry.js';
import { compareMatrices } from '../../src/compare/metrics.js';
import { loadConfig } from '../../src/config/config.js';
import { loadCorpus } from '../../src/corpus/corpus.js';
import { readGolden } from '../../src/golden/golden.js';
import { embedWithBackend } from '../../src/run/embed-with-backend.js';
import { ModelContexts } from '../../src/tokenize/model-context.js';
import { runParity } from '../../src/run/run.js';
import { ROOT, tempDir } from '../support/helpers.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderTerminal } from '../../src/report/terminal.js';

process.chdir(ROOT);
const config = loadConfig(join(ROOT, 'parity.config.json'));
const corpus = loadCorpus(config.corpus);
const contexts = new ModelContexts();

async function embed(name: string, batchSize: number, texts = corpus.texts) {
  const spec = config.backends.find((b) => b.name === name)!;
  const [backend] = createBackends([spec]);
  const outcome = await embedWithBackend({ backend, modelDir: spec.modelDir, texts, batchSize, timeoutMs: 120_000, contexts });
  if (outcome.status !== 'ok') throw new Error(`${name}: ${outcome.status}: ${outcome.reason}`);
  return outcome;
}

describe('parity run on the fixture model', () => {
  it('reference vs cpu-fp32 and cpu-fp16 within the configured tolerances, with real numbers in the report', async () => {
    const out = tempDir();
    const { report } = await runParity({ out, backends: ['reference', 'cpu-fp32', 'cpu-fp16'] });
    const [reference, fp32, fp16] = report.backends;
    console.log(
      report.backends.map((b) => `${b.name}: max abs ${b.metrics?.maxAbs.toExponential(3)}, cos Δ max ${b.metrics?.cosineDeltaMax.toExponential(3)}, min atol ${b.metrics?.minPassingAtol?.toExponential(3)}`).join('\n'),
    );
    expect(report.verdict).toBe('pass');
    expect(reference.metrics!.maxAbs).toBe(0); // golden was made by the reference
    expect(fp32.status).toBe('pass');
    expect(fp32.metrics!.maxAbs).toBeGreaterThan(0); // a different computation, not a copy of golden
    expect(fp32.metrics!.maxAbs).toBeLessThanOrEqual(fp32.tolerance.atol + fp32.tolerance.rtol);
    expect(fp32.metrics!.cosineDeltaMax).toBeLessThan(1e-9);
    expect(fp16.status).toBe('pass');
    // fp16 really is less precise than fp32, and still decoded correctly (garbage would be ~1).
    expect(fp16.metrics!.maxAbs).toBeGreaterThan(10 * fp32.metrics!.maxAbs);
    expect(fp16.metrics!.cosineDeltaMax).toBeLessThan(1e-4);
    expect(fp16.environment.outputType).toBe('float16');
    expect(report.pairwise.names).toEqual(['golden', 'reference', 'cpu-fp32', 'cpu-fp16']);
    // Where the time went: every phase measured (never how fast), the parts within the whole, and
    // report.json on disk holding the run's phases (its second write) as the terminal shows them.
    for (const b of report.backends) {
      const t = b.timing!;
      for (const ms of [t.openMs, t.embedMs, t.compareMs!, t.downstreamMs!, t.batchInvarianceMs!]) expect(Number.isFinite(ms) && ms >= 0).toBe(true);
      expect(t.embedMs).toBeGreaterThan(0);
    }
    const run = report.timing!;
    const parts = report.backends.reduce((s, b) => s + b.timing!.openMs + b.timing!.embedMs + b.timing!.compareMs! + b.timing!.downstreamMs! + b.timing!.batchInvarianceMs!, 0);
    // Backends work side by side (run.jobs at a time): their phases fit in jobs × the run, never more.
    expect(run.jobs).toBeGreaterThanOrEqual(1);
    expect(run.totalMs).toBeGreaterThanOrEqual(run.pairwiseMs + run.reportMs!);
    expect(parts).toBeLessThanOrEqual(run.jobs! * run.totalMs!);
    const onDisk = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(onDisk.timing).toEqual(run);
    const terminal = renderTerminal(report, { color: false });
    expect(terminal).toMatch(/time to verdict [\d.]+ m?s \((1 backend at a time|\d+ backends at a time(, \d+ threads? each where the config sets none)?; phases summed over backends)\): open .*, embed .*, compare .*, downstream .*, batch invariance .*, pairwise .*, report writing [\d.]+ m?s/);
    expect(terminal).toContain('batch inv.');
  }, 120_000);

  it('the batch size does not change a vector beyond rounding', async () => {
    const one = await embed('cpu-fp32', 1);
    const many = await embed('cpu-fp32', 32);
    const { metrics } = compareMatrices(one.vectors, many.vectors, { atol: 1e-6, rtol: 0 }, corpus.ids);
    console.log(`cpu-fp32 batch 1 vs 32: max abs ${metrics.maxAbs.toExponential(3)}`);
    expect(metrics.mismatches).toBe(0);
    const ref1 = await embed('reference', 1, corpus.texts.slice(0, 40));
    const ref7 = await embed('reference', 7, corpus.texts.slice(0, 40));
    expect(Array.from(ref1.vectors.data)).toEqual(Array.from(ref7.vectors.data)); // no padding in the reference at all
  }, 120_000);

  it('the committed golden is what the reference computes now, and is unit-norm per text', async () => {
    const golden = readGolden(config.golden);
    expect(golden.vectors.dtype).toBe('<f8');
    expect(golden.meta?.corpus.sha256).toBe(corpus.sha256);
    const ref = await embed('reference', 16);
    expect(compareMatrices(golden.vectors, ref.vectors, { atol: 1e-12, rtol: 0 }).metrics.mismatches).toBe(0);
    for (let r = 0; r < golden.vectors.rows; r++) {
      let sq = 0;
      for (let d = 0; d < golden.vectors.dim; d++) sq += golden.vectors.data[r * golden.vectors.dim + d] ** 2;
      expect(Math.sqrt(sq)).toBeCloseTo(1, 12);
    }
  }, 120_000);

  it('a backend that cannot run is skipped with its reason; one that breaks is an error and the others finish', async () => {
    const out = tempDir();
    const { report } = await runParity({ out, backends: ['cuda-fp16', 'cpu-fp32'] });
    const cuda = report.backends[0];
    if (cuda.status === 'skipped') expect(cuda.reason).toMatch(/NVIDIA GPU|CUDA provider/);
    expect(report.backends[1].status).toBe('pass');

    const broken = { ...config.backends.find((b) => b.name === 'cpu-fp32')!, name: 'broken', options: { model: 'model.safetensors' } };
    const [backend] = createBackends([broken]);
    const outcome = await embedWithBackend({ backend, modelDir: broken.modelDir, texts: ['a'], batchSize: 1, timeoutMs: 60_000, contexts });
    expect(outcome.status).toBe('error');
    if (outcome.status === 'error') expect(outcome.reason).toMatch(/cannot create an ONNX Runtime session/);
  }, 120_000);
});
