/**
 * Elementwise comparison of two intermediate tensors for bisection. Pure; no runtime imports.
 *
 * Same rule as the comparator (metrics.ts): an element of A mismatches when
 * |a - b| > atol + rtol·|b| (B is the reference side); NaN on either side mismatches, equal
 * infinities are equal, other non-finite pairs mismatch. maxAbs/meanAbs are over finite pairs.
 *
 * Padding: when a `mask` is given, elements at padded token positions are skipped, because what a
 * model computes there is unspecified (it is masked out downstream) and two runtimes legitimately
 * differ. An element is real when, along every sequence axis, its index is below its row's real
 * length (row = its index along the batch axis). How the axes are found is bisect.ts's business.
 */
import { fromFloat16Bits } from '../numeric/float16.js';

export interface TensorData {
  /** ONNX Runtime tensor type: float32, float16, float64, int64, int32, bool, ... */
  type: string;
  dims: readonly number[];
  data: unknown;
}

export interface PaddingMask {
  batchAxis: number;
  seqAxes: number[];
  /** Real length of each batch row. */
  lengths: readonly number[];
  /** Left padding (decoder embedders): a row's real positions are the last `length` along each sequence axis. */
  paddingSide?: 'left' | 'right';
}

export interface TensorStats {
  /** Elements compared (after masking). */
  total: number;
  /** Elements skipped as padding. */
  masked: number;
  maxAbs: number;
  /** Multi-index of maxAbs; null when nothing was compared. */
  maxAbsAt: number[] | null;
  meanAbs: number;
  /** Largest |b| over compared finite elements: the scale maxAbs is relative to. */
  maxRef: number;
  mismatches: number;
  mismatchRatio: number;
  /** Non-finite values in A / in B among compared elements. */
  nonFiniteA: number;
  nonFiniteB: number;
}

export const FLOAT_TYPES: ReadonlySet<string> = new Set(['float16', 'float32', 'float64', 'bfloat16']);

/**
 * The tensor's values as numbers: fp16 bits decoded (Node 20 has no Float16Array, so ONNX Runtime
 * hands back raw Uint16Array bits), int64 via Number, bool as 0/1. null for strings and other types.
 */
export function tensorValues(t: TensorData): ArrayLike<number> | null {
  const d = t.data;
  if (t.type === 'float16') {
    if (d instanceof Uint16Array) return fromFloat16Bits(d);
    return d as ArrayLike<number>;
  }
  if (t.type === 'bfloat16' && d instanceof Uint16Array) {
    const out = new Float32Array(d.length);
    const u = new Uint32Array(out.buffer);
    for (let i = 0; i < d.length; i++) u[i] = d[i] << 16;
    return out;
  }
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return Float64Array.from(d, (x) => Number(x));
  if (d instanceof Uint8Array && t.type === 'bool') return d;
  if (ArrayBuffer.isView(d) && !(d instanceof DataView)) return d as unknown as ArrayLike<number>;
  return null;
}

function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let k = dims.length - 2; k >= 0; k--) s[k] = s[k + 1] * dims[k + 1];
  return s;
}

function unravel(flat: number, dims: readonly number[]): number[] {
  const st = strides(dims);
  return dims.map((d, k) => Math.floor(flat / st[k]) % d);
}

export function compareTensorValues(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  dims: readonly number[],
  tolerance: { atol: number; rtol: number },
  mask?: PaddingMask | null,
): TensorStats {
  const n = Math.min(a.length, b.length);
  const { atol, rtol } = tolerance;
  const st = strides(dims);
  const useMask = !!mask && mask.seqAxes.length > 0 && dims.length > mask.batchAxis;
  let total = 0;
  let masked = 0;
  let maxAbs = 0;
  let maxAt = -1;
  let sum = 0;
  let finite = 0;
  let maxRef = 0;
  let mismatches = 0;
  let nonFiniteA = 0;
  let nonFiniteB = 0;
  for (let i = 0; i < n; i++) {
    if (useMask) {
      const row = Math.floor(i / st[mask!.batchAxis]) % dims[mask!.batchAxis];
      const len = mask!.lengths[row];
      let padded = false;
      const left = mask!.paddingSide === 'left';
      for (const ax of mask!.seqAxes) {
        const pos = Math.floor(i / st[ax]) % dims[ax];
        if (left ? pos < dims[ax] - len : pos >= len) {
          padded = true;
          break;
        }
      }
      if (padded) {
        masked++;
        continue;
      }
    }
    total++;
    const x = a[i];
    const y = b[i];
    const fx = Number.isFinite(x);
    const fy = Number.isFinite(y);
    if (!fx) nonFiniteA++;
    if (!fy) nonFiniteB++;
    if (!fx || !fy) {
      if (!(x === y && !Number.isNaN(x))) mismatches++;
      continue;
    }
    const diff = Math.abs(x - y);
    const ref = Math.abs(y);
    if (ref > maxRef) maxRef = ref;
    sum += diff;
    finite++;
    if (diff > maxAbs || maxAt < 0) {
      maxAbs = Math.max(maxAbs, diff);
      maxAt = i;
    }
    if (diff > atol + rtol * ref) mismatches++;
  }
  return {
    total,
    masked,
    maxAbs,
    maxAbsAt: maxAt < 0 ? null : unravel(maxAt, dims),
    meanAbs: finite ? sum / finite : 0,
    maxRef,
    mismatches,
    mismatchRatio: total ? mismatches / total : 0,
    nonFiniteA,
    nonFiniteB,
  };
}

/**
 * Finds the batch and sequence axes of an output from its dims in two runs whose batch differs by +1
 * and whose padded length differs by -1: an axis that grew by one from `batch` is the batch axis, one
 * that shrank by one from `seq` is a sequence axis. Needs exactly one batch axis; otherwise null
 * (nothing masked: shapes like [batch·seq, hidden] after a Reshape are compared whole).
 */
export function findPaddingAxes(
  dims: readonly number[],
  probeDims: readonly number[] | undefined,
  batch: number,
  seq: number,
): { batchAxis: number; seqAxes: number[] } | null {
  if (!probeDims || probeDims.length !== dims.length) return null;
  const batchAxes: number[] = [];
  const seqAxes: number[] = [];
  dims.forEach((d, k) => {
    if (d === batch && probeDims[k] === batch + 1) batchAxes.push(k);
    else if (d === seq && probeDims[k] === seq - 1) seqAxes.push(k);
  });
  if (batchAxes.length !== 1 || seqAxes.length === 0) return null;
  return { batchAxis: batchAxes[0], seqAxes };
}
