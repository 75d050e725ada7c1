/**
 * The `openvino` runtime: OpenVINO's CPU plugin in the Python worker, harness tokenizer and pooling.
 * On tiny-bert's model.onnx it is compared with the float64 golden and with onnxruntime-node on the
 * same file; every number is computed here by the code under test.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, BackendSpec } from '../../../src/backends/backend.js';
import { OpenVinoBackend } from '../../../src/backends/openvino/runner.js';
import { createBackends, RUNTIMES } from '../../../src/backends/registry.js';
import { compareMatrices } from '../../../src/compare/metrics.js';
import { loadCorpus } from '../../../src/corpus/corpus.js';
import { InputError } from '../../../src/errors.js';
import { readGolden } from '../../../src/golden/golden.js';
import { ModelContexts } from '../../../src/tokenize/model-context.js';
import type { Matrix } from '../../../src/numeric/matrix.js';
import { FIXTURE, ROOT } from '../../support/helpers.js';
import { requirePythonEnv, VENV_PYTHON } from '../../support/installs.js';

const python = requirePythonEnv();
const corpus = loadCorpus(FIXTURE.corpus);
const golden = readGolden(FIXTURE.golden).vectors;
const contexts = new ModelContexts();
const opened: Backend[] = [];
/** Starting Python and compiling the model: a few seconds, more on the shared 2-core machine. */
const LOAD_MS = 180_000;

afterAll(async () => {
  for (const b of opened) await b.close();
});

function spec(name: string, options: Record<string, unknown>, runtime = 'openvino'): BackendSpec {
  return { name, runtime, modelDir: FIXTURE.model, options: { ...(runtime === 'openvino' ? { python: VENV_PYTHON } : {}), ...options }, configDir: ROOT };
}

async function embed(b: Backend, batchSize = 16): Promise<Matrix> {
  opened.push(b);
  expect(await b.availability()).toEqual({ available: true });
  const ctx = await contexts.get(FIXTURE.model);
  await b.open({ model: ctx.model, tokenizer: ctx.tokenizer, batchSize });
  return b.embed(corpus.texts);
}

describe('openvino options (no Python needed)', () => {
  it('rejects values that can never run, naming the backend and key', () => {
    expect(() => createBackends([spec('ov', { inferencePrecision: 'fp32' })])).toThrow(InputError);
    expect(() => createBackends([spec('ov', { inferencePrecision: 'fp32' })])).toThrow(/backend "ov": "inferencePrecision" must be one of f32, bf16, f16/);
    expect(() => createBackends([spec('ov', { threads: -1 })])).toThrow(/"threads" must be a non-negative integer/);
    expect(() => createBackends([spec('ov', { model: 3 })])).toThrow(/"model" must be an ONNX file path/);
  });

  it('f32 is the fp32 tolerance class, bf16 and f16 the fp16 one', () => {
    const precision = RUNTIMES.openvino.defaultPrecision!;
    expect([precision({}), precision({ inferencePrecision: 'f32' }), precision({ inferencePrecision: 'bf16' }), precision({ inferencePrecision: 'f16' })]).toEqual(['fp32', 'fp32', 'fp16', 'fp16']);
  });
});

describe.skipIf(!python.present)(python.title('openvino on tiny-bert'), () => {
  it('f32 matches the float64 golden and onnxruntime-node on the same ONNX file to fp32 rounding, and reports what compiled', async () => {
    const ov = createBackends([spec('ov-f32', {})])[0] as OpenVinoBackend;
    const vectors = await embed(ov);
    const ort = await embed(createBackends([spec('ort', {}, 'onnxruntime-node')])[0]);
    expect([vectors.rows, vectors.dim]).toEqual([golden.rows, golden.dim]);
    const vsGolden = compareMatrices(golden, vectors, { atol: 1e-5, rtol: 1.3e-6 }, corpus.ids).metrics;
    const vsOrt = compareMatrices(ort, vectors, { atol: 1e-5, rtol: 1.3e-6 }, corpus.ids).metrics;
    console.log(`openvino f32 on tiny-bert: max abs ${vsGolden.maxAbs.toExponential(3)} vs golden, ${vsOrt.maxAbs.toExponential(3)} vs onnxruntime-node`);
    // Measured here: 9.4e-7 vs the golden, 4.5e-7 vs onnxruntime-node: fp32 rounding (tiny-bert's
    // vectors are not normalized, so its errors are larger than MiniLM's); a wrong mask, pooling or
    // output would be >= 1e-3.
    expect(vsGolden.maxAbs).toBeGreaterThan(1e-10); // computed in float32, not a copy of the golden
    expect(vsGolden.maxAbs).toBeLessThan(5e-6);
    expect(vsOrt.maxAbs).toBeLessThan(5e-6);
    expect(vsGolden.cosineDeltaMax).toBeLessThan(1e-10);
    const env = ov.environment();
    expect(env).toMatchObject({ runtime: 'openvino', device: 'CPU', inferencePrecision: 'f32', output: 'last_hidden_state', pooledByModel: false });
    expect(String(env.version)).toMatch(/^\d{4}\.\d+\.\d+/);
    expect(env.inputs).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
    await ov.close();
  }, LOAD_MS);

  it('the batch size changes no vector beyond fp32 rounding, and threads reaches the plugin', async () => {
    const one = createBackends([spec('ov-1', { threads: 1 })])[0];
    const byOne = await embed(one, 1);
    expect(one.environment().inferenceNumThreads).toBe(1);
    const byMany = await embed(createBackends([spec('ov-16', {})])[0], 16);
    const between = compareMatrices(byOne, byMany, { atol: 1e-6, rtol: 0 }, corpus.ids).metrics;
    expect(between.maxAbs).toBeLessThan(1e-6);
  }, LOAD_MS);

  it('bf16 and f16 run only where the CPU plugin lists them, and say why not elsewhere', async () => {
    for (const precision of ['bf16', 'f16'] as const) {
      const b = createBackends([spec(`ov-${precision}`, { inferencePrecision: precision })])[0];
      opened.push(b);
      const availability = await b.availability();
      if (!availability.available) {
        expect(availability.reason).toMatch(new RegExp(`inferencePrecision ${precision} needs ${precision === 'bf16' ? 'BF16' : 'FP16'} in the CPU plugin's OPTIMIZATION_CAPABILITIES; OpenVINO \\d{4}\\.\\S+ on .+ lists FP32`));
        continue;
      }
      const ctx = await contexts.get(FIXTURE.model);
      await b.open({ model: ctx.model, tokenizer: ctx.tokenizer, batchSize: 16 });
      const vectors = await b.embed(corpus.texts);
      expect(b.environment().inferencePrecision).toBe(precision);
      const m = compareMatrices(golden, vectors, { atol: 1e-2, rtol: 0 }, corpus.ids).metrics;
      expect(m.maxAbs).toBeGreaterThan(1e-5); // really half precision
      expect(m.maxAbs).toBeLessThan(2e-2);
    }
  }, LOAD_MS);
});
