/**
 * Bisect across frameworks, the comparison: two sources' tensors paired by module path and compared
 * at every point, through the whole network. Pure over the tensors (layer-sources.ts produces them).
 *
 * - Points, in the order the network computes them: the embeddings, then per layer the attention
 *   core (`attention.self`), its projection (`attention.output.dense`), the attention block's output
 *   after residual and LayerNorm (`attention`), the FFN's first projection (`intermediate.dense`),
 *   the activation (`intermediate`), the second projection (`output.dense`) and the layer's output
 *   after residual and LayerNorm (`output`). The *boundaries* are the embeddings and each layer's
 *   attention output and layer output (hidden_states exist in every framework); the other points
 *   say which op inside a layer the difference enters at.
 * - An element of A fails when |a - b| > atol + rtol·|b| (B is the trusted side); a point diverges
 *   when more than mismatchRatio of its elements fail. The first divergent point is where A departs
 *   from B; everything before it agrees.
 * - Relative error is max |a - b| / max |b| at that point, so points of different scale (an FFN
 *   activation, a LayerNorm output) read on one axis.
 * - Growth: from each boundary's relative error, "flat" when the layer outputs stay within 3x of
 *   the embeddings', a "jump" when one layer multiplies it by 10x or more, otherwise "grows".
 */
import { fmt } from '../numeric/format.js';
import type { NamedTensor } from './layer-sources.js';

import type { BisectTolerance } from './bisect.js';
export type { BisectTolerance };

/** Ops inside a layer, in compute order, with what each is. */
export const LAYER_POINTS: readonly { suffix: string; op: string; boundary: boolean }[] = [
  { suffix: 'attention.self', op: 'attention core (QKᵀ, softmax, ·V)', boundary: false },
  { suffix: 'attention.output.dense', op: 'attention output projection (MatMul + bias)', boundary: false },
  { suffix: 'attention', op: 'attention block output (residual + LayerNorm)', boundary: true },
  { suffix: 'intermediate.dense', op: 'FFN up-projection (MatMul + bias)', boundary: false },
  { suffix: 'intermediate', op: 'GELU', boundary: false },
  { suffix: 'output.dense', op: 'FFN down-projection (MatMul + bias)', boundary: false },
  { suffix: 'output', op: 'layer output (residual + LayerNorm)', boundary: true },
];

export interface Point {
  path: string;
  layer: number | null;
  op: string;
  boundary: boolean;
}

/** Every point of a BERT-style encoder with `layers` layers, in compute order. */
export function bertPoints(layers: number): Point[] {
  const out: Point[] = [{ path: 'embeddings', layer: null, op: 'embeddings (word + position + type, LayerNorm)', boundary: true }];
  for (let l = 0; l < layers; l++) {
    for (const p of LAYER_POINTS) out.push({ path: `encoder.layer.${l}.${p.suffix}`, layer: l, op: p.op, boundary: p.boundary });
  }
  return out;
}

export interface PointComparison extends Point {
  /** Over all texts compared. */
  maxAbs: number;
  /** max |a - b| / max |b|. */
  relative: number;
  mismatches: number;
  total: number;
  exceeds: boolean;
  /** Where each side's tensor came from. */
  originA: string;
  originB: string;
  /** Set when a side has no tensor for this point, or the shapes differ. */
  note?: string;
}

export type Growth = { kind: 'flat' | 'grows' | 'jump'; text: string };

export interface LayerBisect {
  points: PointComparison[];
  firstDivergent: PointComparison | null;
  growth: Growth;
}

function comparePoint(point: Point, pairs: readonly (readonly [NamedTensor | undefined, NamedTensor | undefined])[], tol: BisectTolerance): PointComparison {
  let maxAbs = 0;
  let maxB = 0;
  let mismatches = 0;
  let total = 0;
  let note: string | undefined;
  let originA = '';
  let originB = '';
  for (const [a, b] of pairs) {
    if (!a || !b) {
      note = !a && !b ? 'neither side has it' : !a ? 'side A has no such tensor' : 'side B has no such tensor';
      continue;
    }
    originA ||= a.origin;
    originB ||= b.origin;
    if (a.data.length !== b.data.length) {
      note = `shapes differ: [${a.shape}] vs [${b.shape}]`;
      continue;
    }
    for (let i = 0; i < a.data.length; i++) {
      const x = a.data[i];
      const y = b.data[i];
      const d = Math.abs(x - y);
      const bad = !(d <= tol.atol + tol.rtol * Math.abs(y));
      if (bad) mismatches++;
      // NaN counts as the largest difference: it fails and it shows.
      maxAbs = Number.isNaN(d) ? Infinity : Math.max(maxAbs, d);
      maxB = Math.max(maxB, Math.abs(y));
    }
    total += a.data.length;
  }
  const compared = total > 0;
  return {
    ...point,
    maxAbs: compared ? maxAbs : NaN,
    relative: compared ? (maxB > 0 ? maxAbs / maxB : maxAbs) : NaN,
    mismatches,
    total,
    exceeds: compared && mismatches > tol.mismatchRatio * total,
    originA,
    originB,
    ...(note && !compared ? { note } : {}),
  };
}

export function growthOf(points: readonly PointComparison[]): Growth {
  const all = points.filter((p) => p.boundary && Number.isFinite(p.relative));
  if (all.length < 2) return { kind: 'flat', text: 'too few boundaries compared to say' };
  // Bit-identical boundaries first (two PyTorch attentions share the embeddings): the growth is
  // measured from where the difference appears, not as a jump from zero.
  const enters = all.findIndex((b) => b.relative > 0);
  if (enters < 0) return { kind: 'flat', text: 'is exactly 0 at every layer boundary' };
  const bounds = all.slice(enters);
  const lead = enters > 0 ? `is exactly 0 up to ${all[enters - 1].path}, appears at ${bounds[0].path} (${fmt(bounds[0].relative)}), then ` : '';
  if (bounds.length < 2) return { kind: 'flat', text: `${lead}ends there` };
  const first = bounds[0].relative;
  const last = bounds[bounds.length - 1].relative;
  let jump: { at: PointComparison; factor: number } | null = null;
  for (let k = 1; k < bounds.length; k++) {
    const factor = bounds[k].relative / Math.max(bounds[k - 1].relative, Number.MIN_VALUE);
    if (factor >= 10 && (!jump || factor > jump.factor)) jump = { at: bounds[k], factor };
  }
  if (jump) return { kind: 'jump', text: `${lead}jumps ${fmt(jump.factor)}x at ${jump.at.path} (${jump.at.op}), relative error ${fmt(jump.at.relative)} there` };
  const ratio = last / first;
  if (ratio <= 3 && bounds.every((b) => b.relative <= 3 * first)) return { kind: 'flat', text: `${lead}stays flat: relative error ${fmt(first)} at ${bounds[0].path}, ${fmt(last)} at the last layer` };
  return { kind: 'grows', text: `${lead}grows ${fmt(ratio)}x from ${bounds[0].path} (${fmt(first)}) to the last layer (${fmt(last)}), no single layer more than 10x` };
}

/**
 * Compares A's tensors with B's at every point. `a[k]` and `b[k]` are the same text's maps from
 * module path to tensor.
 */
export function compareLayers(points: readonly Point[], a: readonly Map<string, NamedTensor>[], b: readonly Map<string, NamedTensor>[], tol: BisectTolerance): LayerBisect {
  const compared = points.map((p) => comparePoint(p, a.map((m, k) => [m.get(p.path), b[k]?.get(p.path)] as const), tol));
  return { points: compared, firstDivergent: compared.find((p) => p.exceeds) ?? null, growth: growthOf(compared) };
}
