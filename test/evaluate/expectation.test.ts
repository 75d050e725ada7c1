/**
 * Expected failures cannot hide a regression: zero/constant/non-finite rows and shape mismatches are
 * never xfail, and a failure beyond the expectation's bound (texts, caps) stays a plain fail.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downstreamImpact } from '../../src/compare/downstream.js';
import { compareMatrices } from '../../src/compare/metrics.js';
import { parseExpectation } from '../../src/config/expectation.js';
import { loadCorpus } from '../../src/corpus/corpus.js';
import { batchLengths } from '../../src/embed/batches.js';
import { backendBase, judgeComparison } from '../../src/evaluate/backend-report.js';
import type { TextFacts } from '../../src/evaluate/expectation.js';
import { textFacts } from '../../src/evaluate/text-facts.js';
import { ModelContexts } from '../../src/tokenize/model-context.js';
import { readNpy, writeNpy } from '../../src/npy/npy.js';
import { FIXTURE, parity } from '../support/helpers.js';

const corpus = loadCorpus(FIXTURE.corpus);
const golden = readNpy(FIXTURE.golden);
const tolerance = { atol: 1e-5, rtol: 1.3e-6, cosine: 1e-6, mismatchRatio: 0 };
const row = (id: string) => corpus.ids.indexOf(id);
let facts: TextFacts;
let dir: string;

beforeAll(async () => {
  const { tokenizer } = await new ModelContexts().get(FIXTURE.model);
  facts = textFacts(tokenizer, corpus.texts, corpus.ids, { batchSize: 16, blockTexts: 256 });
  dir = mkdtempSync(join(tmpdir(), 'parity-expect-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The golden as float32, with `change` applied to a copy. */
function actual(change: (data: Float32Array, dim: number) => void = () => {}) {
  const data = Float32Array.from(golden.data);
  change(data, golden.dim);
  return { rows: golden.rows, dim: golden.dim, data };
}
const shift = (ids: string[], by: number) => (data: Float32Array, dim: number) => {
  for (const id of ids) data[row(id) * dim + 3] += by;
};

function judged(vectors: { rows: number; dim: number; data: Float32Array }, within: Record<string, unknown>) {
  const expectation = parseExpectation({ status: 'fail', reason: 'known bug', when: { runtime: { eq: 'file' } }, within }, 'c.json', 'expect')!;
  const base = backendBase({ name: 'b', runtime: 'file', precision: 'fp32', tolerance, expect: expectation }, { runtime: 'file' });
  return judgeComparison(base, compareMatrices(golden, vectors, tolerance, corpus.ids), null, null, facts);
}

describe('expected failures are bounded', () => {
  it('all-zero, constant and non-finite rows, and shape mismatches, are never xfail', () => {
    const loose = { maxAbs: 1e9, cosineDelta: 2 };
    const zeros = judged(actual((d) => d.fill(0)), loose);
    expect(zeros.metrics!.zeroRows).toBe(golden.rows);
    expect(zeros.status).toBe('fail');
    expect(zeros.reasons.at(-1)).toMatch(/^beyond the expected failure \(known bug\): all-zero rows, constant rows — never an expected failure/);
    const constant = judged(actual((d, dim) => d.fill(0.25, 0, dim)), loose);
    expect(constant.metrics!.constantRows).toBe(1);
    expect(constant.status).toBe('fail');
    expect(constant.reasons.at(-1)).toMatch(/constant rows — never an expected failure/);
    const nan = judged(actual((d) => (d[5] = NaN)), loose);
    expect(nan.metrics!.nonFinite).toBe(1);
    expect(nan.status).toBe('fail');
    expect(nan.reasons.at(-1)).toMatch(/non-finite values — never an expected failure/);
    const narrow = judged({ rows: golden.rows, dim: 32, data: new Float32Array(golden.rows * 32) }, loose);
    expect(narrow.metrics!.shape).toEqual([golden.rows, 32]);
    expect(narrow.status).toBe('fail');
    expect(narrow.reasons.at(-1)).toMatch(/a shape mismatch — never an expected failure/);
  });

  it('texts by id: a failing text outside the list is a plain fail that names it', () => {
    const v = actual(shift(['long-1', 'two-words'], 0.01));
    expect(judged(v, { texts: { ids: ['long-1', 'two-words'] } }).status).toBe('xfail');
    const r = judged(v, { texts: { ids: ['long-1'] } });
    expect(r.status).toBe('fail');
    expect(r.reasons.at(-1)).toBe("beyond the expected failure (known bug): 1 failing text outside the expected ones (ids 'long-1'): 'two-words'");
  });

  it('texts by token count before truncation (only texts over 128 tokens)', () => {
    expect(facts.tokens![row('long-1')]).toBeGreaterThan(128);
    expect(facts.lengths![row('long-1')]).toBe(128);
    expect(facts.tokens![row('two-words')]).toBeLessThan(128);
    const within = { texts: { tokens: { gt: 128 } } };
    expect(judged(actual(shift(['long-1', 'long-2'], 0.01)), within).status).toBe('xfail');
    const r = judged(actual(shift(['long-1', 'two-words'], 0.01)), within);
    expect(r.status).toBe('fail');
    expect(r.reasons.at(-1)).toMatch(/1 failing text outside the expected ones \(tokens > 128\): 'two-words'$/);
  });

  it('texts by the padded length of their length-sorted batch', () => {
    // Lengths 5, 3, 40, 2 in one block of batches of 2: sorted [2, 3] | [5, 40].
    expect(batchLengths([5, 3, 40, 2], 4, 2)).toEqual([40, 3, 40, 3]);
    expect(batchLengths([5, 3, 40, 2], 2, 2)).toEqual([5, 5, 40, 40]);
    const inBig = corpus.ids.filter((_, r) => facts.batchTokens![r] >= 32);
    const shortInBig = inBig.find((id) => facts.lengths![row(id)] < 32)!;
    expect(shortInBig).toBeDefined();
    const within = { texts: { batchTokens: { ge: 32 } } };
    expect(judged(actual(shift(inBig, 0.01)), within).status).toBe('xfail');
    const outside = corpus.ids.find((_, r) => facts.batchTokens![r] < 32)!;
    const r = judged(actual(shift([shortInBig, outside], 0.01)), within);
    expect(r.status).toBe('fail');
    expect(r.reasons.at(-1)).toContain(`1 failing text outside the expected ones (batch tokens >= 32): '${outside}'`);
  });

  it('caps on max abs and cosine Δ', () => {
    const v = actual(shift(['long-1'], 0.01));
    const m = compareMatrices(golden, v, tolerance, corpus.ids).metrics;
    expect(judged(v, { maxAbs: m.maxAbs, cosineDelta: m.cosineDeltaMax }).status).toBe('xfail');
    const r = judged(v, { maxAbs: m.maxAbs / 2, cosineDelta: m.cosineDeltaMax / 2 });
    expect(r.status).toBe('fail');
    expect(r.reasons.at(-1)).toMatch(/max abs 0\.01 \(text 'long-1'\) exceeds the expected 0\.005; cosine Δ .* \(text 'long-1'\) exceeds the expected/);
  });

  it('failed limits of the diagnosis checks are not covered', () => {
    const v = actual(shift(['long-1'], 0.01));
    const expectation = parseExpectation({ status: 'fail', reason: 'known bug', when: { runtime: { eq: 'file' } }, within: { maxAbs: 1 } }, 'c.json', 'expect')!;
    const downstream = { ...downstreamImpact(golden, v), rows: golden.rows, sampled: false };
    expect(downstream.maxPairwiseDelta).toBeGreaterThan(0);
    const judge = (maxPairwiseDelta: number) =>
      judgeComparison(
        backendBase({ name: 'b', runtime: 'file', precision: 'fp32', tolerance, expect: expectation, limits: { downstream: { maxPairwiseDelta } } }, { runtime: 'file' }),
        compareMatrices(golden, v, tolerance, corpus.ids),
        null,
        null,
        facts,
        { downstream },
      );
    expect(judge(1).status).toBe('xfail');
    const r = judge(downstream.maxPairwiseDelta / 2);
    expect(r.status).toBe('fail');
    expect(r.reasons.at(-1)).toBe("beyond the expected failure (known bug): the diagnosis checks' limits failed, which the expectation does not cover");
  });

  it('a file backend of all-zero rows with an expectation fails the run: exit 1', () => {
    writeNpy(join(dir, 'zeros.npy'), { rows: golden.rows, dim: golden.dim, data: new Float32Array(golden.rows * golden.dim) });
    const config = join(dir, 'parity.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        model: FIXTURE.model,
        corpus: FIXTURE.corpus,
        golden: FIXTURE.golden,
        isolation: 'none',
        checks: { batchInvarianceSample: 0 },
        backends: [
          {
            name: 'zeros',
            runtime: 'file',
            path: 'zeros.npy',
            precision: 'fp32',
            expect: { status: 'fail', reason: 'known bug', when: { runtime: { eq: 'file' } }, within: { maxAbs: 10 } },
          },
        ],
      }),
    );
    const r = parity(['run', '--config', config, '--out', join(dir, 'out'), '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.verdict).toBe('fail');
    expect(report.backends[0]).toMatchObject({ status: 'fail', metrics: { zeroRows: golden.rows } });
    expect(report.backends[0].reasons.at(-1)).toMatch(/never an expected failure/);
  }, 60_000);
});
