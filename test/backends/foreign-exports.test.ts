/**
 * Exports parity did not make (issue 17 §2), made here by test/support/make_foreign_exports.py from
 * tiny-bert: a plain torch.onnx.export with anonymous outputs (the shapes decide), one with several
 * [batch, seq, hidden] outputs (only the config's "output" decides), and one with int32 inputs, no
 * token_type_ids, a fixed sequence length and external data. Each must give the float64 golden's
 * vectors within fp32 tolerance through onnxruntime-node, as parity's own model.onnx does.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackends, RUNTIMES } from '../../src/backends/registry.js';
import { initProject } from '../../src/init/init.js';
import type { MachineInspection } from '../../src/init/inspect.js';
import { loadCorpus } from '../../src/corpus/corpus.js';
import { readGolden } from '../../src/golden/golden.js';
import { ModelContexts } from '../../src/tokenize/model-context.js';
import { FIXTURE, ROOT, tempDir } from '../support/helpers.js';
import { requirePythonEnv, VENV_PYTHON } from '../support/installs.js';

const FP32 = { atol: 1e-5, rtol: 1.3e-6 };
const python = requirePythonEnv();
const corpus = loadCorpus(FIXTURE.corpus);
const golden = readGolden(FIXTURE.golden).vectors;
const contexts = new ModelContexts();
let out = '';
const bareMachine: MachineInspection = {
  chromium: { path: null, source: 'searched nothing (test)' },
  python: { command: 'python3', source: 'PATH', ok: false, reason: 'not checked (test)' },
  cuda: { available: false, reason: 'no NVIDIA GPU (test)' },
  runtimes: Object.keys(RUNTIMES),
};

beforeAll(() => {
  if (!python.present) return;
  out = tempDir('parity-foreign-');
  // 128: tiny-bert's max_seq_length, so every corpus text fits the fixed length.
  const r = spawnSync(VENV_PYTHON, [join(ROOT, 'test/support/make_foreign_exports.py'), FIXTURE.model, out, '--fixed-seq', '128'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`make_foreign_exports.py failed: ${r.stderr}`);
}, 600_000);
afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

async function embed(file: string, options: Record<string, unknown> = {}, runtime = 'onnxruntime-node') {
  const [b] = createBackends([{ name: 'foreign', runtime, modelDir: FIXTURE.model, options: { model: join(out, file), ...options } }]);
  const ctx = await contexts.get(FIXTURE.model);
  try {
    await b.open({ model: ctx.model, tokenizer: ctx.tokenizer, batchSize: 16 });
    const vectors = await b.embed(corpus.texts);
    return { vectors, environment: b.environment() };
  } finally {
    await b.close();
  }
}

/** The worst |a - g| / (atol + rtol·|g|) over every element (<= 1 passes fp32 tolerance). */
function worst(a: { data: ArrayLike<number> }): number {
  let w = 0;
  for (let i = 0; i < golden.data.length; i++) w = Math.max(w, Math.abs(a.data[i] - golden.data[i]) / (FP32.atol + FP32.rtol * Math.abs(golden.data[i])));
  return w;
}

describe.skipIf(!python.present)(python.title('exports parity did not make'), () => {
  it('anonymous outputs, no key: the one [batch, seq, hidden] output is chosen by shape and matches the golden', async () => {
    const { vectors, environment } = await embed('anonymous.onnx');
    expect(environment.outputChosenBy).toBe('shape');
    expect([vectors.rows, vectors.dim]).toEqual([golden.rows, golden.dim]);
    expect(worst(vectors)).toBeLessThanOrEqual(1);
  }, 60_000);

  it('several [batch, seq, hidden] outputs: the error lists them with shapes and the config line; naming "output" runs', async () => {
    const error = await embed('hidden.onnx').then(() => null, (e: Error) => e);
    expect(error?.message).toMatch(/^foreign: cannot tell which output holds the embeddings: "([^"]+)" \[\S+, \S+, 64\], "\d+" \[\S+, 64\], .* \(hidden_size 64 from config.json; \d fit \[batch, seq, hidden\] and 1 fit \[batch, hidden\]\); name one in this backend's entry of parity.config.json, e.g. "output": "\1", "outputKind": "token_embeddings"$/);
    const first = /"output": "([^"]+)"/.exec(error!.message)![1];
    const { vectors, environment } = await embed('hidden.onnx', { output: first });
    expect(environment.outputChosenBy).toBe('config');
    expect(worst(vectors)).toBeLessThanOrEqual(1);
  }, 60_000);

  it('int32 inputs without token_type_ids, a fixed sequence length and external data: fed padded to 128, matches the golden', async () => {
    const { vectors, environment } = await embed('fixed.onnx');
    expect(environment.inputTypes).toEqual(['input_ids int32 [batch, 128]', 'attention_mask int32 [batch, 128]']);
    expect(environment.fixedSequenceLength).toBe(128);
    expect(environment.padding).toBe("every batch padded to the export's fixed sequence length 128");
    expect(worst(vectors)).toBeLessThanOrEqual(1);
    // onnxruntime-web reads no file itself: the external data goes to it as bytes.
    const web = await embed('fixed.onnx', {}, 'onnxruntime-web');
    expect(web.environment.fixedSequenceLength).toBe(128);
    expect(worst(web.vectors)).toBeLessThanOrEqual(1);
  }, 120_000);

  it('init writes "output" when the shapes chose it, and leaves out a file whose outputs do not say, with the listing', () => {
    const dir = tempDir('parity-foreign-init-');
    try {
      const model = join(dir, 'model');
      cpSync(FIXTURE.model, model, { recursive: true, filter: (src) => !src.includes(`${FIXTURE.model}/onnx`) || src === join(FIXTURE.model, 'onnx') });
      copyFileSync(join(out, 'anonymous.onnx'), join(model, 'onnx', 'model.onnx'));
      copyFileSync(join(out, 'hidden.onnx'), join(model, 'onnx', 'model_hidden.onnx'));
      const r = initProject({ model, config: join(dir, 'parity.config.json'), machine: bareMachine });
      const cpu = (r.config.backends as Record<string, unknown>[]).find((b) => b.name === 'cpu-fp32')!;
      expect(cpu.output).toMatch(/\S/);
      expect(cpu.model).toBe('onnx/model.onnx');
      expect((r.config.backends as Record<string, unknown>[]).some((b) => String(b.model).includes('hidden'))).toBe(false);
      expect(r.notAdded.find((n) => n.startsWith('onnx/model_hidden.onnx: cannot tell which output holds the embeddings'))).toMatch(/"outputKind": "token_embeddings"$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
