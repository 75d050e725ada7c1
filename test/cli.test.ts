/** The CLI as a user meets it: exit codes 0/1/2, one-line errors, nothing half-written. */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../src/compare/diagnosis.js';
import { compareMatrices } from '../src/compare/metrics.js';
import { readNpy, writeNpy } from '../src/npy/npy.js';
import { parity, ROOT, tempDir } from './support/helpers.js';

const golden = join(ROOT, 'golden/tiny-bert/default.npy');

describe('parity compare', () => {
  const dir = tempDir();
  const a = join(dir, 'a.npy');
  const b = join(dir, 'b.npy');
  writeNpy(a, { rows: 2, dim: 3, data: Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]) });
  writeNpy(b, { rows: 2, dim: 3, data: Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6 + 3e-5]) });

  it('exit 0 on identical files, 1 beyond tolerance with the location, --json parses', () => {
    expect(parity(['compare', a, a]).code).toBe(0);
    const fail = parity(['compare', a, b]);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toContain('Mismatched elements: 1 / 6');
    expect(fail.stdout).toMatch(/at text '1' dim 2/);
    const json = parity(['compare', a, b, '--json']);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.status).toBe('fail');
    expect(parsed.metrics.mismatches).toBe(1);
    expect(parsed.metrics.maxAbsAt).toMatchObject({ row: 1, dim: 2 });
    expect(parity(['compare', a, b, '--atol', '1e-4']).code).toBe(0);
  });

  it('exit 2 with one clear line for bad input, no stack trace unless --verbose', () => {
    const missing = parity(['compare', a, join(dir, 'nope.npy')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^parity: cannot read .*nope\.npy: ENOENT/);
    const notNpy = join(dir, 'x.npy');
    writeFileSync(notNpy, 'hello');
    expect(parity(['compare', a, notNpy]).stderr).toMatch(/not a \.npy file/);
    const verbose = parity(['compare', a, notNpy, '--verbose']);
    expect(verbose.code).toBe(2);
    expect(verbose.stderr).toMatch(/at .*npy/); // stack frames
    const badFlag = parity(['compare', a, b, '--atol', 'abc']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/--atol must be a non-negative number/);
    expect(parity(['frobnicate']).code).toBe(2);
  });

  it('attaches the same diagnoses as run: two files that differ only in norms say so (text and --json)', () => {
    const g = readNpy(golden);
    const scaled = { rows: g.rows, dim: g.dim, data: Float32Array.from(g.data, (x) => 2 * x) };
    const s = join(dir, 'scaled.npy');
    writeNpy(s, scaled);
    // What run attaches: diagnose() over the comparison with both matrices.
    const tolerance = { atol: 1e-5, rtol: 1.3e-6, mismatchRatio: 0 };
    const c = compareMatrices(g, scaled, tolerance);
    const expected = diagnose(c.metrics, c.details, { golden: g, actual: scaled });
    expect(expected.some((d) => d.startsWith('directions agree'))).toBe(true);
    const json = JSON.parse(parity(['compare', golden, s, '--json']).stdout);
    expect(json.diagnosis).toEqual(expected);
    const text = parity(['compare', golden, s]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`  diagnosis: ${expected[0]}\n`);
    expect(JSON.parse(parity(['compare', a, a, '--json']).stdout).diagnosis).toEqual([]);
  }, 60_000);

  it('two empty files (0 rows) are bad input, exit 2', () => {
    const e = join(dir, 'empty.npy');
    writeNpy(e, { rows: 0, dim: 3, data: new Float32Array(0) });
    const r = parity(['compare', e, e]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^parity: .*empty\.npy and .*empty\.npy both hold 0 rows: nothing to compare/);
  }, 60_000);

  it('a shape mismatch fails (exit 1) naming both shapes', () => {
    const c = join(dir, 'c.npy');
    writeNpy(c, { rows: 2, dim: 4, data: new Float32Array(8) });
    const r = parity(['compare', a, c]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('shape mismatch: backend gives (2, 4), golden is (2, 3)');
  });
});

describe('parity golden', () => {
  it('refuses to overwrite without --update and leaves the file untouched; --update replaces it', () => {
    const dir = tempDir();
    const out = join(dir, 'g.npy');
    const first = parity(['golden', '--backend', 'cpu-fp32', '--out', out]);
    expect(first.code).toBe(0);
    const meta = JSON.parse(readFileSync(join(dir, 'g.meta.json'), 'utf8'));
    expect(meta.backend.name).toBe('cpu-fp32');
    expect(meta.dtype).toBe('<f4');
    expect(meta.corpus.count).toBe(meta.corpus.ids.length);
    expect(Object.keys(meta.model.files)).toContain('onnx/model.onnx');
    expect(meta.packages['onnxruntime-node']).toMatch(/^\d+\.\d+/);
    const before = readFileSync(out);
    const again = parity(['golden', '--backend', 'cpu-fp32', '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists; pass --update/);
    expect(readFileSync(out).equals(before)).toBe(true);
    expect(parity(['golden', '--backend', 'cpu-fp16', '--out', out, '--update']).code).toBe(0);
    expect(readFileSync(out).equals(before)).toBe(false);
  }, 60_000);
});

describe('parity run', () => {
  it('exit 0 on the shipped config, table and report.json written', () => {
    const out = tempDir();
    const r = parity(['run', '--out', out, '--backend', 'cpu-fp32']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cpu-fp32\s*│\s*PASS/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.verdict).toBe('pass');
    expect(report.backends[0].metrics.total).toBe(report.golden.shape[0] * report.golden.shape[1]);
    expect(existsSync(join(out, 'vectors', 'cpu-fp32.npy'))).toBe(true);
  }, 60_000);

  it('exit 1 when a backend misses its tolerance', () => {
    const out = tempDir();
    const r = parity(['run', '--out', out, '--backend', 'cpu-fp16', '--atol', '1e-6', '--rtol', '0']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/cpu-fp16 fail: \d+ \/ \d+ elements/);
  }, 60_000);

  it('exit 2 on a golden made from a different corpus, an unknown backend, or a bad config key', () => {
    const dir = tempDir();
    const corpus = join(dir, 'other.jsonl');
    writeFileSync(corpus, '{"id": "a", "text": "hello"}\n');
    const wrongCorpus = parity(['run', '--corpus', corpus, '--out', dir]);
    expect(wrongCorpus.code).toBe(2);
    expect(wrongCorpus.stderr).toMatch(/was made from a different corpus/);
    expect(wrongCorpus.stderr.trim().split('\n')).toHaveLength(1);

    const unknown = parity(['run', '--backend', 'tpu-int4', '--out', dir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown backend "tpu-int4" \(configured in .*: reference, cpu-fp32/);

    const config = JSON.parse(readFileSync(join(ROOT, 'parity.config.json'), 'utf8'));
    config.backends[1].tolerance = { atoll: 1e-5 };
    for (const key of ['model', 'corpus', 'golden']) config[key] = join(ROOT, config[key]);
    const configPath = join(dir, 'bad.config.json');
    writeFileSync(configPath, JSON.stringify(config));
    const bad = parity(['run', '--config', configPath, '--out', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown key "backends\[1\]\.tolerance\.atoll" \(allowed: atol, rtol, cosine, mismatchRatio\)/);
    expect(existsSync(join(dir, 'report.json'))).toBe(false);
  }, 60_000);

  it('a corrupt golden is bad input (exit 2), not a crash', () => {
    const dir = tempDir();
    const bad = join(dir, 'g.npy');
    copyFileSync(golden, bad);
    writeFileSync(bad, readFileSync(bad).subarray(0, 200));
    const r = parity(['run', '--golden', bad, '--out', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/truncated/);
  });
});

describe('parity backends', () => {
  it('lists every configured backend with availability and the reason when not available', () => {
    const r = parity(['backends', '--json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { name: string; available: boolean; reason: string | null }[];
    const byName = Object.fromEntries(list.map((b) => [b.name, b]));
    expect(byName['cpu-fp32'].available).toBe(true);
    expect(byName['reference'].available).toBe(true);
    if (!byName['cuda-fp16'].available) expect(byName['cuda-fp16'].reason).toMatch(/NVIDIA GPU|CUDA provider/);
  }, 60_000); // the WebGPU entries start Chromium to read the adapter's features
});

describe('parity bisect', () => {
  it('names the first node where fp16 departs from fp32, with a per-node table in topological order', () => {
    const r = parity(['bisect', '--backend', 'cpu-fp16', '--against', 'cpu-fp32', '--json']);
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout);
    expect(result.firstDivergent.opType).toBe('LayerNormalization');
    expect(result.firstDivergent.node).toBe('/embeddings/LayerNorm/LayerNormalization');
    expect(result.firstDivergent.maxAbs).toBeGreaterThan(5e-3);
    const indexes = result.nodes.map((n: { index: number }) => n.index);
    expect(indexes).toEqual([...indexes].sort((a: number, b: number) => a - b));
    const table = parity(['bisect', '--backend', 'cpu-fp16', '--against', 'cpu-fp32']);
    expect(table.stdout).toMatch(/first divergent node: \/embeddings\/LayerNorm\/LayerNormalization/);
    const bad = parity(['bisect', '--backend', 'cpu-fp16', '--against', 'cpu-fp16']);
    expect(bad.code).toBe(2);
  }, 60_000);
});
