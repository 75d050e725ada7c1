/**
 * Downstream impact and diagnoses on the real fixture: the configured backends against the
 * committed golden. Numbers printed here are the measured ones.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBackends } from '../../src/backends/registry.js';
import { diagnose } from '../../src/compare/diagnosis.js';
import { downstreamImpact } from '../../src/compare/downstream.js';
import { compareMatrices } from '../../src/compare/metrics.js';
import { loadConfig } from '../../src/config/config.js';
import { loadCorpus } from '../../src/corpus/corpus.js';
import { readGolden } from '../../src/golden/golden.js';
import { embedWithBackend } from '../../src/run/embed-with-backend.js';
import { ModelContexts } from '../../src/tokenize/model-context.js';
import { ROOT } from '../support/helpers.js';

process.chdir(ROOT);
const config = loadConfig(join(ROOT, 'parity.config.json'));
const corpus = loadCorpus(config.corpus);
const golden = readGolden(config.golden).vectors;
const contexts = new ModelContexts();

async function embed(name: string) {
  const spec = config.backends.find((b) => b.name === name)!;
  const [backend] = createBackends([spec]);
  const outcome = await embedWithBackend({ backend, modelDir: spec.modelDir, texts: corpus.texts, batchSize: config.batchSize, timeoutMs: 120_000, contexts });
  if (outcome.status !== 'ok') throw new Error(`${name}: ${outcome.status}: ${outcome.reason}`);
  return { spec, vectors: outcome.vectors };
}

describe('downstream impact and diagnoses on the fixture', () => {
  it('cpu-fp32 and cpu-fp16 keep the neighbourhoods of the golden, and get no diagnosis', async () => {
    const { tokenizer } = await contexts.get(config.model);
    const lengths = corpus.texts.map((t) => tokenizer.encode(t).ids.length);
    for (const name of ['cpu-fp32', 'cpu-fp16']) {
      const { spec, vectors } = await embed(name);
      const d = downstreamImpact(golden, vectors);
      console.log(
        `${name} vs golden (${d.n} texts, ${d.pairs} pairs): top-1 ${d.top1Overlap.toFixed(4)}, top-5 ${d.top5Overlap.toFixed(4)}, top-10 ${d.top10Overlap.toFixed(4)}, ` +
          `spearman ${d.spearman.toFixed(9)}, max pairwise Δ ${d.maxPairwiseDelta.toExponential(3)} at (${corpus.ids[d.maxPairwiseDeltaAt!.i]}, ${corpus.ids[d.maxPairwiseDeltaAt!.j]}), ` +
          `mean Δ ${d.meanPairwiseDelta.toExponential(3)}, rank flips ${d.rankFlips}/${d.rankFlipsPossible} in ${d.anchorsWithFlips} anchors`,
      );
      expect(d.sampled).toBe(false);
      expect(d.n).toBe(corpus.texts.length);
      expect(d.spearman).toBeGreaterThan(0.9999);
      expect(d.top10Overlap).toBeGreaterThan(0.95);
      // Per-text cosine Δ up to ~5e-6 (fp16) is an angle of ~3e-3 rad: a pair can move by up to twice that.
      expect(d.maxPairwiseDelta).toBeLessThan(5e-3);
      const { metrics, details } = compareMatrices(golden, vectors, spec.tolerance, corpus.ids);
      expect(diagnose(metrics, details, { golden, actual: vectors, lengths })).toEqual([]);
    }
  }, 120_000);

  it('transformers.js (known to truncate long texts) loses neighbours, and the diagnosis says truncation', async () => {
    const { tokenizer } = await contexts.get(config.model);
    const lengths = corpus.texts.map((t) => tokenizer.encode(t).ids.length);
    const { spec, vectors } = await embed('transformersjs-fp32');
    const d = downstreamImpact(golden, vectors);
    console.log(`transformersjs-fp32 vs golden: top-10 ${d.top10Overlap.toFixed(4)}, spearman ${d.spearman.toFixed(6)}, max pairwise Δ ${d.maxPairwiseDelta.toExponential(3)}, rank flips ${d.rankFlips}`);
    expect(d.top10Overlap).toBeLessThan(1);
    expect(d.rankFlips).toBeGreaterThan(0);
    const { metrics, details } = compareMatrices(golden, vectors, spec.tolerance, corpus.ids);
    const found = diagnose(metrics, details, { golden, actual: vectors, lengths });
    console.log(found);
    expect(found).toEqual([expect.stringMatching(/^error appears only in the \d+ longest texts \(\d+\+ tokens; .* — truncation/)]);
  }, 120_000);
});
