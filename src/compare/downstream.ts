/**
 * Downstream impact: does a backend's numeric drift change what an application would *do* with the
 * vectors? Within the corpus itself, golden vs backend: the nearest neighbours of every text, the
 * ordering of all pairwise similarities, and the largest change of any pairwise cosine.
 *
 * Pure functions over typed arrays (like metrics.ts); no backend imports.
 *
 * The similarity is the model's own (sentence-transformers' similarity_fn_name): cosine (the
 * default), dot (the raw dot product), euclidean (-‖a − b‖₂) or manhattan (-‖a − b‖₁); higher is more
 * similar for all four, as in sentence-transformers. Below, "cos" stands for whichever was chosen.
 *
 * Definitions (n texts, after sampling; for cosine, rows are L2-normalized first, so the dot product
 * is the cosine; a zero row stays zero and has cosine 0 with everything):
 * - topKOverlap: for each anchor text i, the golden top-k neighbours of i within the corpus (self
 *   excluded) and the backend's top-k; |G ∩ A| / k, averaged over anchors (k capped at n - 1).
 *   Ties are broken by the lower row index, on both sides the same way.
 * - spearman: Spearman rank correlation of the n(n-1)/2 pairwise cosines (i < j), golden vs backend:
 *   Pearson correlation of their ranks, ties given their average rank. The cosines are ranked as
 *   float32 (differences below float32 resolution rank as ties, on both sides alike). 1 when there are
 *   fewer than 2 pairs or both sides are constant; 0 when only one side is constant.
 * - maxPairwiseDelta: max over i < j of |cos_golden(i,j) - cos_backend(i,j)| in float64;
 *   maxPairwiseDeltaAt names (i, j) as corpus rows. A NaN cosine counts as Infinity.
 * - rankFlips: for each anchor i, take its golden top-10 list (k = min(10, n-1)) in golden order and
 *   count the pairs (u, v) of that list with cos_g(i,u) > cos_g(i,v) but cos_a(i,u) < cos_a(i,v):
 *   the Kendall distance of the backend's ordering of the golden top-10 (the number of adjacent swaps
 *   that restore golden order), summed over anchors. Ties on either side are not flips.
 *   rankFlipsPossible = Σ C(k, 2) = n·k(k-1)/2 is the maximum. O(n·k²), on top of O(n²·d).
 *
 * - goldenDotVsEuclidean: for golden rows that are not unit-norm, the same overlaps, Spearman and rank
 *   flips between the golden's own dot-product ranking and its Euclidean ranking (seed 002: -‖a−b‖²
 *   = 2a·b − ‖a‖² − ‖b‖² ranks as the dot product only when every norm is 1). It says when the
 *   metric, not the backend, changes the neighbours. Null for unit-norm rows (max |‖g‖ − 1| ≤ 1e-6).
 *
 * Cost: O(n²·d) time, in row blocks of `blockRows` so both row blocks stay in cache; the top-k lists
 * are k-element insertion lists per row. Memory: ~20 bytes per pair (two float32 cosine arrays, then
 * index and rank arrays for the radix sort), i.e. ~250 MB at n = 5000 (12.5M pairs). Above `maxN`
 * texts, `maxN` rows are sampled deterministically (seeded, `sampleSeed`) and every figure is over the
 * sample: neighbours are searched within the sample, and `sampled` is true.
 */
import type { Matrix } from '../numeric/matrix.js';
import { Prng } from '../numeric/prng.js';
import type { SimilarityName } from '../numeric/similarity.js';
import { spearmanOfPairs } from '../numeric/spearman.js';

/** The sample's seed unless told otherwise: `run` and `merge` must pick the same rows. */
export const DOWNSTREAM_SAMPLE_SEED = 1;

export interface DownstreamOptions {
  /** The similarity that ranks neighbours and pairs. Default cosine. */
  similarity?: SimilarityName;
  /** Most texts compared; larger corpora are sampled down to this many rows. Default 5000. */
  maxN?: number;
  /** Seed of the deterministic row sample (only used when rows > maxN). Default 1. */
  sampleSeed?: number;
  /** Rows per block of the pairwise-similarity loop. Default 64. */
  blockRows?: number;
}

export type SimilaritySource = 'checks.similarity' | 'config_sentence_transformers.json' | 'default';

/** How two rankings of the same pairs agree (see the file comment). */
export interface RankingAgreement {
  top1Overlap: number;
  top5Overlap: number;
  top10Overlap: number;
  spearman: number;
  rankFlips: number;
  rankFlipsPossible: number;
  anchorsWithFlips: number;
}

export interface DownstreamImpact {
  /** The similarity that ranked neighbours and pairs; maxPairwiseDelta is in its units. Absent in older reports (cosine). */
  similarity?: SimilarityName;
  /** Where that choice came from: the config's checks.similarity, the model's similarity_fn_name, or the default. */
  similaritySource?: SimilaritySource;
  /** Golden's dot-product ranking vs its Euclidean ranking, when its rows are not unit-norm; null when they are. */
  goldenDotVsEuclidean?: (RankingAgreement & { maxNormDeviation: number }) | null;
  /** Texts compared (the sample size when sampled). */
  n: number;
  /** Rows in the inputs. */
  rows: number;
  sampled: boolean;
  top1Overlap: number;
  top5Overlap: number;
  top10Overlap: number;
  spearman: number;
  maxPairwiseDelta: number;
  /** Corpus rows of the pair with the largest cosine change; null when there is no pair. */
  maxPairwiseDeltaAt: { i: number; j: number } | null;
  meanPairwiseDelta: number;
  rankFlips: number;
  rankFlipsPossible: number;
  /** Anchors whose golden top-10 is reordered at all. */
  anchorsWithFlips: number;
  /** Pairs i < j compared: n(n-1)/2. */
  pairs: number;
}

export const DOWNSTREAM_DEFAULT_MAX_N = 5000;
const TOP_K = 10;
/** Above this many pairs the doubled ranks no longer fit a Uint32Array (and memory is ~40 GB). */
const MAX_PAIRS = 2 ** 31 - 1;

export function downstreamImpact(golden: Matrix, actual: Matrix, options: DownstreamOptions = {}): DownstreamImpact {
  if (golden.rows !== actual.rows) {
    throw new RangeError(`downstreamImpact: golden has ${golden.rows} rows, actual ${actual.rows}; the texts must be the same`);
  }
  const maxN = options.maxN ?? DOWNSTREAM_DEFAULT_MAX_N;
  const blockRows = Math.max(1, Math.floor(options.blockRows ?? 64));
  if (!Number.isInteger(maxN) || maxN < 1) throw new RangeError(`downstreamImpact: maxN must be a positive integer, got ${maxN}`);
  const wanted = Math.min(maxN, golden.rows);
  if ((wanted * (wanted - 1)) / 2 > MAX_PAIRS) {
    throw new RangeError(`downstreamImpact: ${wanted} texts means more than 2^31 pairs; set maxN to at most 65536`);
  }
  const sampled = golden.rows > maxN;
  const rows = sampled ? sampleRows(golden.rows, maxN, options.sampleSeed ?? DOWNSTREAM_SAMPLE_SEED) : identity(golden.rows);
  const n = rows.length;
  const similarity = options.similarity ?? 'cosine';
  const prepare = (m: Matrix) => (similarity === 'cosine' ? normalizedRows(m, rows) : chosenRows(m, rows));
  const g = prepare(golden);
  const a = prepare(actual);
  const score = SCORES[similarity];
  const r = compareRankings(g, golden.dim, score, a, actual.dim, score, rows, blockRows);

  // The golden's own rankings by dot product and by Euclidean distance, when its norms vary.
  const raw = similarity === 'dot' || similarity === 'euclidean' || similarity === 'manhattan' ? g : chosenRows(golden, rows);
  const maxNormDeviation = normDeviation(raw, golden.dim);
  const goldenDotVsEuclidean =
    maxNormDeviation > UNIT_NORM_SLACK ? { ...agreementOnly(compareRankings(raw, golden.dim, SCORES.dot, raw, golden.dim, SCORES.euclidean, rows, blockRows)), maxNormDeviation } : null;

  return {
    similarity,
    goldenDotVsEuclidean,
    n,
    rows: golden.rows,
    sampled,
    ...agreementOnly(r),
    maxPairwiseDelta: r.maxDelta,
    maxPairwiseDeltaAt: r.maxAt,
    meanPairwiseDelta: r.pairs ? r.sumDelta / r.pairs : 0,
    pairs: r.pairs,
  };
}

/** Rows whose norm is within this of 1 count as unit-norm. */
const UNIT_NORM_SLACK = 1e-6;

type Score = (x: Float64Array, i: number, j: number, len: number) => number;

/** Higher is more similar, as sentence-transformers' similarity functions. */
const SCORES: Record<SimilarityName, Score> = {
  cosine: (x, i, j, len) => dot(x, i, j, len),
  dot: (x, i, j, len) => dot(x, i, j, len),
  euclidean: (x, i, j, len) => {
    let s = 0;
    for (let d = 0; d < len; d++) s += (x[i + d] - x[j + d]) ** 2;
    return -Math.sqrt(s);
  },
  manhattan: (x, i, j, len) => {
    let s = 0;
    for (let d = 0; d < len; d++) s += Math.abs(x[i + d] - x[j + d]);
    return -s;
  },
};

function agreementOnly(r: RankingAgreement): RankingAgreement {
  const { top1Overlap, top5Overlap, top10Overlap, spearman, rankFlips, rankFlipsPossible, anchorsWithFlips } = r;
  return { top1Overlap, top5Overlap, top10Overlap, spearman, rankFlips, rankFlipsPossible, anchorsWithFlips };
}

/**
 * Every pair i < j scored on both sides (x by scoreX, y by scoreY), and the agreement of the two
 * rankings: top-k overlaps, Spearman of the pair scores, rank flips, and the largest score change.
 */
function compareRankings(x: Float64Array, dx: number, scoreX: Score, y: Float64Array, dy: number, scoreY: Score, rows: readonly number[], blockRows: number) {
  const n = rows.length;
  const pairs = (n * (n - 1)) / 2;
  const k = Math.min(TOP_K, Math.max(n - 1, 0));
  const simsG = new Float32Array(pairs);
  const simsA = new Float32Array(pairs);
  const topG = new TopK(n, k);
  const topA = new TopK(n, k);
  let maxDelta = 0;
  let maxAt: { i: number; j: number } | null = null;
  let sumDelta = 0;

  for (let ib = 0; ib < n; ib += blockRows) {
    const ie = Math.min(ib + blockRows, n);
    for (let jb = ib; jb < n; jb += blockRows) {
      const je = Math.min(jb + blockRows, n);
      for (let i = ib; i < ie; i++) {
        const rowStart = (i * (2 * n - i - 1)) / 2 - i - 1; // pair index of (i, j) = rowStart + j
        const gi = i * dx;
        const ai = i * dy;
        for (let j = Math.max(jb, i + 1); j < je; j++) {
          const sg = scoreX(x, gi, j * dx, dx);
          const sa = scoreY(y, ai, j * dy, dy);
          const p = rowStart + j;
          simsG[p] = sg + 0; // + 0 turns -0 into +0, so the two zeros rank as one value
          simsA[p] = sa + 0;
          let delta = Math.abs(sg - sa);
          if (Number.isNaN(delta)) delta = Infinity;
          sumDelta += delta;
          if (delta > maxDelta || maxAt === null) {
            maxDelta = Math.max(delta, maxDelta);
            maxAt = { i: rows[i], j: rows[j] };
          }
          topG.offer(i, j, sg);
          topG.offer(j, i, sg);
          topA.offer(i, j, sa);
          topA.offer(j, i, sa);
        }
      }
    }
  }

  const overlap = (kk: number) => (n < 2 ? 1 : topG.meanOverlap(topA, Math.min(kk, n - 1)));
  const { flips, anchorsWithFlips } = countRankFlips(topG, y, dy, scoreY, n);
  return {
    top1Overlap: overlap(1),
    top5Overlap: overlap(5),
    top10Overlap: overlap(10),
    spearman: spearmanOfPairs(simsG, simsA),
    rankFlips: flips,
    rankFlipsPossible: (n * k * (k - 1)) / 2,
    anchorsWithFlips,
    maxDelta,
    maxAt,
    sumDelta,
    pairs,
  };
}

/** Dot product of x[i..i+len) and x[j..j+len); four accumulators run faster in V8 than one. */
function dot(x: Float64Array, i: number, j: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let d = 0;
  for (; d + 3 < len; d += 4) {
    s0 += x[i + d] * x[j + d];
    s1 += x[i + d + 1] * x[j + d + 1];
    s2 += x[i + d + 2] * x[j + d + 2];
    s3 += x[i + d + 3] * x[j + d + 3];
  }
  for (; d < len; d++) s0 += x[i + d] * x[j + d];
  return s0 + s1 + (s2 + s3);
}

function identity(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** `count` distinct rows of `total`, ascending: a seeded partial Fisher-Yates shuffle (mulberry32). */
export function sampleRows(total: number, count: number, seed: number): number[] {
  const rng = new Prng(seed);
  const next = () => rng.uniform();
  const perm = new Uint32Array(total);
  for (let i = 0; i < total; i++) perm[i] = i;
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(next() * (total - i));
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return Array.from(perm.subarray(0, count)).sort((x, y) => x - y);
}

/** The chosen rows as they are, in float64. */
function chosenRows(m: Matrix, rows: readonly number[]): Float64Array {
  const dim = m.dim;
  const out = new Float64Array(rows.length * dim);
  rows.forEach((row, r) => {
    for (let d = 0; d < dim; d++) out[r * dim + d] = m.data[row * dim + d];
  });
  return out;
}

/** Largest |‖row‖₂ − 1| (NaN rows ignored). */
function normDeviation(x: Float64Array, dim: number): number {
  let worst = 0;
  for (let base = 0; base < x.length; base += dim) {
    let sq = 0;
    for (let d = 0; d < dim; d++) sq += x[base + d] * x[base + d];
    const dev = Math.abs(Math.sqrt(sq) - 1);
    if (dev > worst) worst = dev;
  }
  return worst;
}

/** The chosen rows, each scaled to unit L2 norm in float64 (zero rows stay zero). */
function normalizedRows(m: Matrix, rows: readonly number[]): Float64Array {
  const dim = m.dim;
  const out = new Float64Array(rows.length * dim);
  rows.forEach((row, r) => {
    const base = row * dim;
    let scale = 0;
    for (let d = 0; d < dim; d++) {
      const x = Math.abs(m.data[base + d]);
      if (x > scale) scale = x; // NaN never wins: a NaN row stays NaN below
    }
    let sq = 0;
    for (let d = 0; d < dim; d++) {
      const x = scale > 0 ? m.data[base + d] / scale : m.data[base + d];
      sq += x * x;
    }
    const norm = Math.sqrt(sq);
    for (let d = 0; d < dim; d++) {
      out[r * dim + d] = norm > 0 && scale > 0 ? m.data[base + d] / scale / norm : m.data[base + d] === 0 ? 0 : NaN;
    }
  });
  return out;
}

/** Per-row top-k neighbour lists, best first; ties go to the lower index; NaN ranks last. */
class TopK {
  readonly idx: Int32Array;
  readonly sim: Float64Array;
  readonly count: Int32Array;

  constructor(
    readonly n: number,
    readonly k: number,
  ) {
    this.idx = new Int32Array(n * k);
    this.sim = new Float64Array(n * k);
    this.count = new Int32Array(n);
  }

  offer(row: number, j: number, s: number): void {
    const k = this.k;
    if (k === 0) return;
    if (Number.isNaN(s)) s = -Infinity;
    const base = row * k;
    let c = this.count[row];
    if (c === k) {
      const ls = this.sim[base + k - 1];
      if (s < ls || (s === ls && j > this.idx[base + k - 1])) return;
      c = k - 1; // drop the last
    } else {
      this.count[row] = c + 1;
    }
    let pos = c;
    while (pos > 0) {
      const ps = this.sim[base + pos - 1];
      if (ps > s || (ps === s && this.idx[base + pos - 1] < j)) break;
      this.sim[base + pos] = ps;
      this.idx[base + pos] = this.idx[base + pos - 1];
      pos--;
    }
    this.sim[base + pos] = s;
    this.idx[base + pos] = j;
  }

  meanOverlap(other: TopK, kk: number): number {
    let sum = 0;
    for (let r = 0; r < this.n; r++) {
      const base = r * this.k;
      let common = 0;
      for (let x = 0; x < kk; x++) {
        const v = this.idx[base + x];
        for (let y = 0; y < kk; y++) {
          if (other.idx[base + y] === v) {
            common++;
            break;
          }
        }
      }
      sum += common / kk;
    }
    return sum / this.n;
  }
}

/** Kendall distance of the backend's order of each anchor's golden top-k; see the file comment. */
function countRankFlips(topG: TopK, a: Float64Array, da: number, score: Score, n: number) {
  const k = topG.k;
  const actualSims = new Float64Array(k);
  let flips = 0;
  let anchorsWithFlips = 0;
  for (let i = 0; i < n; i++) {
    const base = i * k;
    for (let t = 0; t < k; t++) {
      actualSims[t] = score(a, i * da, topG.idx[base + t] * da, da);
    }
    let here = 0;
    for (let t = 0; t < k; t++) {
      for (let u = t + 1; u < k; u++) {
        if (topG.sim[base + t] > topG.sim[base + u] && actualSims[t] < actualSims[u]) here++;
      }
    }
    flips += here;
    if (here) anchorsWithFlips++;
  }
  return { flips, anchorsWithFlips };
}
