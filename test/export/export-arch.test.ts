/**
 * `parity export` on checkpoints that have only model.safetensors (issue 17 §1), one fresh project per
 * architecture fixture: export (onnx, checked against PyTorch float64 before it is kept) → init →
 * golden from pytorch-fp64 → run of the exported file, green. Kept cheap: tiny fixtures, the fp32
 * target only, a 6-text corpus, and only the exported backend in the run. The ModernBERT export is
 * re-run with --force to show the file comes out byte-identical; an architecture the exporter does
 * not handle is one line, exit 2.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE, parity, ROOT, tempDir } from '../support/helpers.js';
import { requireBuild, requirePythonEnv, VENV_PYTHON } from '../support/installs.js';

const python = requirePythonEnv();
const build = requireBuild(join(ROOT, 'dist', 'cli.js'));
const env = { PARITY_PYTHON: VENV_PYTHON };
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

const FIXTURES: [string, string][] = [
  ['BERT', FIXTURE.model],
  ['MPNet', join(ROOT, 'fixtures/models/arch/mpnet')],
  ['XLM-RoBERTa', join(ROOT, 'fixtures/models/arch/xlm-roberta')],
  ['ModernBERT', join(ROOT, 'fixtures/models/arch/modernbert')],
  ['Qwen3 (last-token pooling)', join(ROOT, 'fixtures/models/arch/qwen3')],
];

/** A fresh project holding the checkpoint without its ONNX files, and a 6-text corpus. */
function project(source: string): string {
  const dir = tempDir('parity-export-');
  temps.push(dir);
  cpSync(source, join(dir, 'm'), { recursive: true, filter: (src) => !src.startsWith(join(source, 'onnx')) });
  writeFileSync(join(dir, 'corpus.jsonl'), readFileSync(FIXTURE.corpus, 'utf8').split('\n').slice(0, 6).join('\n') + '\n');
  return dir;
}

const slow = { timeout: 1_800_000 };
const cli = (args: string[], cwd: string) => {
  const r = parity(args, { cwd, env, timeout: 1_200_000 });
  return { ...r, all: `${r.stdout}\n${r.stderr}` };
};

describe.skipIf(!python.present || !build.present)(python.title(build.title('parity export → init → golden → run on a checkpoint with only safetensors')), () => {
  it.each(FIXTURES)('%s', (name, source) => {
    const dir = project(source);
    const exported = cli(['export', '--model', 'm', '--to', 'onnx'], dir);
    expect(exported.code, exported.all).toBe(0);
    expect(exported.stdout).toMatch(/ {2}onnx\/model\.onnx: pass against PyTorch float64 on 8 texts: max abs \S+, cosine Δ \S+ \(atol 1\.00e-5 rtol 1\.30e-6 cosine 1\.00e-6\)\n/);
    expect(exported.stdout).toContain('kept 1 of 1 files');
    const manifest = JSON.parse(readFileSync(join(dir, 'm', 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.files)).toEqual(['onnx/model.onnx']);
    expect(manifest.inputs.tools.torch).toMatch(/^2\.13\.0/);

    const init = cli(['init', '--model', 'm', '--corpus', 'corpus.jsonl'], dir);
    expect(init.code, init.all).toBe(0);
    const config = JSON.parse(readFileSync(join(dir, 'parity.config.json'), 'utf8'));
    expect(config.backends.map((b: { name: string }) => b.name)).toEqual(expect.arrayContaining(['pytorch-fp64', 'cpu-fp32']));
    const golden = cli(['golden', '--backend', 'pytorch-fp64'], dir);
    expect(golden.code, golden.all).toBe(0);
    const run = cli(['run', '--backend', 'cpu-fp32', '--out', 'out'], dir);
    expect(run.code, run.all).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8'));
    expect(report.backends[0]).toMatchObject({ name: 'cpu-fp32', status: 'pass' });
    console.log(`${name}: cpu-fp32 against pytorch-fp64: max abs ${report.backends[0].metrics.maxAbs}`);

    if (name === 'ModernBERT') {
      const again = cli(['export', '--model', 'm', '--to', 'onnx'], dir);
      expect(again.stdout).toContain('is up to date');
      const forced = cli(['export', '--model', 'm', '--to', 'onnx', '--force'], dir);
      expect(forced.code, forced.all).toBe(0);
      expect(forced.stdout).toContain('onnx/model.onnx unchanged');
    }
  }, slow.timeout);

  it('an architecture the exporter does not handle: one line naming it, exit 2', () => {
    const dir = project(FIXTURE.model);
    const cfgPath = join(dir, 'm', 'config.json');
    writeFileSync(cfgPath, JSON.stringify({ ...JSON.parse(readFileSync(cfgPath, 'utf8')), model_type: 'gpt2', architectures: ['GPT2Model'] }));
    const r = cli(['export', '--model', 'm', '--to', 'onnx'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `parity: model_type 'gpt2' (GPT2Model) in ${join(dir, 'm', 'config.json')}: parity export handles bert, modernbert, mpnet, qwen3, xlm-roberta; export it with optimum-cli export onnx --task feature-extraction and point parity at the file\n`,
    );
  }, slow.timeout);
});
