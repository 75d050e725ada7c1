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
 */
import type { Matrix } from '../numeric/matrix.js';
import { HISTOGRAM_BINS_PER_DECADE, HISTOGRAM_MIN_LOG10 } from './histogram.js';
import type { Details, Metrics } from './metric-types.js';
import { spearman } from '../numeric/spearman.js';
import { fmt } from '../numeric/format.js';

export interface DiagnosisContext {
  golden?: Matrix;
  actual?: Matrix;
  /** Token count of each text (after truncation), in corpus order. */
  lengths?: readonly number[];
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

export function diagnose(metrics: Metrics, details: Details, context: DiagnosisContext = {}): string[] {
  const out: string[] = [];
  const [rows, dim] = metrics.shape;
  const [gRows, gDim] = metrics.goldenShape;
  if (rows !== gRows || dim !== gDim) {
    if (dim !== gDim) {
      out.push(`golden and backend dims differ (${gDim} vs ${dim}) — wrong model, or a different head/projection size (pooler, Dense or Matryoshka truncation?)`);
    }
    if (rows !== gRows) {
      out.push(`golden has ${gRows} rows, the backend ${rows} — a different corpus, or texts dropped or batched wrongly`);
    }
    return out;
  }
  if (rows === 0) return out;

  const zeroNew = metrics.zeroRows > metrics.goldenZeroRows;
  const constNew = metrics.constantRows > metrics.goldenConstantRows;
  if ((zeroNew && metrics.zeroRows === rows) || (constNew && metrics.constantRows === rows)) {
    const what = metrics.zeroRows === rows ? 'all zeros' : 'constant';
    out.push(`every row is ${what} — the backend produced no output (wrong output tensor, an unfilled buffer, or a failed run that returned defaults)`);
    return out;
  }

  if (metrics.nonFinite > metrics.goldenNonFinite) out.push(nonFiniteMessage(metrics, context.actual));

  if (zeroNew) {
    out.push(`${metrics.zeroRows} of ${rows} rows are all zeros (golden has ${metrics.goldenZeroRows}) — those texts produced no output (empty input, a dropped batch, or an unwritten slice)`);
  }
  const constantOnly = metrics.constantRows - metrics.zeroRows;
  const goldenConstantOnly = metrics.goldenConstantRows - metrics.goldenZeroRows;
  if (constantOnly > goldenConstantOnly && constantOnly > 0) {
    out.push(`${constantOnly} of ${rows} rows are constant but not zero (golden has ${goldenConstantOnly}) — the backend filled those rows with one value`);
  }

  const norms = normMessage(metrics, context);
  if (norms) out.push(norms);

  if (metrics.mismatches > 0 && metrics.maxAbs > 0) {
    const sparse = sparseMessage(metrics, details);
    if (sparse) out.push(sparse);
    if (context.lengths) {
      const length = lengthMessage(details.rowMaxAbs, context.lengths);
      if (length) out.push(length);
    }
    // A handful of far-off elements trivially sit in a handful of dims: the sparse line says it all.
    const dims = sparse ? null : dimMessage(details.dimMaxAbs);
    if (dims) out.push(dims);
  }
  return out;
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

function normMessage(m: Metrics, context: DiagnosisContext): string | null {
  if (!(m.cosineDeltaMax < DIRECTION_AGREES_COSINE)) return null;
  const { golden, actual } = context;
  if (!golden || !actual || golden.rows !== actual.rows || golden.dim !== actual.dim) {
    // Without the vectors, assume unit-scale embeddings for "relative".
    if (!(m.normDeltaMax > NORM_DIFFERS_RELATIVE)) return null;
    return `directions agree (cosine Δ max ${fmt(m.cosineDeltaMax)} < ${fmt(DIRECTION_AGREES_COSINE)}) but norms differ by up to ${fmt(m.normDeltaMax)} — one side is not normalized (or is scaled)`;
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
    if (gn[r] === 0 && an[r] === 0) continue;
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
    return `${head}: golden is unit-norm, the backend's norms are ${range(aMin, aMax)} — the backend does not L2-normalize (sentence-transformers' Normalize module, normalize=True)`;
  }
  if (aUnit && !gUnit) {
    return `${head}: the backend is unit-norm, golden's norms are ${range(gMin, gMax)} — the backend normalizes and the golden was made without normalization`;
  }
  if (ratioMax - ratioMin <= SAME_SCALE_SPREAD * Math.abs(ratioMax)) {
    return `${head}: every row is scaled by the same factor ${fmt((ratioMin + ratioMax) / 2)} — a constant scale (pooling sum vs mean, a temperature, a dtype scale)`;
  }
  return `${head}: norm ratio backend/golden ${range(ratioMin, ratioMax)} — one side is not normalized, or pooling divides differently (mean vs mean_sqrt_len, padding counted)`;
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

function lengthMessage(rowErr: Float64Array, lengths: readonly number[]): string | null {
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
      return (
        `error appears only in the ${flagged.length} longest text${flagged.length === 1 ? '' : 's'} (${minFlagged}+ tokens; max abs ${fmt(flaggedMax)} ` +
        `vs at most ${fmt(restMax)} in texts of ${maxOther} tokens or fewer) — truncation or a max-length/position limit differs between the two sides`
      );
    }
  }

  const rho = spearman(len, err);
  const q = Math.max(1, Math.floor(err.length / 4));
  const meanOf = (idx: number[]) => idx.reduce((s, i) => s + err[i], 0) / idx.length;
  const shortMean = meanOf(order.slice(0, q));
  const longMean = meanOf(order.slice(-q));
  const ratio = shortMean > 0 ? longMean / shortMean : longMean > 0 ? Infinity : 1;
  if (rho >= LENGTH_SPEARMAN_MIN && ratio >= LENGTH_QUARTILE_RATIO_MIN) {
    return (
      `error grows with sequence length (Spearman ${rho.toFixed(2)} between token count and max abs error per text; the longest quarter's mean error is ` +
      `${fmt(ratio)}x the shortest quarter's) — accumulation over the sequence (attention/softmax or pooling in low precision) or a position-dependent difference`
    );
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
