/**
 * Plain-language diagnoses: when the shape of a difference matches a known failure pattern, say so,
 * in one line a person can act on. Pure (metrics, details and optionally the matrices); an empty list
 * means no pattern was recognised, which is the expected answer for clean rounding noise.
 *
 * Checks, in order (the first two end the list, since everything after them would be noise):
 * 1. shape: golden and backend dims (or row counts) differ;
 * 2. no output: every row all zeros / constant;
 * 3. non-finite values (NaN/Inf) that golden does not have;
 * 4. some rows zero/constant;
 * 5. directions agree but norms differ (one side not normalized, or a constant scale);
 * then, only when some element mismatches the tolerance (a passing backend's rounding has structure
 * too — BERT's outlier dimensions carry larger absolute rounding — and that is not a finding):
 * 6. a few elements far off while the rest agree closely (masking, special values);
 * 7. error grows with sequence length, or appears only in the longest texts (needs `lengths`);
 * 8. error concentrated in a few dimensions.
 *
 * Each line is a finding: the cause it names (or none, for a plain observation), the evidence it
 * rests on and how sure it is. A cause the evidence rules out is never named: when the harness
 * tokenized for the backend (both sides saw the same token ids), a length pattern is not called
 * truncation. Where a hypothesis can be tested it is, instead of guessed: token ids compared
 * (token-evidence.ts), the backend's rows renormalized, its dimensions matched against the golden's
 * (dimension-order.ts), texts re-embedded under a suspected fault (hypothesis-match.ts; the vectors
 * come from the caller, since compare/ runs no model).
 */
import type { Matrix } from '../numeric/matrix.js';
import { HISTOGRAM_BINS_PER_DECADE, HISTOGRAM_MIN_LOG10 } from './histogram.js';
import type { Details, Metrics } from './metric-types.js';
import { spearman } from '../numeric/spearman.js';
import { fmt } from '../numeric/format.js';
import { dimensionOrderFinding } from './dimension-order.js';
import type { Cause, Finding } from './finding.js';
import { formatFinding } from './finding.js';
import { hypothesisFindings, type HypothesisVectors } from './hypothesis-match.js';
import { tokenFindings, type TokenEvidence } from './token-evidence.js';

export interface DiagnosisContext {
  golden?: Matrix;
  actual?: Matrix;
  /** Token count of each text (after truncation), in corpus order. */
  lengths?: readonly number[];
  /**
   * Who tokenized for the backend: 'harness' (parity encoded the texts itself, as for every ONNX-style
   * backend, so both sides saw the same token ids and truncation, special tokens and the tokenizer
   * are ruled out), 'backend' (it tokenizes on its own). Unknown when absent.
   */
  tokenizedBy?: 'harness' | 'backend';
  /** The backend's own token ids beside the harness's, when it reports them (compared, not guessed). */
  tokens?: TokenEvidence;
  /** Texts re-embedded by a trusted model under suspected faults: a match confirms that fault. */
  hypotheses?: readonly HypothesisVectors[];
  /** sha256 of the weights the golden and the backend were made from, when both are recorded. */
  weights?: { golden?: string; backend?: string };
}

/** "Directions agree": every row's 1 - cos(a, g) below this (fp32 rounding gives ~1e-12). */
export const DIRECTION_AGREES_COSINE = 1e-6;
/** "Norms differ": some row's | ‖a‖ - ‖g‖ | above this fraction of the golden norm (1 for unit vectors). */
export const NORM_DIFFERS_RELATIVE = 1e-3;
/** A row counts as unit-norm when | ‖x‖ - 1 | is at most this. */
export const UNIT_NORM_SLACK = 1e-3;
/** Every row scaled by the same factor when the ratios ‖a‖/‖g‖ spread by less than this, relatively. */
export const SAME_SCALE_SPREAD = 1e-3;
/** "A few elements": mismatches are at most this fraction of all elements... */
export const SPARSE_MAX_MISMATCH_RATIO = 1e-3;
/** ...and the largest error is at least this many times larger than every other element's error. */
export const SPARSE_GAP_FACTOR = 100;
/** Length patterns need at least this many texts and at least two distinct lengths. */
export const LENGTH_MIN_ROWS = 8;
/** "Grows with length": Spearman correlation of (token count, max abs error per text) at least this... */
export const LENGTH_SPEARMAN_MIN = 0.5;
/** ...and the longest quarter's mean per-text error at least this many times the shortest quarter's. */
export const LENGTH_QUARTILE_RATIO_MIN = 3;
/** "Only in the longest texts": texts whose error is this many times the median error... */
export const LONG_ONLY_FACTOR = 10;
/** ...are at most this fraction of the texts and are exactly the longest ones. */
export const LONG_ONLY_MAX_FRACTION = 0.25;
/** Dimension patterns need at least this many dims. */
export const DIM_MIN_DIMS = 8;
/** "A few dims": at most max(1, this fraction of dims)... */
export const DIM_MAX_FRACTION = 0.05;
/** ...whose max abs error is at least this many times that of every other dim. */
export const DIM_GAP_FACTOR = 10;

/** The findings as report lines: "what was seen — the cause (confidence; evidence: …)". */
export function diagnose(metrics: Metrics, details: Details, context: DiagnosisContext = {}): string[] {
  return findings(metrics, details, context).map(formatFinding);
}

export function findings(metrics: Metrics, details: Details, context: DiagnosisContext = {}): Finding[] {
  const out: Finding[] = [];
  const add = (cause: Cause | null, confidence: Finding['confidence'], text: string, evidence: string) => out.push({ cause, confidence, text, evidence });
  const [rows, dim] = metrics.shape;
  const [gRows, gDim] = metrics.goldenShape;
  if (rows !== gRows || dim !== gDim) {
    if (dim !== gDim) {
      add('shape', 'confirmed', `golden and backend dims differ (${gDim} vs ${dim}) — wrong model, or a different head/projection size (pooler, Dense or Matryoshka truncation?)`, 'the two shapes');
    }
    if (rows !== gRows) {
      add('shape', 'confirmed', `golden has ${gRows} rows, the backend ${rows} — a different corpus, or texts dropped or batched wrongly`, 'the two shapes');
    }
    return out;
  }
  if (rows === 0) return out;

  const zeroNew = metrics.zeroRows > metrics.goldenZeroRows;
  const constNew = metrics.constantRows > metrics.goldenConstantRows;
  if ((zeroNew && metrics.zeroRows === rows) || (constNew && metrics.constantRows === rows)) {
    const what = metrics.zeroRows === rows ? 'all zeros' : 'constant';
    add('no-output', 'confirmed', `every row is ${what} — the backend produced no output (wrong output tensor, an unfilled buffer, or a failed run that returned defaults)`, `${rows} of ${rows} rows ${what}`);
    return out;
  }

  if (metrics.nonFinite > metrics.goldenNonFinite) {
    add('overflow', 'likely', nonFiniteMessage(metrics, context.actual), `${metrics.nonFinite} non-finite values where the golden has ${metrics.goldenNonFinite}`);
  }

  if (zeroNew) {
    add('no-output', 'confirmed', `${metrics.zeroRows} of ${rows} rows are all zeros (golden has ${metrics.goldenZeroRows}) — those texts produced no output (empty input, a dropped batch, or an unwritten slice)`, 'rows of zeros counted');
  }
  const constantOnly = metrics.constantRows - metrics.zeroRows;
  const goldenConstantOnly = metrics.goldenConstantRows - metrics.goldenZeroRows;
  if (constantOnly > goldenConstantOnly && constantOnly > 0) {
    add('no-output', 'confirmed', `${constantOnly} of ${rows} rows are constant but not zero (golden has ${goldenConstantOnly}) — the backend filled those rows with one value`, 'constant rows counted');
  }

  const norms = normFinding(metrics, context);
  if (norms) out.push(norms);

  if (metrics.mismatches > 0 && metrics.maxAbs > 0) {
    const weights = context.weights;
    if (weights?.golden && weights.backend && weights.golden !== weights.backend) {
      add('model-revision', 'confirmed', `the golden and the backend were made from different weights — a golden from another revision of the model (or another model)`, `weights sha256 ${weights.golden.slice(0, 12)}… (golden) vs ${weights.backend.slice(0, 12)}… (backend)`);
    }
    const tokens = context.tokens ? tokenFindings(context.tokens) : [];
    out.push(...tokens);
    const tokensAgree = context.tokenizedBy === 'harness' || (context.tokens !== undefined && tokens.length === 0);
    const confirmedTokens = tokens.some((f) => f.confidence === 'confirmed');
    const sparse = sparseMessage(metrics, details);
    if (sparse) add('masking', 'possible', sparse, `${metrics.mismatches} of ${metrics.total} elements off, ${SPARSE_GAP_FACTOR}x above every other element's error`);
    if (context.lengths) {
      const length = lengthFinding(details.rowMaxAbs, context.lengths, tokensAgree, context.tokenizedBy);
      // Far-off elements in long texts are the sparse finding's, and token ids that explain the
      // long texts are the token finding's: the length pattern is then only what was seen.
      if (length) out.push(sparse || confirmedTokens ? { ...length, cause: null, confidence: 'observed' } : length);
    }
    if (context.golden && context.actual) {
      const order = dimensionOrderFinding(context.golden, context.actual, metrics);
      if (order) out.push(order);
    }
    out.push(...(context.actual && context.hypotheses ? hypothesisFindings(context.actual, context.golden, context.hypotheses) : []));
    // A handful of far-off elements trivially sit in a handful of dims: the sparse line says it all.
    const dims = sparse || out.some((f) => f.cause === 'dimension-order') ? null : dimMessage(details.dimMaxAbs);
    if (dims) add(null, 'observed', dims, 'max abs error per dimension');
  }
  // A tested cause outranks untested ones: a pattern that names another cause stays as what was
  // seen, without the claim.
  const confirmed = new Set(out.filter((f) => f.confidence === 'confirmed').map((f) => f.cause));
  if (!confirmed.size) return out;
  return out.map((f) => (f.confidence === 'confirmed' || f.cause === null || confirmed.has(f.cause) ? f : { ...f, cause: null, confidence: 'observed' as const }));
}

function nonFiniteMessage(m: Metrics, actual: Matrix | undefined): string {
  let what = `${m.nonFinite} non-finite value${m.nonFinite === 1 ? '' : 's'}`;
  if (actual) {
    let nan = 0;
    let inf = 0;
    const rows = new Set<number>();
    for (let i = 0; i < actual.data.length; i++) {
      const x = actual.data[i];
      if (Number.isNaN(x)) nan++;
      else if (!Number.isFinite(x)) inf++;
      else continue;
      rows.add(Math.floor(i / actual.dim));
    }
    what = `${nan} NaN and ${inf} ±Inf value${nan + inf === 1 ? '' : 's'} in ${rows.size} of ${actual.rows} rows`;
  }
  return (
    `${what} in the output (golden has ${m.goldenNonFinite}) — an overflow: fp16 tops out at 65504, so look for an fp16 ` +
    `activation (attention scores, a large MatMul/LayerNorm input) or a -inf/finfo.min attention mask meeting an all-masked row`
  );
}

function rowNorms(m: Matrix): Float64Array {
  const out = new Float64Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    let s = 0;
    for (let d = 0; d < m.dim; d++) s += m.data[r * m.dim + d] ** 2;
    out[r] = Math.sqrt(s);
  }
  return out;
}

function normFinding(m: Metrics, context: DiagnosisContext): Finding | null {
  if (!(m.cosineDeltaMax < DIRECTION_AGREES_COSINE)) return null;
  const { golden, actual } = context;
  const cosine = `cosine Δ max ${fmt(m.cosineDeltaMax)}`;
  if (!golden || !actual || golden.rows !== actual.rows || golden.dim !== actual.dim) {
    // Without the vectors, assume unit-scale embeddings for "relative".
    if (!(m.normDeltaMax > NORM_DIFFERS_RELATIVE)) return null;
    return {
      cause: 'normalization',
      confidence: 'possible',
      text: `directions agree (cosine Δ max ${fmt(m.cosineDeltaMax)} < ${fmt(DIRECTION_AGREES_COSINE)}) but norms differ by up to ${fmt(m.normDeltaMax)} — one side is not normalized (or is scaled)`,
      evidence: `${cosine} and norm Δ max ${fmt(m.normDeltaMax)}; the vectors were not at hand to renormalize`,
    };
  }
  const gn = rowNorms(golden);
  const an = rowNorms(actual);
  let differs = false;
  let gUnit = true;
  let aUnit = true;
  let ratioMin = Infinity;
  let ratioMax = -Infinity;
  let aMin = Infinity;
  let aMax = -Infinity;
  let gMin = Infinity;
  let gMax = -Infinity;
  for (let r = 0; r < gn.length; r++) {
    // A row with NaN/Inf has no norm to compare (the non-finite finding names it).
    if ((gn[r] === 0 && an[r] === 0) || !Number.isFinite(an[r]) || !Number.isFinite(gn[r])) continue;
    if (Math.abs(an[r] - gn[r]) > NORM_DIFFERS_RELATIVE * Math.max(gn[r], Number.MIN_VALUE)) differs = true;
    if (Math.abs(gn[r] - 1) > UNIT_NORM_SLACK) gUnit = false;
    if (Math.abs(an[r] - 1) > UNIT_NORM_SLACK) aUnit = false;
    if (gn[r] > 0) {
      const ratio = an[r] / gn[r];
      ratioMin = Math.min(ratioMin, ratio);
      ratioMax = Math.max(ratioMax, ratio);
    }
    aMin = Math.min(aMin, an[r]);
    aMax = Math.max(aMax, an[r]);
    gMin = Math.min(gMin, gn[r]);
    gMax = Math.max(gMax, gn[r]);
  }
  if (!differs) return null;
  const head = `directions agree (cosine Δ max ${fmt(m.cosineDeltaMax)} < ${fmt(DIRECTION_AGREES_COSINE)}) but norms differ`;
  const range = (lo: number, hi: number) => (fmt(lo) === fmt(hi) ? fmt(lo) : `${fmt(lo)}..${fmt(hi)}`);
  if (gUnit && !aUnit) {
    // The hypothesis, tested: L2-normalize the backend's rows and compare again.
    const after = renormalizedMaxAbs(golden, actual);
    return {
      cause: 'normalization',
      confidence: 'confirmed',
      text: `${head}: golden is unit-norm, the backend's norms are ${range(aMin, aMax)} — the backend does not L2-normalize (sentence-transformers' Normalize module, normalize=True)`,
      evidence: `${cosine}; renormalized, the backend's rows are within ${fmt(after)} of the golden's`,
    };
  }
  if (aUnit && !gUnit) {
    return {
      cause: 'normalization',
      confidence: 'confirmed',
      text: `${head}: the backend is unit-norm, golden's norms are ${range(gMin, gMax)} — the backend normalizes and the golden was made without normalization`,
      evidence: `${cosine}; every backend row has norm 1 within ${fmt(UNIT_NORM_SLACK)}, the golden's do not`,
    };
  }
  if (ratioMax - ratioMin <= SAME_SCALE_SPREAD * Math.abs(ratioMax)) {
    return {
      cause: 'scale',
      confidence: 'likely',
      text: `${head}: every row is scaled by the same factor ${fmt((ratioMin + ratioMax) / 2)} — a constant scale (pooling sum vs mean, a temperature, a dtype scale)`,
      evidence: `${cosine}; norm ratios backend/golden ${range(ratioMin, ratioMax)}`,
    };
  }
  return {
    cause: 'pooling',
    confidence: 'possible',
    text: `${head}: norm ratio backend/golden ${range(ratioMin, ratioMax)} — one side is not normalized, or pooling divides differently (mean vs mean_sqrt_len, padding counted)`,
    evidence: `${cosine}; norm ratios vary from row to row`,
  };
}

/** Max abs difference between the golden and the backend's rows scaled to unit norm. */
function renormalizedMaxAbs(golden: Matrix, actual: Matrix): number {
  let worst = 0;
  for (let r = 0; r < actual.rows; r++) {
    let s = 0;
    for (let d = 0; d < actual.dim; d++) s += actual.data[r * actual.dim + d] ** 2;
    const n = Math.max(Math.sqrt(s), 1e-12);
    for (let d = 0; d < actual.dim; d++) worst = Math.max(worst, Math.abs(actual.data[r * actual.dim + d] / n - golden.data[r * golden.dim + d]));
  }
  return worst;
}

/** Upper edge of histogram bin b (bin 0 = exact zeros; the top finite bin is open-ended). */
function binUpper(b: number, topFinite: number): number {
  if (b === 0) return 0;
  if (b >= topFinite) return Infinity;
  return 10 ** (HISTOGRAM_MIN_LOG10 + b / HISTOGRAM_BINS_PER_DECADE);
}

function sparseMessage(m: Metrics, d: Details): string | null {
  if (m.mismatchRatio > SPARSE_MAX_MISMATCH_RATIO) return null;
  const hist = d.histogram;
  const nonFiniteBin = hist.length - 1;
  let far = m.mismatches - hist[nonFiniteBin];
  if (far <= 0) return null;
  // Take the `far` largest errors off the top of the histogram; the bin where the rest begins bounds them.
  let restUpper = 0;
  for (let b = nonFiniteBin - 1; b >= 0; b--) {
    const take = Math.min(hist[b], far);
    far -= take;
    if (hist[b] - take > 0) {
      restUpper = binUpper(b, nonFiniteBin - 1);
      break;
    }
  }
  if (!(restUpper * SPARSE_GAP_FACTOR <= m.maxAbs)) return null;
  const at = m.maxAbsAt;
  const where = at ? ` at text '${at.id}' dim ${at.dim}` : '';
  const texts = new Set(d.worst.filter((w) => w.ratio > 1).map((w) => w.id));
  const inTexts = m.mismatches <= d.worst.length ? ` in ${texts.size} text${texts.size === 1 ? '' : 's'} (${[...texts].slice(0, 5).map((t) => `'${t}'`).join(', ')}${texts.size > 5 ? ', …' : ''})` : '';
  return (
    `a few elements are far off, the rest agree: ${m.mismatches} of ${m.total} elements mismatch${inTexts} (max abs ${fmt(m.maxAbs)}${where}), ` +
    `every other element within ${fmt(restUpper)} — look at masking (padding leaking into attention or pooling) or a special value (a sentinel, a clamped or overflowed element)`
  );
}

function lengthFinding(rowErr: Float64Array, lengths: readonly number[], tokensAgree: boolean, tokenizedBy: DiagnosisContext['tokenizedBy']): Finding | null {
  const n = Math.min(rowErr.length, lengths.length);
  if (n < LENGTH_MIN_ROWS) return null;
  const err: number[] = [];
  const len: number[] = [];
  for (let r = 0; r < n; r++) {
    if (Number.isFinite(rowErr[r])) {
      err.push(rowErr[r]);
      len.push(lengths[r]);
    }
  }
  if (err.length < LENGTH_MIN_ROWS || new Set(len).size < 2) return null;
  const order = len.map((_, i) => i).sort((a, b) => len[a] - len[b] || a - b);

  // Only in the longest texts: the outlier texts are exactly the longest ones.
  const sortedErr = [...err].sort((a, b) => a - b);
  const median = sortedErr[Math.floor(sortedErr.length / 2)];
  const flagged = err.map((e, i) => (e > LONG_ONLY_FACTOR * median ? i : -1)).filter((i) => i >= 0);
  if (flagged.length > 0 && flagged.length <= LONG_ONLY_MAX_FRACTION * err.length) {
    const flaggedSet = new Set(flagged);
    const minFlagged = Math.min(...flagged.map((i) => len[i]));
    const others = order.filter((i) => !flaggedSet.has(i));
    const maxOther = Math.max(...others.map((i) => len[i]));
    if (minFlagged > maxOther) {
      const restMax = Math.max(...others.map((i) => err[i]));
      const flaggedMax = Math.max(...flagged.map((i) => err[i]));
      const seen =
        `error appears only in the ${flagged.length} longest text${flagged.length === 1 ? '' : 's'} (${minFlagged}+ tokens; max abs ${fmt(flaggedMax)} ` +
        `vs at most ${fmt(restMax)} in texts of ${maxOther} tokens or fewer)`;
      const evidence = `per-text max abs error against token count`;
      if (tokensAgree) {
        const why = tokenizedBy === 'harness' ? 'parity tokenized for this backend, so both sides saw the same token ids' : 'the backend reported the same token ids as the golden';
        return {
          cause: 'long-sequence',
          confidence: 'likely',
          text: `${seen} — not truncation: ${why}; a kernel, mask or position limit that breaks on long sequences`,
          evidence: `${evidence}; token ids identical on both sides`,
        };
      }
      return { cause: 'truncation', confidence: 'possible', text: `${seen} — truncation or a max-length/position limit differs between the two sides`, evidence: `${evidence}; the backend's token ids are unknown` };
    }
  }

  const rho = spearman(len, err);
  const q = Math.max(1, Math.floor(err.length / 4));
  const meanOf = (idx: number[]) => idx.reduce((s, i) => s + err[i], 0) / idx.length;
  const shortMean = meanOf(order.slice(0, q));
  const longMean = meanOf(order.slice(-q));
  const ratio = shortMean > 0 ? longMean / shortMean : longMean > 0 ? Infinity : 1;
  if (rho >= LENGTH_SPEARMAN_MIN && ratio >= LENGTH_QUARTILE_RATIO_MIN) {
    return {
      cause: null,
      confidence: 'observed',
      text:
        `error grows with sequence length (Spearman ${rho.toFixed(2)} between token count and max abs error per text; the longest quarter's mean error is ` +
        `${fmt(ratio)}x the shortest quarter's) — accumulation over the sequence (attention/softmax or pooling in low precision) or a position-dependent difference`,
      evidence: 'per-text max abs error against token count',
    };
  }
  return null;
}

function dimMessage(dimErr: Float64Array): string | null {
  const D = dimErr.length;
  if (D < DIM_MIN_DIMS) return null;
  const order = Array.from({ length: D }, (_, i) => i).sort((a, b) => dimErr[b] - dimErr[a] || a - b);
  const maxDims = Math.max(1, Math.floor(D * DIM_MAX_FRACTION));
  for (let c = 1; c <= maxDims; c++) {
    const inside = dimErr[order[c - 1]];
    const outside = dimErr[order[c]];
    if (inside > 0 && outside * DIM_GAP_FACTOR <= inside) {
      const dims = order.slice(0, c).sort((a, b) => a - b);
      const list = dims.slice(0, 8).join(', ') + (dims.length > 8 ? ', …' : '');
      return (
        `error concentrated in dimension${c === 1 ? '' : 's'} ${list}: max abs ${fmt(dimErr[order[0]])} there, at most ${fmt(outside)} in the other ${D - c} — ` +
        `a per-channel difference (one bias/LayerNorm weight, a quantization scale, an outlier channel overflowing in fp16, permuted dims)`
      );
    }
  }
  return null;
}
