/** The `file` runtime: precomputed .npy vectors compared like any backend's. */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE, parity, ROOT } from '../../support/helpers.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendContext } from '../../../src/backends/backend.js';
import { FileBackend } from '../../../src/backends/file/runner.js';
import { loadCorpus } from '../../../src/corpus/corpus.js';
import { BackendError, InputError } from '../../../src/errors.js';
import { sha256File } from '../../../src/io/hash.js';
import { loadModelInfo } from '../../../src/model/model-folder.js';
import { readNpy, writeNpy } from '../../../src/npy/npy.js';
import { runParity } from '../../../src/run/run.js';

const { model: MODEL, corpus: CORPUS, golden: GOLDEN } = FIXTURE;

const corpus = loadCorpus(CORPUS);
const golden = readNpy(GOLDEN);
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parity-file-'));
  // The golden as float32 (what a PyTorch run would save), and one with the last row missing.
  writeNpy(join(dir, 'f32.npy'), { rows: golden.rows, dim: golden.dim, data: Float32Array.from(golden.data) });
  writeNpy(join(dir, 'short.npy'), { rows: golden.rows - 1, dim: golden.dim, data: Float32Array.from(golden.data.subarray(0, (golden.rows - 1) * golden.dim)) });
  writeFileSync(join(dir, 'f32.meta.json'), JSON.stringify({ createdAt: '2026-01-02T03:04:05.000Z', backend: { name: 'st-cpu', runtime: 'sentence-transformers' } }));
  copyFileSync(GOLDEN, join(dir, 'golden-copy.npy'));
  writeFileSync(join(dir, 'not-npy.npy'), 'hello');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = (options: Record<string, unknown>, configDir?: string) => ({ name: 'pt', runtime: 'file', modelDir: MODEL, options, configDir });

describe('file backend', () => {
  it('runParity: a matching file passes, a short one errors with both counts, a missing one is skipped', async () => {
    const config = join(dir, 'parity.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        model: MODEL,
        corpus: CORPUS,
        golden: GOLDEN,
        backends: [
          { name: 'pytorch-f32', runtime: 'file', path: join(dir, 'f32.npy'), precision: 'fp32' },
          { name: 'golden-copy', runtime: 'file', path: join(dir, 'golden-copy.npy'), precision: 'fp64', tolerance: { atol: 0, rtol: 0 } },
          { name: 'short', runtime: 'file', path: join(dir, 'short.npy') },
          { name: 'missing', runtime: 'file', path: join(dir, 'nope.npy') },
        ],
      }),
    );
    const { report } = await runParity({ config, out: join(dir, 'report') });
    const [f32, copy, short, missing] = report.backends;
    expect(f32.status).toBe('pass');
    expect(f32.environment).toMatchObject({ runtime: 'file', dtype: '<f4', shape: [golden.rows, golden.dim], sha256: sha256File(join(dir, 'f32.npy')) });
    expect(f32.environment.meta).toMatchObject({ backend: { name: 'st-cpu' }, createdAt: '2026-01-02T03:04:05.000Z' });
    expect(copy.status).toBe('pass');
    expect(copy.metrics!.maxAbs).toBe(0);
    expect(short.status).toBe('error');
    expect(short.reason).toContain(`has ${golden.rows - 1} rows but the corpus has at least ${corpus.texts.length} texts`);
    expect(missing.status).toBe('skipped');
    expect(missing.reason).toMatch(/nope\.npy not found/);
    expect(report.verdict).toBe('error');
  });

  it('resolves "path" against the config folder', async () => {
    const b = new FileBackend(spec({ path: 'f32.npy' }, dir));
    expect(b.path).toBe(join(dir, 'f32.npy'));
    expect(await b.availability()).toEqual({ available: true });
    await b.open({} as BackendContext);
    const m = await b.embed(corpus.texts);
    expect(m.data).toEqual(Float32Array.from(golden.data));
  });

  it('a file that is not .npy is an error naming the backend', async () => {
    const b = new FileBackend(spec({ path: join(dir, 'not-npy.npy') }));
    await expect(b.open({} as BackendContext)).rejects.toThrow(BackendError);
    await expect(b.open({} as BackendContext)).rejects.toThrow(/^pt: .*not a \.npy file/);
  });

  describe('vectors made with another prompt or truncateDim than the run: refused like such a golden', () => {
    // xlm-roberta's default prompt is "query"; its committed goldens were made with "query" and "passage".
    const XLMR = join(ROOT, 'fixtures/models/arch/xlm-roberta');
    const copy = (name: string) => {
      for (const ext of ['.npy', '.meta.json']) copyFileSync(join(ROOT, 'golden/arch', name + ext), join(dir, name + ext));
      return join(dir, name + '.npy');
    };
    const xlmrConfig = (path: string): string => {
      const config = join(dir, `xlmr-${Math.random().toString(36).slice(2)}.config.json`);
      const golden = join(ROOT, 'golden/arch/xlm-roberta.npy');
      writeFileSync(config, JSON.stringify({ model: XLMR, corpus: CORPUS, golden, checks: { batchInvarianceSample: 0 }, backends: [{ name: 'st', runtime: 'file', path, precision: 'fp64' }] }));
      return config;
    };

    it('a meta with another prompt: runParity refuses before anything runs; the same prompt passes', async () => {
      const passage = copy('xlm-roberta.prompt-passage');
      await expect(runParity({ config: xlmrConfig(passage), out: join(dir, 'xlmr-passage') })).rejects.toThrow(InputError);
      await expect(runParity({ config: xlmrConfig(passage), out: join(dir, 'xlmr-passage') })).rejects.toThrow(
        /^backend "st": .*xlm-roberta\.prompt-passage\.npy \(.*xlm-roberta\.prompt-passage\.meta\.json\) was made with prompt "passage" and this run uses prompt "query": pass --prompt-name passage \(or set "promptName"\), or make the vectors again/,
      );
      const { report } = await runParity({ config: xlmrConfig(copy('xlm-roberta')), out: join(dir, 'xlmr-query') });
      expect(report.backends[0].status).toBe('pass');
      expect(report.backends[0].metrics!.maxAbs).toBe(0);
    }, 60_000);

    it('on the command line: exit 2, one line', () => {
      const r = parity(['run', '--config', xlmrConfig(copy('xlm-roberta.prompt-passage')), '--out', join(dir, 'xlmr-cli')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/backend "st": .* was made with prompt "passage" and this run uses prompt "query"/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }, 60_000);

    it('open() refuses them too (any command that opens the backend), as it does another truncateDim', async () => {
      const passage = copy('xlm-roberta.prompt-passage');
      const b = new FileBackend(spec({ path: passage }));
      await expect(b.open({ model: loadModelInfo(XLMR) } as BackendContext)).rejects.toThrow(/was made with prompt "passage" and this run uses prompt "query"/);
      await expect(b.open({ model: loadModelInfo(XLMR, { promptName: null }) } as BackendContext)).rejects.toThrow(/and this run uses no prompt: pass --prompt-name passage/);
      await b.open({ model: loadModelInfo(XLMR, { promptName: 'passage' }) } as BackendContext);
      expect((await b.embed(corpus.texts)).rows).toBe(corpus.texts.length);
      writeFileSync(join(dir, 'dim16.meta.json'), JSON.stringify({ promptName: null, truncateDim: 16 }));
      copyFileSync(passage, join(dir, 'dim16.npy'));
      await expect(new FileBackend(spec({ path: join(dir, 'dim16.npy') })).open({ model: loadModelInfo(MODEL) } as BackendContext)).rejects.toThrow(
        /was made with truncateDim 16 and this run uses none: set "truncateDim" to match/,
      );
    });
  });

  it('a folder is not available; a missing "path" is a config error', async () => {
    expect(await new FileBackend(spec({ path: dir })).availability()).toMatchObject({ available: false });
    expect(() => new FileBackend(spec({}))).toThrow(InputError);
    expect(() => new FileBackend(spec({ path: 3 }))).toThrow(/backend "pt": "path"/);
  });
});
