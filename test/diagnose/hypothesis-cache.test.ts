/**
 * One reembedder serves every failing backend of a run (diagnose/evidence.ts): a text two backends
 * share among their worst is re-embedded under each fault once, and what is kept is bit for bit what
 * a fresh re-embedding gives. On the tiny-bert fixture, a few short texts: cheap.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HypothesisVectors } from '../../src/compare/hypothesis-match.js';
import { HypothesisReembedder, reembedUnderHypotheses, type HypothesisModel } from '../../src/diagnose/hypotheses.js';
import { loadModelInfo } from '../../src/model/model-folder.js';
import { readSafetensors } from '../../src/model/safetensors.js';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';
import type { EncodedText } from '../../src/tokenize/types.js';
import { FIXTURE } from '../support/helpers.js';

let model: HypothesisModel;
let encoded: EncodedText[];
/** Texts of 9-39 tokens: every hypothesis but the longer cuts applies, and each is padded in the run. */
let short: number[];

/** What reembed needs for these rows; every text padded to 40 tokens in the run. */
const request = (rows: number[], budgetTokens?: number) => ({ rows, encoded: rows.map((r) => encoded[r]), padTo: rows.map(() => 40), ...(budgetTokens !== undefined ? { budgetTokens } : {}) });
/** Each hypothesis' rows and vectors, by label. */
const byLabel = (found: HypothesisVectors[]) => new Map(found.map((h) => [h.label, h]));

beforeAll(async () => {
  const info = loadModelInfo(FIXTURE.model);
  const tokenizer = await loadTokenizer(info);
  const texts = readFileSync(FIXTURE.corpus, 'utf8').trim().split('\n').map((l) => JSON.parse(l).text as string);
  encoded = texts.map((t) => tokenizer.encode(t));
  short = encoded.map((e, r) => (e.ids.length > 8 && e.ids.length < 40 ? r : -1)).filter((r) => r >= 0);
  model = { config: info.config, tensors: readSafetensors(join(FIXTURE.model, 'model.safetensors')), pooling: info.pooling, padId: tokenizer.padId };
});

describe('re-embedding under suspected faults, once per run', () => {
  it('a second backend sharing worst rows computes only its new rows, and gets the same bits as a fresh re-embedding', () => {
    expect(short.length).toBeGreaterThanOrEqual(6);
    const [a, b, c] = short;
    const shared = new HypothesisReembedder(model);
    const first = shared.reembed(request([a, b]));
    const afterFirst = shared.forwardPasses;
    // Every hypothesis that applies to a text is one forward pass for it.
    const passes = (found: HypothesisVectors[]) => found.reduce((s, h) => s + h.rows.length, 0);
    expect(afterFirst).toBe(passes(first));
    expect(first.length).toBeGreaterThan(5);

    const second = shared.reembed(request([a, c]));
    const alone = reembedUnderHypotheses({ ...model, ...request([a, c]) });
    // Only c's vectors were computed: a's came from the first backend's.
    expect(shared.forwardPasses - afterFirst).toBe(second.filter((h) => h.rows.includes(c)).length);
    expect(shared.forwardPasses - afterFirst).toBeLessThan(passes(second));
    expect(second.map((h) => [h.label, h.rows])).toEqual(alone.map((h) => [h.label, h.rows]));
    second.forEach((h, i) => expect(Buffer.from(h.vectors.data.buffer).equals(Buffer.from(alone[i].vectors.data.buffer))).toBe(true));
    // Row a's vector under each fault is the same in both answers.
    const firstByLabel = byLabel(first);
    for (const h of second) {
      const before = firstByLabel.get(h.label)!;
      const dim = h.vectors.dim;
      expect(Array.from(h.vectors.data.subarray(0, dim))).toEqual(Array.from(before.vectors.data.subarray(0, dim)));
      expect(before.vectors.data.subarray(0, dim).some((v) => v !== 0)).toBe(true);
    }
  });

  it('the hypotheses a backend gets tested do not depend on which backends were diagnosed before it', () => {
    const [a, b, c] = short.slice(3);
    // What a fresh reembedder tests for [a, c] within half of what all hypotheses would take.
    const fresh = new HypothesisReembedder(model);
    const full = fresh.reembed(request([a, c])).length;
    const budget = Math.floor(fresh.tokensEmbedded / 2);
    const alone = new HypothesisReembedder(model).reembed(request([a, c], budget));
    expect(alone.length).toBeGreaterThan(0);
    expect(alone.length).toBeLessThan(full);
    // The same request after another backend's diagnoses kept every vector of a (and of b).
    const shared = new HypothesisReembedder(model);
    shared.reembed(request([a, b]));
    const before = shared.forwardPasses;
    const after = shared.reembed(request([a, c], budget));
    expect(after.map((h) => [h.label, h.rows])).toEqual(alone.map((h) => [h.label, h.rows]));
    after.forEach((h, i) => expect(Buffer.from(h.vectors.data.buffer).equals(Buffer.from(alone[i].vectors.data.buffer))).toBe(true));
    // The kept vectors still save the time: only c's passes ran.
    expect(shared.forwardPasses - before).toBe(after.filter((h) => h.rows.includes(c)).length);
    // With no budget, nothing is tested, kept or not.
    expect(shared.reembed(request([a, b], 0))).toEqual([]);
  });

  it('a budget of tokens takes the hypotheses in order while their passes fit, the same on any machine', () => {
    const [a, b] = short.slice(1);
    const unlimited = new HypothesisReembedder(model);
    const all = unlimited.reembed(request([a, b]));
    const total = unlimited.tokensEmbedded;
    expect(total).toBeGreaterThan(0);
    const budget = Math.floor(total / 2);
    const limitedBy = new HypothesisReembedder(model);
    const limited = limitedBy.reembed(request([a, b], budget));
    expect(limitedBy.tokensEmbedded).toBeLessThanOrEqual(budget);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited.length).toBeLessThan(all.length);
    // What comes back is some of the hypotheses, in their order, with the same bits as unlimited.
    const labels = all.map((h) => h.label);
    const positions = limited.map((h) => labels.indexOf(h.label));
    expect(positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]))).toBe(true);
    expect(positions[0]).toBe(0);
    for (const h of limited) expect(Buffer.from(h.vectors.data.buffer).equals(Buffer.from(all[labels.indexOf(h.label)].vectors.data.buffer))).toBe(true);
    // Nothing depends on time: the same request gives the same hypotheses again.
    expect(new HypothesisReembedder(model).reembed(request([a, b], budget)).map((h) => h.label)).toEqual(limited.map((h) => h.label));
  });
});
