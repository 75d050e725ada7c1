/** `parity init`: what it reads from a model folder and this machine, and the config it writes. */
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { chooseGolden, EXAMPLE_CORPUS, initProject, planBackends } from '../../src/init/init.js';
import { classifyOnnxFile, inspectModel, type MachineInspection } from '../../src/init/inspect.js';
import { FIXTURE, parity, tempDir } from '../support/helpers.js';
import { requirePythonEnv, VENV_PYTHON } from '../support/installs.js';
import { tinyBertWithPrompts } from '../support/prompted-model.js';

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** A project folder holding a copy of the fixture model, as a user's repository would. */
function project(): { dir: string; model: string } {
  const dir = tempDir('parity-init-');
  temps.push(dir);
  const model = join(dir, 'models', 'my-model');
  cpSync(FIXTURE.model, model, { recursive: true });
  return { dir, model };
}

const bareMachine: MachineInspection = {
  chromium: { path: null, source: 'searched nothing (test)' },
  python: { command: 'python3', source: 'PATH', ok: false, reason: 'python3 (PATH) lacks torch (test)' },
  cuda: { available: false, reason: 'no NVIDIA GPU (test)' },
};
const browserMachine: MachineInspection = { ...bareMachine, chromium: { path: '/usr/bin/chromium', source: 'found at /usr/bin/chromium' } };
const pythonMachine: MachineInspection = { ...bareMachine, python: { command: '/venv/bin/python', source: 'PARITY_PYTHON', ok: true } };

describe('classifyOnnxFile', () => {
  it('maps the transformers.js / Optimum file names to a variant, precision and quantization', () => {
    const c = (f: string) => {
      const v = classifyOnnxFile(f);
      return [v.variant, v.precision, v.quantized];
    };
    expect(c('onnx/model.onnx')).toEqual(['fp32', 'fp32', false]);
    expect(c('onnx/model_fp16.onnx')).toEqual(['fp16', 'fp16', false]);
    expect(c('onnx/model_quantized.onnx')).toEqual(['q8', 'fp32', 8]);
    expect(c('onnx/model_int8.onnx')).toEqual(['int8', 'fp32', 8]);
    expect(c('onnx/model_q4.onnx')).toEqual(['q4', 'fp32', 4]);
    expect(c('onnx/model_q4f16.onnx')).toEqual(['q4f16', 'fp16', 4]);
    expect(c('model.onnx')).toEqual(['fp32', 'fp32', false]);
    expect(c('onnx/model_mha.onnx')).toEqual(['mha', 'fp32', false]);
    expect(c('onnx/model_O4_f16.onnx')).toEqual(['O4_f16', 'fp16', false]);
  });
});

describe('inspectModel on the shipped tiny-bert', () => {
  it('reads type, files, pooling, weights and which files use fused attention', () => {
    const m = inspectModel(FIXTURE.model);
    expect(m.modelType).toBe('bert');
    expect(m.onnx.map((v) => [v.file, v.variant, v.contribOps])).toEqual([
      ['onnx/model.onnx', 'fp32', []],
      ['onnx/model_fp16.onnx', 'fp16', []],
      ['onnx/model_mha.onnx', 'mha', ['MultiHeadAttention']],
    ]);
    expect([m.weights, m.tokenizer, m.pooling, m.normalize, m.maxSeqLength]).toEqual(['model.safetensors', true, 'mean', true, 128]);
    expect(m.prompts).toEqual({});
    expect(m.warnings).toEqual([]);
  });
});

describe('planBackends', () => {
  const model = inspectModel(FIXTURE.model);

  it('without a browser, Python or CUDA: reference, CPU and WebAssembly per file, reasons for the rest', () => {
    const { backends, notAdded } = planBackends(model, bareMachine);
    expect(backends.map((b) => `${b.name}:${b.runtime}:${b.precision}:${b.model ?? ''}`)).toEqual([
      'reference:reference:fp64:',
      'cpu-fp32:onnxruntime-node:fp32:onnx/model.onnx',
      'cpu-fp16:onnxruntime-node:fp16:onnx/model_fp16.onnx',
      'cpu-mha:onnxruntime-node:fp32:onnx/model_mha.onnx',
      'wasm-fp32:onnxruntime-web:fp32:onnx/model.onnx',
      'wasm-mha:onnxruntime-web:fp32:onnx/model_mha.onnx',
    ]);
    expect(backends.find((b) => b.name === 'cpu-fp16')!.tolerance).toEqual({ atol: 5e-3, rtol: 1e-3, cosine: 1e-4 });
    expect(backends.find((b) => b.name === 'cpu-fp32')!.tolerance).toEqual({ atol: 1e-5, rtol: 1.3e-6, cosine: 1e-6 });
    expect(notAdded.join('\n')).toMatch(/^cuda-\*: no NVIDIA GPU \(test\)$/m);
    expect(notAdded.join('\n')).toMatch(/^webgpu-\*: no Chromium or Google Chrome found/m);
    expect(notAdded.join('\n')).toMatch(/^transformers\.js: not added by default/m);
    expect(chooseGolden(backends)).toBe('reference');
  });

  it('with a browser: WebGPU per file, except the fused-attention file the default bundle rejects', () => {
    const { backends, notAdded } = planBackends(model, browserMachine);
    expect(backends.filter((b) => b.runtime === 'webgpu-browser').map((b) => `${b.name}:${b.model}:${b.bundle}`)).toEqual([
      'webgpu-fp32:onnx/model.onnx:default',
      'webgpu-fp16:onnx/model_fp16.onnx:default',
    ]);
    expect(notAdded.join('\n')).toMatch(/^webgpu-mha: onnx\/model_mha\.onnx uses com\.microsoft\.MultiHeadAttention/m);
  });

  it('with Python + torch + sentence-transformers: pytorch-fp64 and pytorch-fp32 first, entries the config accepts; pytorch-fp64 makes the golden', () => {
    const { backends } = planBackends(model, pythonMachine);
    expect(backends.map((b) => b.name).slice(0, 3)).toEqual(['pytorch-fp64', 'pytorch-fp32', 'reference']);
    expect(backends.slice(0, 2).map((b) => [b.name, b.runtime, b.dtype, b.device, b.precision])).toEqual([
      ['pytorch-fp64', 'sentence-transformers', 'float64', 'cpu', 'fp64'],
      ['pytorch-fp32', 'sentence-transformers', 'float32', 'cpu', 'fp32'],
    ]);
    expect(chooseGolden(backends)).toBe('pytorch-fp64');
    expect(backends[0].note).toMatch(/^SentenceTransformer\(model\) in PyTorch float64 on CPU \(\/venv\/bin\/python\)/);
    const parsed = parseConfig({ model: FIXTURE.model, corpus: FIXTURE.corpus, golden: FIXTURE.golden, backends }, join(FIXTURE.model, 'parity.config.json'));
    expect(parsed.backends.slice(0, 2).map((b) => [b.name, b.options, b.precision, b.tolerance.atol])).toEqual([
      ['pytorch-fp64', { dtype: 'float64', device: 'cpu' }, 'fp64', 1e-7],
      ['pytorch-fp32', { dtype: 'float32', device: 'cpu' }, 'fp32', 1e-5],
    ]);
    // Without Python + torch the entries stay out and the reason is the probe's.
    expect(planBackends(model, bareMachine).notAdded[0]).toBe('pytorch-fp64/pytorch-fp32 (sentence-transformers): python3 (PATH) lacks torch (test)');
  });

  it('a non-BERT model gets no reference; cpu-fp32 makes the golden; quantized files get loose starting tolerances', () => {
    const { model: modelDir } = project();
    const cfg = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8'));
    writeFileSync(join(modelDir, 'config.json'), JSON.stringify({ ...cfg, model_type: 'xlm-roberta' }));
    cpSync(join(modelDir, 'onnx', 'model.onnx'), join(modelDir, 'onnx', 'model_quantized.onnx'));
    const { backends, notAdded } = planBackends(inspectModel(modelDir), bareMachine);
    expect(backends.some((b) => b.name === 'reference')).toBe(false);
    expect(notAdded).toContain('reference: the float64 TypeScript oracle is BERT-only and this model is "xlm-roberta"');
    expect(chooseGolden(backends)).toBe('cpu-fp32');
    const q8 = backends.find((b) => b.name === 'cpu-q8')!;
    expect([q8.model, q8.precision, q8.tolerance]).toEqual(['onnx/model_quantized.onnx', 'fp32', { atol: 0.1, rtol: 0, cosine: 0.08 }]);
    expect(q8.note).toMatch(/measured on the real all-MiniLM-L6-v2/);
    expect(() => chooseGolden(backends, 'reference')).toThrow(/--golden-backend "reference" is not one of the backends init can write here: cpu-fp32, /);
  });
});

describe('initProject', () => {
  it('writes a config run accepts, with paths relative to it, and copies the example corpus when there is none', () => {
    const { dir } = project();
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const r = initProject({ machine: bareMachine });
      expect(r.configPath).toBe(join(dir, 'parity.config.json'));
      const written = JSON.parse(readFileSync(r.configPath, 'utf8'));
      expect([written.model, written.corpus, written.golden]).toEqual(['models/my-model', 'parity/corpus.jsonl', 'parity/golden.npy']);
      expect(readFileSync(join(dir, 'parity', 'corpus.jsonl'), 'utf8')).toBe(readFileSync(EXAMPLE_CORPUS, 'utf8'));
      expect(r.copiedCorpus).toBe(join(dir, 'parity', 'corpus.jsonl'));
      const parsed = parseConfig(written, r.configPath);
      expect(parsed.model).toBe(join(dir, 'models', 'my-model'));
      expect(parsed.backends.map((b) => b.name)).toEqual(['reference', 'cpu-fp32', 'cpu-fp16', 'cpu-mha', 'wasm-fp32', 'wasm-mha']);
      expect(written.backends[0].note).toMatch(/^Makes the golden \(npx parity golden --backend reference\)/);
      expect(r.next).toEqual(['npx parity golden --backend reference', 'npx parity run']);
      expect(r.text).toContain('wrote parity.config.json with 6 backends (golden from reference):');

      // Never overwrites: the second init is an error and the file is byte-identical.
      const before = readFileSync(r.configPath, 'utf8');
      expect(() => initProject({ machine: bareMachine })).toThrow(/parity\.config\.json already exists; parity init never overwrites a config/);
      expect(readFileSync(r.configPath, 'utf8')).toBe(before);

      // A user's corpus is used in place and nothing is copied.
      writeFileSync(join(dir, 'texts.txt'), 'one\ntwo\n');
      const r2 = initProject({ machine: bareMachine, config: 'other/parity.config.json', corpus: 'texts.txt', goldenBackend: 'cpu-fp32' });
      const w2 = JSON.parse(readFileSync(r2.configPath, 'utf8'));
      expect([w2.model, w2.corpus, r2.goldenBackend, r2.copiedCorpus]).toEqual(['../models/my-model', '../texts.txt', 'cpu-fp32', null]);
      expect(r2.next).toEqual(['npx parity golden --backend cpu-fp32 --config other/parity.config.json', 'npx parity run --config other/parity.config.json']);
    } finally {
      process.chdir(cwd);
    }
  });

  it('a model with prompts: init says the default prompt is applied and how to choose another, not to edit the corpus', () => {
    const dir = tempDir('parity-init-');
    temps.push(dir);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      tinyBertWithPrompts(dir);
      const r = initProject({ machine: bareMachine, model: 'tiny-bert-prompts' });
      expect(r.text).toContain('prompts: query = "query: ", passage = "passage: " (default: query) — every backend embeds the "query" prompt + each text, as encode() does;');
      expect(r.text).toContain('--prompt-name NAME ("" for none); keep the corpus texts without it');
      expect(r.text).not.toMatch(/put the prompt into the corpus/);
    } finally {
      process.chdir(cwd);
    }
  });

  it('finds the model folder by itself when there is exactly one, and says what to pass otherwise', () => {
    const { dir } = project();
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(initProject({ machine: bareMachine }).config.model).toBe('models/my-model');
      rmSync(join(dir, 'parity.config.json'));
      cpSync(join(dir, 'models', 'my-model'), join(dir, 'models', 'second'), { recursive: true });
      expect(() => initProject({ machine: bareMachine })).toThrow(/found 2 model folders \(models\/my-model, models\/second\); pass --model DIR/);
      const empty = tempDir('parity-init-empty-');
      temps.push(empty);
      process.chdir(empty);
      expect(() => initProject({ machine: bareMachine })).toThrow(/no model folder \(config\.json beside onnx\/\*\.onnx\) under .*; pass --model DIR — or try the shipped example: --model .*fixtures\/models\/tiny-bert/);
      expect(existsSync(join(empty, 'parity.config.json'))).toBe(false);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('initProject on a checkpoint with weights and no ONNX file', () => {
  it('prints the exact parity export command first, and still writes the PyTorch backends when Python is there', () => {
    const { dir, model } = project();
    rmSync(join(model, 'onnx'), { recursive: true });
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const r = initProject({ model: 'models/my-model', machine: pythonMachine });
      expect(r.next[0]).toBe('npx parity export --model models/my-model');
      expect(r.text).toContain('warning: it has model.safetensors: make its ONNX files with `npx parity export --model models/my-model`, then run init again (with --config OTHER.json) for their backends');
      const names = (r.config.backends as { name: string }[]).map((b) => b.name);
      expect(names.filter((n) => n.startsWith('cpu-') || n.startsWith('wasm-'))).toEqual([]);
      expect(names).toEqual(expect.arrayContaining(['pytorch-fp64', 'pytorch-fp32', 'reference']));
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('parity init and a newcomer in an empty folder (CLI)', () => {
  it('run without a config names `npx parity init`; init writes one; a second init refuses, exit 2', () => {
    const { dir } = project();
    const noConfig = parity(['run'], { cwd: dir });
    expect(noConfig.code).toBe(2);
    expect(noConfig.stderr).toBe(`parity: no parity.config.json in ${dir}; run \`npx parity init\` to write one for your model (or pass --config FILE)\n`);
    const init = parity(['init', '--model', 'models/my-model'], { cwd: dir, env: { PARITY_PYTHON: '/nonexistent/python' } });
    expect(init.code).toBe(0);
    expect(init.stdout).toMatch(/^model models\/my-model: bert \(BertModel\), mean pooling \+ normalize, max_seq_length 128$/m);
    expect(init.stdout).toMatch(/^next:\n {2}npx parity golden --backend reference\n {2}npx parity run\n$/m);
    const again = parity(['init'], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^parity: .*parity\.config\.json already exists; parity init never overwrites a config/);
  });
});

const pythonEnv = requirePythonEnv();

describe.skipIf(!pythonEnv.present)(pythonEnv.title('parity init with the project\'s Python environment (torch + sentence-transformers)'), () => {
  it('writes pytorch-fp64 as the golden backend; golden from it, then run against it, exit 0', () => {
    const { dir } = project();
    const env = { PARITY_PYTHON: VENV_PYTHON };
    const init = parity(['init'], { cwd: dir, env });
    expect(init.code).toBe(0);
    expect(init.stdout).toContain(`machine: browser `);
    expect(init.stdout).toContain(`Python ${VENV_PYTHON} with torch + sentence-transformers`);
    const written = JSON.parse(readFileSync(join(dir, 'parity.config.json'), 'utf8'));
    expect(written.backends.slice(0, 3).map((b: { name: string; runtime: string }) => `${b.name}:${b.runtime}`)).toEqual([
      'pytorch-fp64:sentence-transformers',
      'pytorch-fp32:sentence-transformers',
      'reference:reference',
    ]);
    expect(init.stdout).toContain('npx parity golden --backend pytorch-fp64\n');
    const golden = parity(['golden', '--backend', 'pytorch-fp64'], { cwd: dir, env });
    expect(golden.stderr).toBe('');
    expect(golden.stdout).toBe('wrote parity/golden.npy (289×64 <f8) and its .meta.json\n');
    const run = parity(['run', '--json', '--backend', 'pytorch-fp64', '--backend', 'reference', '--backend', 'cpu-fp32'], { cwd: dir, env });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    const by = Object.fromEntries(report.backends.map((b: { name: string; status: string; metrics: { maxAbs: number } }) => [b.name, b]));
    expect([by['pytorch-fp64'].status, by.reference.status, by['cpu-fp32'].status]).toEqual(['pass', 'pass', 'pass']);
    // Two float64 implementations agree to summation order; fp32 ONNX Runtime to float32 rounding.
    expect(by.reference.metrics.maxAbs).toBeLessThan(1e-12);
    expect(by['cpu-fp32'].metrics.maxAbs).toBeGreaterThan(1e-8);
    expect(by['cpu-fp32'].metrics.maxAbs).toBeLessThan(1e-5);
  }, 300_000);
});
