/** Thresholds a backend's vectors must meet against golden (allclose semantics plus sentence-level checks). */
export interface Tolerance {
  /** Absolute tolerance: element passes when |a - g| <= atol + rtol * |g|. */
  atol: number;
  /** Relative tolerance (see atol). */
  rtol: number;
  /** Largest allowed 1 - cos(a, g) for any text; undefined = not checked. */
  cosine?: number;
  /** Fraction of elements allowed to mismatch (0 = none, like torch.testing). */
  mismatchRatio: number;
}

/**
 * torch.testing.assert_close defaults: float32 atol 1e-5 / rtol 1.3e-6; float16 atol 1e-5 / rtol 1e-3.
 * Used when a backend's config gives no tolerance of its own.
 */
export const DEFAULT_TOLERANCE: Record<'fp32' | 'fp16' | 'fp64', Tolerance> = {
  fp64: { atol: 1e-7, rtol: 1e-7, mismatchRatio: 0 },
  fp32: { atol: 1e-5, rtol: 1.3e-6, mismatchRatio: 0 },
  fp16: { atol: 1e-5, rtol: 1e-3, mismatchRatio: 0 },
};

/** The tolerance flags `parity compare` and the API take; any left out falls back to the dtype default. */
export interface ToleranceOverrides {
  atol?: number;
  rtol?: number;
  cosine?: number;
  mismatchRatio?: number;
}

/**
 * The tolerance for comparing two arrays of these dtypes ('<f2', '<f4', '<f8'): defaults follow the
 * less precise side, as torch.testing picks by dtype (fp16 when either is half precision), and each
 * given override replaces its default. `parity compare` and compareVectors both call this, so a JS
 * test and the CLI judge the same arrays the same way.
 */
export function compareTolerance(dtypes: readonly (string | null)[], overrides: ToleranceOverrides = {}): Tolerance {
  const base = dtypes.includes('<f2') ? DEFAULT_TOLERANCE.fp16 : DEFAULT_TOLERANCE.fp32;
  return {
    atol: overrides.atol ?? base.atol,
    rtol: overrides.rtol ?? base.rtol,
    mismatchRatio: overrides.mismatchRatio ?? base.mismatchRatio,
    ...(overrides.cosine !== undefined ? { cosine: overrides.cosine } : {}),
  };
}
