/**
 * erf in float64 to ~1 ulp near 1, for the reference GELU. JavaScript has no Math.erf, and the usual
 * short approximations (Abramowitz-Stegun 7.1.26: 1.5e-7) are worse than float32 rounding, which
 * would make the "oracle" the least accurate backend.
 *
 * Uses erf(x) = 2/sqrt(pi) · exp(-x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)): every term is positive, so
 * there is no cancellation. Past |x| = 6, erfc(x) < 2.2e-17 is below half an ulp of 1.
 */
const TWO_OVER_SQRT_PI = 1.1283791670955126;

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  const x2 = ax * ax;
  let term = ax;
  let sum = ax;
  for (let n = 0; n < 500; n++) {
    term *= (2 * x2) / (2 * n + 3);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  const r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  return x < 0 ? -r : r;
}
