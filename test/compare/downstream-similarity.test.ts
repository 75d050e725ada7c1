/**
 * Downstream impact ranks by the model's own similarity (issue 18 §3, seed 002): cosine, dot,
 * euclidean or manhattan, from similarity_fn_name unless checks.similarity overrides it; and for
 * golden vectors that are not unit-norm it says how far the golden's own dot-product and Euclidean
 * rankings disagree. The fixture: seeded vectors whose norms span 0.2..5, where -dot and L2 rank
 * neighbours differently; every figure checked here is recomputed by brute force in the test.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { downstreamImpact } from '../../src/compare/downstream.js';
import { parseChecks } from '../../src/config/checks.js';
import { rankingSimilarity } from '../../src/evaluate/checks.js';
import { loadModelInfo } from '../../src/model/model-folder.js';
import type { Matrix } from '../../src/numeric/matrix.js';
import { Prng } from '../../src/numeric/prng.js';
import { similarityNote } from '../../src/report/impact.js';
import { FIXTURE, tempDir } from '../support/helpers.js';

const N = 60;
const DIM = 16;

/** Rows with norms from 0.2 to 5 (not unit-norm), and the same rows plus noise of 2% of each norm. */
function fixture(): { golden: Matrix; actual: Matrix } {
  const rng = new Prng(2002);
  const g = new Float64Array(N * DIM);
  const a = new Float64Array(N * DIM);
  for (let r = 0; r < N; r++) {
    const scale = 0.2 * 25 ** rng.uniform();
    for (let d = 0; d < DIM; d++) g[r * DIM + d] = scale * rng.normal();
    for (let d = 0; d < DIM; d++) a[r * DIM + d] = g[r * DIM + d] + 0.02 * scale * rng.normal();
  }
  return { golden: { rows: N, dim: DIM, data: g }, actual: { rows: N, dim: DIM, data: a } };
}

type Score = (x: Float64Array, i: number, j: number) => number;
const SCORE: Record<string, Score> = {
  dot: (x, i, j) => {
    let s = 0;
    for (let d = 0; d < DIM; d++) s += x[i * DIM + d] * x[j * DIM + d];
    return s;
  },
  euclidean: (x, i, j) => {
    let s = 0;
    for (let d = 0; d < DIM; d++) s += (x[i * DIM + d] - x[j * DIM + d]) ** 2;
    return -Math.sqrt(s);
  },
  manhattan: (x, i, j) => {
    let s = 0;
    for (let d = 0; d < DIM; d++) s += Math.abs(x[i * DIM + d] - x[j * DIM + d]);
    return -s;
  },
};

/** Each row's best other row by `score`, by brute force. */
function nearest(x: Float64Array, score: Score): number[] {
  return Array.from({ length: N }, (_, i) => {
    let best = -1;
    let bestScore = -Infinity;
    for (let j = 0; j < N; j++) {
      if (j === i) continue;
      const s = score(x, i, j);
      if (s > bestScore) {
        bestScore = s;
        best = j;
      }
    }
    return best;
  });
}

const sameShare = (p: number[], q: number[]) => p.filter((v, i) => v === q[i]).length / p.length;

function normalized(m: Matrix): Matrix {
  const data = new Float64Array(m.data.length);
  for (let r = 0; r < m.rows; r++) {
    let sq = 0;
    for (let d = 0; d < m.dim; d++) sq += m.data[r * m.dim + d] ** 2;
    for (let d = 0; d < m.dim; d++) data[r * m.dim + d] = m.data[r * m.dim + d] / Math.sqrt(sq);
  }
  return { ...m, data };
}

describe('downstream impact by the model\'s similarity function', () => {
  const { golden, actual } = fixture();

  it.each(['dot', 'euclidean', 'manhattan'] as const)('%s: top-1 neighbours as brute force ranks them, and the largest change in its own units', (similarity) => {
    const d = downstreamImpact(golden, actual, { similarity });
    expect(d.similarity).toBe(similarity);
    const score = SCORE[similarity];
    expect(d.top1Overlap).toBeCloseTo(sameShare(nearest(golden.data as Float64Array, score), nearest(actual.data as Float64Array, score)), 12);
    let maxDelta = 0;
    for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) maxDelta = Math.max(maxDelta, Math.abs(score(golden.data as Float64Array, i, j) - score(actual.data as Float64Array, i, j)));
    expect(d.maxPairwiseDelta).toBeCloseTo(maxDelta, 10);
    console.log(`${similarity}: top-1 kept ${d.top1Overlap.toFixed(3)}, spearman ${d.spearman.toFixed(5)}, max Δ ${d.maxPairwiseDelta.toExponential(3)}`);
  });

  it('the golden\'s own dot-product and Euclidean rankings disagree on vectors that are not unit-norm, and agree once normalized', () => {
    const d = downstreamImpact(golden, actual, { similarity: 'dot' });
    const g = d.goldenDotVsEuclidean!;
    expect(g).not.toBeNull();
    const dotTop1 = nearest(golden.data as Float64Array, SCORE.dot);
    const l2Top1 = nearest(golden.data as Float64Array, SCORE.euclidean);
    expect(g.top1Overlap).toBeCloseTo(sameShare(dotTop1, l2Top1), 12);
    expect(g.top1Overlap).toBeLessThan(0.5); // seed 002: on norms spread 25×, the metric moves most neighbours
    expect(g.spearman).toBeLessThan(0.9);
    expect(g.maxNormDeviation).toBeGreaterThan(1);
    // The same figure whatever similarity ranks the backend (it is about the golden alone).
    expect(downstreamImpact(golden, actual, { similarity: 'cosine' }).goldenDotVsEuclidean).toEqual(g);

    const unit = downstreamImpact(normalized(golden), normalized(actual), { similarity: 'dot' });
    expect(unit.goldenDotVsEuclidean).toBeNull();
    // On unit vectors -‖a − b‖² = 2a·b − 2: dot and Euclidean rank every pair alike.
    const unitData = normalized(golden).data as Float64Array;
    expect(sameShare(nearest(unitData, SCORE.dot), nearest(unitData, SCORE.euclidean))).toBe(1);
    expect(downstreamImpact(normalized(golden), normalized(actual), { similarity: 'euclidean' }).top1Overlap).toBe(unit.top1Overlap);
  });

  it('cosine (the default) differs from dot on these vectors: the choice changes the figures', () => {
    const cosine = downstreamImpact(golden, actual);
    const dot = downstreamImpact(golden, actual, { similarity: 'dot' });
    expect(cosine.similarity).toBe('cosine');
    expect(cosine.maxPairwiseDelta).not.toBe(dot.maxPairwiseDelta);
    expect(cosine.maxPairwiseDelta).toBeLessThanOrEqual(2);
  });

  it('the similarity comes from checks.similarity, else the model\'s similarity_fn_name, else cosine; reports say which', () => {
    const dir = join(tempDir(), 'model');
    cpSync(FIXTURE.model, dir, { recursive: true });
    expect(loadModelInfo(FIXTURE.model).similarity).toBe('cosine');
    writeFileSync(join(dir, 'config_sentence_transformers.json'), JSON.stringify({ similarity_fn_name: 'dot' }));
    const model = loadModelInfo(dir).similarity;
    expect(model).toBe('dot');
    expect(rankingSimilarity(undefined, model)).toEqual({ name: 'dot', source: 'config_sentence_transformers.json' });
    const checks = parseChecks({ similarity: 'euclidean', downstreamMaxN: 100 }, 'parity.config.json');
    expect(checks).toMatchObject({ similarity: 'euclidean', downstreamMaxN: 100 });
    expect(rankingSimilarity(checks.similarity, model)).toEqual({ name: 'euclidean', source: 'checks.similarity' });
    expect(rankingSimilarity(undefined, null)).toEqual({ name: 'cosine', source: 'default' });
    expect(() => parseChecks({ similarity: 'maxsim' }, 'parity.config.json')).toThrow(/"checks.similarity" must be one of cosine, dot, euclidean, manhattan, got "maxsim"/);

    const d = { ...downstreamImpact(golden, actual, { similarity: 'dot' }), similaritySource: 'config_sentence_transformers.json' as const };
    const note = similarityNote({ backends: [{ downstream: d }] } as unknown as Parameters<typeof similarityNote>[0])!;
    expect(note).toContain("neighbours ranked by dot similarity (the model's similarity_fn_name)");
    expect(note).toMatch(/the golden's vectors are not unit-norm .* dot product vs Euclidean keep [\d.]+% of top-1/);
  });
});
