/**
 * Numbers as text, the one vocabulary of every message and renderer (reasons, diagnoses, terminal,
 * HTML, Markdown, JUnit): three significant digits, exponents outside [1e-3, 1e4), and shares that
 * never round to a whole 100% or 0% they are not.
 */

/** 3 significant digits: 0.0457, 1.06e-6, 289; 'n/a' for null/undefined, 'NaN'/'Infinity' as such. */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined) return 'n/a';
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e4 ? Number(x.toPrecision(3)).toString() : x.toExponential(2);
}

/** A fraction as a percentage with two significant digits: 0.2438 → "24%", 3e-5 → "0.003%", 1e-8 → "1.0e-6%". */
export function pct(ratio: number): string {
  if (!Number.isFinite(ratio)) return String(ratio);
  const p = ratio * 100;
  if (p === 0) return '0%';
  if (p < 0.001) return `${p.toExponential(1)}%`;
  return `${Number(p.toPrecision(2))}%`;
}

/** A share kept, never rounded up to 100% unless it is exactly 1: 0.98269 → "98.27%", 0.99999 → "99.99%". */
export function keptPct(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 1) return '100%';
  return `${Math.min(x * 100, 99.99).toFixed(2)}%`;
}

/** A Spearman correlation close to 1 as "1 − 5.78e-11", so rounding never shows a perfect 1. */
export function spearmanText(s: number): string {
  if (!Number.isFinite(s)) return String(s);
  if (s === 1) return '1';
  if (s > 0.999999) return `1 − ${fmt(1 - s)}`;
  return s.toFixed(6);
}
