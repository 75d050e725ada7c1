/**
 * `parity sweep` and the long-reach fixtures: probes of exact length, the per-length comparison, the
 * diagnosis sentence, the rotary clamp as a named shape error, and where an additive -5e4 sentinel
 * under ALiBi does (padded rows) and does not (real rows) change an encoder's output.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { pickTrusted, runSweep } from '../../src/sweep/sweep.js';
import { comparePoint, errorKind, judgeLengths, lengthRows } from '../../src/sweep/judge.js';
import { summarize } from '../../src/sweep/diagnosis.js';
import type { SweepBackend, SweepPoint, SweepResult } from '../../src/sweep/result.js';
import type { MeasuredRows } from '../../src/evaluate/lengths.js';
import { parseExpectation } from '../../src/config/expectation.js';
import type { BackendConfig } from '../../src/config/config.js';
import { probeText, singleTokenWords } from '../../src/sweep/probes.js';
import { renderSweepHtml, renderSweepTable } from '../../src/sweep/render.js';
import { readSweep } from '../../src/sweep/read.js';
import { HTML_STYLE } from '../../src/report/html-style.js';
import { loadModelInfo } from '../../src/model/model-folder.js';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';
import { parity, ROOT, tempDir } from '../support/helpers.js';
import { requireBuild } from '../support/installs.js';

const ALIBI = join(ROOT, 'fixtures/models/tiny-alibi');
const tol = { atol: 1e-5, rtol: 1.3e-6, mismatchRatio: 0 };
const build = requireBuild(join(ROOT, 'dist', 'run', 'backend-worker.js'));

/** parity.config.json (tiny-bert) with absolute paths, its backends edited, written to a temp folder. */
function tinyBertConfig(edit: (backends: Record<string, unknown>[]) => Record<string, unknown>[], top: Record<string, unknown> = {}): string {
  const config = JSON.parse(readFileSync(join(ROOT, 'parity.config.json'), 'utf8'));
  for (const key of ['model', 'corpus', 'golden']) config[key] = join(ROOT, config[key]);
  config.backends = edit(config.backends);
  const path = join(tempDir(), 'parity.config.json');
  writeFileSync(path, JSON.stringify({ ...config, ...top }));
  return path;
}

const FAKE_SERVER = join(ROOT, 'test/support/fake-embedding-server.mjs');

/** An http backend served by the stand-in server in `mode`; with `within`, an expectation that applies to it. */
function fakeServed(name: string, mode: string, within?: Record<string, unknown>): Record<string, unknown> {
  return {
    name,
    runtime: 'http',
    precision: 'fp32',
    url: '/v1/embeddings',
    apiModel: 'fake',
    retries: 0,
    serve: { command: [process.execPath, FAKE_SERVER, '{port}', mode], env: { FAKE_DIM: '64' }, startupTimeoutMs: 20_000, stopTimeoutMs: 2_000 },
    tolerance: tol,
    ...(within ? { expect: { status: 'fail', reason: 'the stand-in server', when: { engine: { eq: 'fake-engine' } }, within } } : {}),
  };
}

describe('sweep probes', () => {
  it('are exactly the asked number of tokens, deterministic, from single-token vocabulary words', async () => {
    const info = loadModelInfo(ALIBI);
    const tokenizer = await loadTokenizer(info);
    const words = singleTokenWords(ALIBI, tokenizer);
    expect(words.length).toBeGreaterThan(500);
    for (const length of [3, 8, 100, 1000]) {
      const p = probeText(words, tokenizer, length, 12)!;
      expect(tokenizer.encode(p.text).ids.length).toBe(length);
      expect(probeText(words, tokenizer, length, 12)!.text).toBe(p.text);
      expect(probeText(words, tokenizer, length, 13)!.text).not.toBe(p.text);
    }
    expect(probeText(words, tokenizer, 2, 12)).toBeNull(); // only [CLS] [SEP] fit
  });
});

describe('one length', () => {
  const m = (rows: number[][]) => ({ rows: rows.length, dim: rows[0].length, data: Float64Array.from(rows.flat()) });
  const golden = { probe: m([[1, 0, 0]]), companion: m([[0, 1, 0]]) };
  const at = (length: number) => ({ length, companionTokens: 8 });

  it('passes rounding, and tells a padded-batch error from a length error', () => {
    const ok = comparePoint(at(64), tol, golden, m([[1 + 1e-7, 0, 0]]), m([[0, 1, 0]]), m([[1, 0, 0], [0, 1, 0]]), 1);
    expect(ok).toMatchObject({ status: 'pass', mismatches: 0, total: 9 });
    expect(ok.batchVsAloneMaxAbs).toBeCloseTo(1e-7, 15);
    // Alone exact, the companion off by 0.01 only inside the batch.
    const padded = comparePoint(at(4096), tol, golden, m([[1, 0, 0]]), m([[0, 1, 0]]), m([[1, 0, 0], [0, 0.99, 0.01]]), 1);
    expect(padded.status).toBe('fail');
    expect(padded.mismatches).toBe(2);
    expect(padded.aloneMaxAbs).toBe(0);
    expect(padded.batchVsAloneMaxAbs).toBeCloseTo(0.01, 12);
    const s = summarize([ok, padded]);
    expect(s).toMatchObject({ firstFailingLength: 4096, lastPassingLength: 64 });
    expect(s.diagnosis).toMatch(/^agrees up to 64 tokens, diverges from 4096 — only when padded in a batch/);
  });

  it('names each reason for skipped lengths once, with the lengths it skipped', () => {
    const ok = comparePoint(at(8), tol, golden, m([[1, 0, 0]]), m([[0, 1, 0]]), m([[1, 0, 0], [0, 1, 0]]), 1);
    const limit = "longer than backend tei's limit of 16 tokens (maxTokens)";
    const s = summarize([
      ok,
      { length: 32, status: 'skipped', reason: limit },
      { length: 64, status: 'skipped', reason: limit },
      { length: 9000, status: 'skipped', reason: 'longer than the model' },
    ]);
    expect(s.diagnosis).toBe(`agrees at every length tested (8..8 tokens); 32, 64 skipped (${limit}); 9000 skipped (longer than the model)`);
  });

  it('a NaN is never hidden, and names skipped lengths', () => {
    const nan = comparePoint(at(8), tol, golden, m([[NaN, 0, 0]]), m([[0, 1, 0]]), m([[NaN, 0, 0], [0, 1, 0]]), 1);
    expect(nan.status).toBe('fail');
    expect(nan.nonFinite).toBe(2);
    // NaN first, finite differences after it: the NaN must survive them.
    expect(nan.batchVsAloneMaxAbs).toBeNaN();
    expect(nan.aloneMaxAbs).toBeNaN();
    const skipped: SweepPoint = { length: 16384, status: 'skipped', reason: 'longer than the model' };
    const s = summarize([nan, skipped]);
    expect(s.diagnosis).toMatch(/^diverges at every length from 8 tokens — NaN\/Inf in the output.*16384 skipped \(longer than the model\)$/);
  });

  // The backend's verdict is evaluate/'s, over each length's rows with their token counts: the same
  // bound that excuses a measured divergence at 512 tokens never excuses a shape mismatch, an
  // all-zero or a constant output there, nor a divergence at a length outside it.
  it('an expectation excuses a bounded divergence, never a shape mismatch, zero or constant rows, nor a length outside its bound', () => {
    const expectation = parseExpectation({ status: 'fail', reason: 'long texts', when: { version: { eq: '1' } }, within: { texts: { tokens: { gt: 100 } } } }, 'c.json', 'backends[1].expect')!;
    const spec = { name: 'b', runtime: 'r', precision: 'fp32', tolerance: tol, expect: expectation };
    const verdictOf = (length: number, alone: ReturnType<typeof m>, batched: ReturnType<typeof m>, environment = { version: '1' }) => {
      const point = comparePoint(at(length), tol, golden, alone, m([[0, 1, 0]].map((r) => r.slice(0, alone.dim))), batched, 1);
      const measured = new Map<SweepPoint, MeasuredRows>([[point, lengthRows(at(length), golden, alone, batched)]]);
      return { point, ...judgeLengths(spec, environment, measured, [point]) };
    };
    const wrongDim = verdictOf(512, m([[1, 0]]), m([[1, 0], [0, 1]]));
    expect(wrongDim.point).toMatchObject({ status: 'fail' });
    expect(wrongDim.point.reason).toMatch(/^shape mismatch: backend gives \(3, 2\), golden is \(3, 3\)/);
    expect(wrongDim.verdict).toBe('fail');
    expect(wrongDim.point.reason).toMatch(/beyond the expected failure \(long texts\): a shape mismatch — never an expected failure/);
    // The same bound does excuse a measured divergence at that length...
    const off = verdictOf(512, m([[1, 0.01, 0]]), m([[1, 0.01, 0], [0, 1, 0]]));
    expect(off).toMatchObject({ verdict: 'xfail', expected: { reason: 'long texts', outcome: 'xfail' } });
    // ... but not where the expectation does not apply, nor at a length outside its bound.
    expect(verdictOf(512, m([[1, 0.01, 0]]), m([[1, 0.01, 0], [0, 1, 0]]), { version: '2' }).verdict).toBe('fail');
    const short = verdictOf(64, m([[1, 0.01, 0]]), m([[1, 0.01, 0], [0, 1, 0]]));
    expect(short.verdict).toBe('fail');
    expect(short.point.reason).toMatch(/2 failing texts outside the expected ones \(tokens > 100\): 'probe-64 alone', 'probe-64 batched'/);
    // Zero rows: every element within a loose cap, yet the backend produced no output.
    const zeros = verdictOf(512, m([[0, 0, 0]]), m([[0, 0, 0], [0, 0, 0]]));
    expect(zeros.point.nonFinite).toBe(0);
    expect(zeros.verdict).toBe('fail');
    expect(zeros.point.reason).toMatch(/3 of 3 rows are all zeros .*beyond the expected failure \(long texts\): all-zero rows.* — never an expected failure/);
    const constant = verdictOf(512, m([[0.5, 0.5, 0.5]]), m([[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]));
    expect(constant.verdict).toBe('fail');
    expect(constant.point.reason).toMatch(/constant rows — never an expected failure/);
    // Passing with the expectation applying is xpass.
    expect(verdictOf(512, m([[1, 0, 0]]), m([[1, 0, 0], [0, 1, 0]])).verdict).toBe('xpass');
  });

  it('trusts --against, else the backend the golden was made with, else the reference, else fp64', () => {
    const b = (name: string, runtime: string, precision: string) => ({ name, runtime, precision }) as BackendConfig;
    const all = [b('cpu-fp32', 'onnxruntime-node', 'fp32'), b('reference', 'reference', 'fp64'), b('pytorch-fp64', 'sentence-transformers', 'fp64')];
    const dir = tempDir();
    const golden = join(dir, 'g.npy');
    expect(pickTrusted(all, undefined, golden).name).toBe('reference'); // no .meta.json beside it
    writeFileSync(join(dir, 'g.meta.json'), JSON.stringify({ backend: { name: 'pytorch-fp64' } }));
    expect(pickTrusted(all, undefined, golden).name).toBe('pytorch-fp64');
    expect(pickTrusted(all, 'cpu-fp32', golden).name).toBe('cpu-fp32');
    writeFileSync(join(dir, 'g.meta.json'), JSON.stringify({ backend: { name: 'not-in-this-config' } }));
    expect(pickTrusted(all, undefined, golden).name).toBe('reference');
    expect(pickTrusted([all[0], all[2]], undefined, golden).name).toBe('pytorch-fp64');
    expect(() => pickTrusted([all[0]], undefined, golden)).toThrow(/no reference\/fp64 backend to trust; name one with --against/);
    expect(() => pickTrusted(all, 'nope')).toThrow(/--against "nope" is not a backend in the config \(known: cpu-fp32, reference, pytorch-fp64\)/);
  });

  it('classifies ONNX Runtime broadcast failures as shape errors', () => {
    expect(errorKind('Node (/x/Mul_es) Op (Mul) [ShapeInferenceError] Incompatible dimensions')).toBe('shape');
    expect(errorKind('Attempting to broadcast an axis by a dimension other than 1. 8 by 16')).toBe('shape');
    expect(errorKind('out of memory')).toBe('other');
  });
});

describe('parity sweep end to end', () => {
  it('tiny-rotary: the full rotation agrees, the max(32, dim) clamp is a named shape error, and other backends still run', async () => {
    const r = await runSweep({ config: join(ROOT, 'configs/tiny-rotary.json'), lengths: [8, 64, 300] });
    expect(r.trusted).toBe('reference');
    const full = r.backends.find((b) => b.name === 'cpu-fp32')!;
    expect(full.verdict).toBe('pass');
    expect(full.points.map((p) => p.status)).toEqual(['pass', 'pass', 'pass']);
    for (const p of full.points) expect(p.maxAbs!).toBeLessThan(1e-6);
    const clamped = r.backends.find((b) => b.name === 'cpu-fp32-clamped')!;
    expect(clamped.status).toBe('error');
    expect(clamped.errorKind).toBe('shape');
    expect(clamped.reason).toMatch(/^shape error: .*rotary.*Incompatible dimensions/);
    expect(clamped.verdict).toBe('error'); // a shape error is never excused
    expect(clamped.points.every((p) => p.status === 'error')).toBe(true);
    expect(r.verdict).toBe('error'); // as `parity run` rolls up an error: exit 2
    const table = renderSweepTable(r);
    expect(table).toContain('cpu-fp32-clamped');
    expect(renderSweepHtml(r)).toContain('<svg');
  }, 120_000);

  it('tiny-alibi: exact and sentinel agree at short lengths, alone and batched', async () => {
    const r = await runSweep({ config: join(ROOT, 'configs/tiny-alibi.json'), lengths: [8, 200], backends: ['cpu-fp32', 'cpu-fp32-sentinel'] });
    for (const b of r.backends) {
      expect(b.points.map((p) => p.status)).toEqual(['pass', 'pass']);
      expect(b.points[1].batchVsAloneMaxAbs).toBe(0);
      expect(b.truncation).toBeUndefined(); // no length past the model's 8192
    }
  }, 120_000);

  // A length past the model's limit is skipped as a length, and its text is embedded once as a
  // truncation check: transformers.js cuts the finished sequence (dropping [SEP]) where
  // sentence-transformers cuts the pieces and adds [SEP], so it fails here while agreeing at every
  // length that ran; its configured expectation (texts over 128 tokens, bounded) makes that xfail.
  it('tiny-bert: lengths past the model limit are skipped with the reason, and a truncation check catches transformers.js', async () => {
    const r = await runSweep({ config: join(ROOT, 'parity.config.json'), lengths: [8, 64, 300], backends: ['cpu-fp32', 'transformersjs-fp32'] });
    expect(r.probes[2]).toMatchObject({ length: 300, status: 'skipped' });
    expect(r.probes[2].reason).toMatch(/^longer than the model's limit of 128 tokens/);
    const [ort, tjs] = r.backends;
    for (const b of r.backends) expect(b.points.map((p) => p.status)).toEqual(['pass', 'pass', 'skipped']);
    expect(ort.truncation).toMatchObject({ length: 300, truncatedTo: 128, status: 'pass' });
    expect(ort.truncation!.maxAbs!).toBeLessThan(1e-6);
    expect(ort.verdict).toBe('pass');
    expect(ort.diagnosis).toMatch(/; truncates as the trusted backend does \(a 300-token text cut to the model's 128\)$/);
    expect(tjs.truncation).toMatchObject({ length: 300, truncatedTo: 128, status: 'fail' });
    expect(tjs.truncation!.maxAbs!).toBeGreaterThan(1e-3);
    expect(tjs.firstFailingLength).toBeNull(); // every length that ran agrees
    expect(tjs.verdict).toBe('xfail');
    expect(tjs.diagnosis).toMatch(/past the model's 128-token limit it does not truncate as the trusted backend does \(a 300-token text cut to the model's 128: \d+ of 192 elements off/);
    expect(renderSweepTable(r)).toMatch(/\n  300→128 +fail /);
  }, 120_000);

  // The layout where the sentinel does break: causal ALiBi, signed as MPT and FlashInfer compute it.
  // A future key j carries +16·(j-i) on head 0, so with an additive -5e4 it outranks the query's own
  // key once j - i reaches 5e4/16 = 3125: a probe of 3125 tokens has that distance only from its
  // first row to its padded companion's farthest key, and from 3126 on inside the probe itself.
  // --refine bisects the grid's gap (2048 passes, 4096 fails) down to that token.
  it('tiny-alibi-causal with --refine: names 3125 as the first failing length of the -5e4 sentinel, 4095 for fp16, and passes the exact mask', async () => {
    const r = await runSweep({ config: join(ROOT, 'configs/tiny-alibi-causal.json'), lengths: [8, 2048, 4096], refine: true });
    const exact = r.backends.find((b) => b.name === 'cpu-fp32')!;
    expect(exact.verdict).toBe('pass');
    expect(exact.refinedBetween).toBeUndefined(); // nothing to bisect
    expect(exact.points.map((p) => p.length)).toEqual([8, 2048, 4096]);
    for (const p of exact.points) {
      expect(p.maxAbs!).toBeLessThan(2e-6);
      expect(p.batchVsAloneMaxAbs).toBe(0);
    }
    const sentinel = r.backends.find((b) => b.name === 'cpu-fp32-sentinel')!;
    expect(sentinel.verdict).toBe('fail');
    expect(sentinel).toMatchObject({ firstFailingLength: 3125, lastPassingLength: 3124, refinedBetween: [2048, 4096] });
    expect(sentinel.diagnosis).toMatch(/^agrees up to 3124 tokens, diverges from 3125; at 3125: \d of 96 elements off, .* \(bisected between 2048 and 4096: 11 more lengths\)$/);
    const at = (b: SweepBackend, length: number) => b.points.find((p) => p.length === length)!;
    // Lengths ascending, the bisected ones marked; every one below 3125 passes, every one from it fails.
    expect(sentinel.points.map((p) => p.length)).toEqual([...sentinel.points.map((p) => p.length)].sort((a, b) => a - b));
    expect(sentinel.points.filter((p) => p.refined)).toHaveLength(11);
    for (const p of sentinel.points) expect(p.status).toBe(p.length < 3125 ? 'pass' : 'fail');
    // At the crossing a handful of elements, only in the padded companion; a thousand tokens past it
    // the probe alone is wrong too, by far more than rounding.
    expect(at(sentinel, 3124).maxAbs!).toBeLessThan(1e-7);
    expect(at(sentinel, 3125).mismatches!).toBeGreaterThanOrEqual(1);
    expect(at(sentinel, 3125).mismatches!).toBeLessThanOrEqual(5);
    expect(at(sentinel, 3125).maxAbs!).toBeLessThan(1e-3);
    expect(at(sentinel, 3125).aloneMaxAbs!).toBeLessThan(1e-6);
    expect(at(sentinel, 4096).aloneMaxAbs!).toBeGreaterThan(1e-2);
    expect(at(sentinel, 4096).maxAbs!).toBeGreaterThan(0.1);
    // fp16: +16·(j-i) reaches 65504 (fp16's largest) 4094 tokens ahead — plus finfo.min that is 0, a
    // masked key scoring like a real one (the companion at 4095) — and overflows to +inf one token
    // later: +inf + finfo.min is +inf, NaN after softmax, in every element at 4096.
    const fp16 = r.backends.find((b) => b.name === 'cpu-fp16')!;
    expect(fp16).toMatchObject({ firstFailingLength: 4095, lastPassingLength: 4094 });
    expect(at(fp16, 4095).nonFinite).toBe(0);
    expect(at(fp16, 4096).nonFinite).toBe(96);
    expect(fp16.diagnosis).toMatch(/NaN\/Inf in the output/);
    expect(renderSweepTable(r)).toMatch(/\n  4096 +fail +NaN\/Inf ×96 /);
    expect(renderSweepTable(r)).toMatch(/\n  3125\* +fail /);
  }, 300_000);

  it('sweep.json keeps NaN as "NaN", and `parity report` re-renders sweep.html from it byte for byte', () => {
    const out = tempDir();
    const r = parity(['sweep', '-c', 'configs/tiny-alibi-causal.json', '--lengths', '8,32', '-o', out]);
    expect(r.code).toBe(0);
    const again = tempDir();
    const re = parity(['report', join(out, 'sweep.json'), '-o', again]);
    expect(re.code).toBe(0);
    for (const f of ['sweep.json', 'sweep.html']) expect(readFileSync(join(again, f), 'utf8')).toBe(readFileSync(join(out, f), 'utf8'));
    // sweep.html is report.html's kind of page: its style, its chart helpers, relative paths only.
    const html = readFileSync(join(out, 'sweep.html'), 'utf8');
    expect(html).toContain(`<style>${HTML_STYLE}</style>`);
    expect(html).toContain('<svg class="chart" data-chart="sweep-length"');
    expect(html).toContain('<code>fixtures/models/tiny-alibi-causal</code>');
    expect(html).not.toContain(ROOT);
    expect(JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')).model).toBe('fixtures/models/tiny-alibi-causal');
    // A point with NaN output survives the round trip as a number, and the table says NaN.
    const saved = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    Object.assign(saved.backends[0].points[0], { status: 'fail', nonFinite: 3, batchVsAloneMaxAbs: 'NaN' });
    writeFileSync(join(out, 'sweep.json'), JSON.stringify(saved));
    const back = readSweep(out);
    expect(back.backends[0].points[0].batchVsAloneMaxAbs).toBeNaN();
    expect(renderSweepTable(back)).toMatch(/\n  8 +fail +NaN\/Inf ×3 /);
    writeFileSync(join(out, 'sweep.json'), JSON.stringify({ ...saved, schema: 'parity-sweep/9' }));
    const bad = parity(['report', join(out, 'sweep.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/sweep schema "parity-sweep\/9"; this parity reads parity-sweep\/1/);
  }, 60_000);

  it("a length above a backend's maxTokens is skipped for that backend with the reason; above the trusted backend's, for every backend", async () => {
    const config = tinyBertConfig((backends) =>
      backends.map((b) => (b.name === 'cpu-fp32' ? { ...b, maxTokens: 16 } : b.name === 'reference' ? { ...b, maxTokens: 64 } : b)),
    );
    // The config isolates by default; the option overrides it, as `parity run`'s does.
    const r = await runSweep({ config, backends: ['cpu-fp32', 'cpu-fp16'], lengths: [8, 32, 100], isolation: 'none' });
    expect(r.isolation).toBe('none');
    expect(r.probes[2]).toEqual({ length: 100, status: 'skipped', reason: "longer than backend reference's limit of 64 tokens (maxTokens)" });
    const [fp32, fp16] = r.backends;
    expect(fp32.points.map((p) => [p.status, p.reason])).toEqual([
      ['pass', undefined],
      ['skipped', "longer than backend cpu-fp32's limit of 16 tokens (maxTokens)"],
      ['skipped', "longer than backend reference's limit of 64 tokens (maxTokens)"],
    ]);
    expect(fp32.verdict).toBe('pass');
    expect(fp32.diagnosis).toContain("32 skipped (longer than backend cpu-fp32's limit of 16 tokens (maxTokens))");
    expect(fp16.points.map((p) => p.status)).toEqual(['pass', 'pass', 'skipped']);
    expect(r.verdict).toBe('pass');
  }, 120_000);

  it.skipIf(!build.present)(build.title('a backend whose worker process aborts during the sweep is an error with the reason; the others pass and sweep.json is written'), () => {
    const out = tempDir();
    const r = parity(['sweep', '-c', 'parity.config.json', '-b', 'cpu-fp32', '-b', 'cpu-fp16', '--lengths', '8,32', '-o', out], { env: { PARITY_WORKER_FAULT: 'cpu-fp16:abort' } });
    expect(r.code).toBe(2); // an error, as in `parity run`: not a parity failure
    const result: SweepResult = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    expect(result.isolation).toBe('process');
    expect(result.warnings).toEqual([]);
    const byName = Object.fromEntries(result.backends.map((b) => [b.name, b]));
    expect(byName['cpu-fp32'].verdict).toBe('pass');
    expect(byName['cpu-fp32'].points.map((p) => p.status)).toEqual(['pass', 'pass']);
    // Each length starts a fresh worker (the last one died), reopens the backend and loses it again.
    const crashed = byName['cpu-fp16'];
    expect(crashed.verdict).toBe('error');
    expect(crashed.points.map((p) => p.status)).toEqual(['error', 'error']);
    for (const p of crashed.points) expect(p.reason).toMatch(/^backend process was killed by SIGABRT/);
    expect(crashed.diagnosis).toMatch(/^error at every length from 8 tokens: backend process was killed by SIGABRT/);
    expect(result.verdict).toBe('error');
    expect(r.stdout).toContain('cpu-fp16 (onnxruntime-node, fp16');
  }, 120_000);

  it.skipIf(!build.present)(build.title('a backend that hangs is killed at its timeoutMs and its later lengths are not tried; the next backend of the same runtime still runs'), async () => {
    const config = tinyBertConfig((backends) => backends.map((b) => (b.name === 'cpu-fp16' ? { ...b, timeoutMs: 4000 } : b)));
    process.env.PARITY_WORKER_FAULT = 'cpu-fp16:hang';
    try {
      const r = await runSweep({ config, backends: ['cpu-fp16', 'cpu-fp32'], lengths: [8, 32] });
      const [hung, fp32] = r.backends;
      expect(hung.points.map((p) => p.reason)).toEqual([
        'backend cpu-fp16 did not finish within 4000 ms (timeoutMs); its process was killed',
        'not run: backend cpu-fp16 used up its timeoutMs (4000 ms) at a shorter length',
      ]);
      expect(hung.verdict).toBe('error');
      expect(fp32.verdict).toBe('pass');
    } finally {
      delete process.env.PARITY_WORKER_FAULT;
    }
  }, 120_000);

  // Served by test/support/fake-embedding-server.mjs (plain Node, 64 wide as tiny-bert). Its sine
  // vectors are nowhere near tiny-bert's, and one expectation with loose caps excuses them; the very
  // same expectation must not excuse the server that answers zeros, which `run` would fail too.
  it('an all-zero output fails although an expectation bounds it; the same expectation excuses a real divergence', async () => {
    const within = { maxAbs: 2.5, cosineDelta: 2 };
    const config = tinyBertConfig(
      (backends) => [
        ...backends.filter((b) => b.name === 'reference'),
        fakeServed('served-sine', 'ok', within),
        fakeServed('served-zeros', 'zeros', within),
      ],
      { isolation: 'none' },
    );
    const r = await runSweep({ config, lengths: [8, 32] });
    const [sine, zeros] = r.backends;
    expect(sine.points.map((p) => p.status)).toEqual(['fail', 'fail']);
    expect(sine.points[0].maxAbs!).toBeGreaterThan(0.1);
    expect(sine.points[0].maxAbs!).toBeLessThan(within.maxAbs);
    expect(sine).toMatchObject({ verdict: 'xfail', expected: { outcome: 'xfail', reason: 'the stand-in server' } });
    expect(zeros.points.map((p) => p.status)).toEqual(['fail', 'fail']);
    for (const p of zeros.points) {
      expect(p.nonFinite).toBe(0);
      expect(p.maxAbs!).toBeLessThan(within.maxAbs); // inside the caps: only the zero rule refuses it
      expect(p.reason).toMatch(/^3 of 3 rows are all zeros \(golden has 0\) — backend produced no output; .*beyond the expected failure \(the stand-in server\): all-zero rows.* — never an expected failure/);
    }
    expect(zeros.verdict).toBe('fail');
    expect(zeros.diagnosis).toMatch(/^diverges at every length from 8 tokens — all-zero or constant rows: no real output; at 8: /);
    expect(zeros.expected).toBeUndefined();
    expect(r.verdict).toBe('fail');
  }, 120_000);

  it('a backend that errors exits 2 as in `parity run`, and sweep.json says why', () => {
    const out = tempDir();
    const config = tinyBertConfig((backends) => [...backends.filter((b) => b.name === 'reference' || b.name === 'cpu-fp32'), fakeServed('served-crash', 'crash-at-start')], { isolation: 'none' });
    const r = parity(['sweep', '-c', config, '--lengths', '8', '-o', out]);
    expect(r.code).toBe(2);
    const result: SweepResult = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    expect(result.verdict).toBe('error');
    const byName = Object.fromEntries(result.backends.map((b) => [b.name, b]));
    expect(byName['cpu-fp32'].verdict).toBe('pass');
    expect(byName['served-crash']).toMatchObject({ status: 'error', verdict: 'error' });
    expect(byName['served-crash'].reason).toMatch(/cannot load model \/nonexistent \(simulated\)/);
    expect(r.stdout).toMatch(/\nverdict: error\n/);
  }, 120_000);

  it('bad --lengths is one line and exit 2', () => {
    const out = tempDir();
    const r = parity(['sweep', '-c', 'configs/tiny-alibi.json', '--lengths', '8,x', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['parity: --lengths must be positive integers separated by commas, got "8,x"']);
  });
});

describe('docs/report-schema.md documents sweep.json', () => {
  /** Each table of the sweep.json section: its heading → first-column field name → the whole row. */
  function documented(): Map<string, Map<string, string>> {
    const doc = readFileSync(join(ROOT, 'docs/report-schema.md'), 'utf8');
    const tables = new Map<string, Map<string, string>>();
    let heading = '';
    for (const line of doc.slice(doc.indexOf('\n## sweep.json')).split('\n')) {
      if (line.startsWith('### ')) heading = line.slice(4);
      const first = /^\| ([^|]+) \|/.exec(line)?.[1];
      if (!first) continue;
      if (!tables.has(heading)) tables.set(heading, new Map());
      for (const [, name] of first.matchAll(/`([^`]+)`/g)) tables.get(heading)!.set(name, line);
    }
    return tables;
  }

  it('every field a sweep writes, and every optional one, is in its table', async () => {
    const tables = documented();
    const table = (prefix: string) => [...tables].find(([h]) => h.startsWith(prefix))?.[1] ?? new Map<string, string>();
    const [top, probe, backend, point] = [table('Top level'), table('Probe'), table('SweepBackend'), table('SweepPoint')];
    const config = tinyBertConfig((backends) => backends.map((b) => (b.name === 'cpu-fp32' ? { ...b, maxTokens: 16 } : b)));
    const r = await runSweep({ config, backends: ['cpu-fp32', 'cpu-fp16'], lengths: [8, 32, 200], isolation: 'none' });
    const missing = (documentedFields: Map<string, string>, objects: object[]) => [...new Set(objects.flatMap((o) => Object.keys(o)))].filter((k) => !documentedFields.has(k));
    expect(missing(top, [r])).toEqual([]);
    expect(missing(probe, r.probes)).toEqual([]);
    expect(missing(backend, r.backends)).toEqual([]);
    expect(missing(point, r.backends.flatMap((b) => b.points))).toEqual([]);
    // Optional fields this sweep did not produce (a backend that did not open, an expectation).
    for (const field of ['reason', 'errorKind', 'expected', 'refinedBetween']) expect(backend.has(field), field).toBe(true);
    expect(point.has('refined')).toBe(true); // --refine's lengths
    for (const key of Object.keys(r.backends[0].tolerance)) expect(backend.get('tolerance')).toContain(key);
    for (const key of ['reason', 'outcome', 'xfail', 'xpass']) expect(backend.get('expected')).toContain(key);
    expect(top.get('schema')).toContain(r.schema);
  }, 120_000);
});

describe('ALiBi and the -5e4 sentinel (why the sweep pads a short text next to each probe)', () => {
  // A 3300-token text beside an 8-token one. Head 0's slope is 16, so a padded key's sentinel sum
  // -5e4 - 16·|i-j| and a real key's bias -16·|i-j| cross 5e4/16 = 3125 tokens past the companion's
  // last real token (position 7): from there on a padded query row attends to padded keys instead of
  // real ones. Real query rows always have their own key at bias 0, so everything below -5e4 has
  // weight exp(-5e4) = 0 in any float either way.
  it('changes padded rows exactly from 3125 tokens past the last real token, and no real row', async () => {
    const S = 3300;
    const n = 8;
    const ids = new BigInt64Array(2 * S);
    const mask = new BigInt64Array(2 * S);
    for (let t = 0; t < S; t++) {
      ids[t] = BigInt(100 + ((t * 7919) % 2600));
      mask[t] = 1n;
      if (t < n) {
        ids[S + t] = BigInt(100 + ((t * 104729) % 2600));
        mask[S + t] = 1n;
      }
    }
    const feeds = {
      input_ids: new ort.Tensor('int64', ids, [2, S]),
      attention_mask: new ort.Tensor('int64', mask, [2, S]),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(2 * S), [2, S]),
    };
    const run = async (file: string) => {
      const session = await ort.InferenceSession.create(join(ALIBI, 'onnx', file), { intraOpNumThreads: 1 });
      const out = (await session.run(feeds)).last_hidden_state.data as Float32Array;
      await session.release();
      return out;
    };
    const exact = await run('model.onnx');
    const sentinel = await run('model_sentinel.onnx');
    const H = 32;
    const rowDiff = (b: number, t: number) => {
      let d = 0;
      for (let h = 0; h < H; h++) d = Math.max(d, Math.abs(exact[(b * S + t) * H + h] - sentinel[(b * S + t) * H + h]));
      return d;
    };
    let realMax = 0;
    for (let t = 0; t < S; t++) realMax = Math.max(realMax, rowDiff(0, t));
    for (let t = 0; t < n; t++) realMax = Math.max(realMax, rowDiff(1, t));
    expect(realMax).toBe(0);
    const diverged = [];
    for (let t = n; t < S; t++) if (rowDiff(1, t) > 1e-3) diverged.push(t);
    expect(diverged.length).toBeGreaterThan(100);
    // The first padded row that changes is where its distance to position 7 reaches 3125 (the q·k
    // term, a few units, moves the crossing by a fraction of a token at slope 16).
    expect(diverged[0]).toBeGreaterThanOrEqual(7 + 3125 - 2);
    expect(diverged[0]).toBeLessThanOrEqual(7 + 3125 + 2);
    expect(Math.max(...diverged.map((t) => rowDiff(1, t)))).toBeGreaterThan(0.1);
  }, 120_000);
});
