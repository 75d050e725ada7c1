/** Small helpers shared by the inline SVG charts: numbers for attributes, log-axis labels, bucketing. */
import { escapeHtml } from '../escape.js';

export const PALETTE = {
  bar: '#3b6fd6',
  over: '#d1242f',
  nonFinite: '#8250df',
  zero: '#1a7f37',
  muted: '#afb8c1',
  axis: '#57606a',
  grid: '#e6e9ed',
  threshold: '#d1242f',
} as const;

/** A coordinate for an SVG attribute: one decimal at most (a tenth of a pixel). */
export function n(x: number): string {
  return String(Math.round(x * 10) / 10);
}

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/** 10^d as people write it: 1, 10, 10⁻⁶. */
export function decadeLabel(d: number): string {
  if (d === 0) return '1';
  if (d === 1) return '10';
  return `10${String(d).replace(/./g, (c) => SUPERSCRIPT[c] ?? c)}`;
}

/** The opening tag every chart shares; `kind` lands in data-chart so tests and readers can find it. */
export function openSvg(kind: string, width: number, height: number, label: string): string {
  return (
    `<svg class="chart" data-chart="${escapeHtml(kind)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" style="max-width:${width}px" ` +
    `role="img" aria-label="${escapeHtml(label)}" xmlns="http://www.w3.org/2000/svg">`
  );
}

export function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${n(x)}" y="${n(y)}"${attrs ? ` ${attrs}` : ''}>${escapeHtml(content)}</text>`;
}

/** A round axis maximum (1, 2, 2.5, 5 × 10^k) at or above `max`, and its ticks. */
export function linearTicks(max: number): { top: number; ticks: number[] } {
  if (!(max > 0)) return { top: 1, ticks: [0, 1] };
  const step0 = max / 4;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? 10 * mag;
  const top = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let t = 0; t <= top + step / 2; t += step) ticks.push(Number(t.toPrecision(6)));
  return { top, ticks };
}

/** Compact count label: 950, 1.2k, 3.4M. */
export function countLabel(c: number): string {
  if (c < 1000) return String(c);
  if (c < 1e6) return `${Number((c / 1e3).toPrecision(3))}k`;
  return `${Number((c / 1e6).toPrecision(3))}M`;
}

export interface Bucket {
  /** Positions (in `order`) this bucket covers: [start, end). */
  start: number;
  end: number;
  /** The original index whose value is the bucket's largest (NaN counts as largest). */
  index: number;
  value: number;
}

/**
 * Splits `order` (indices into values) into at most `max` consecutive buckets, each represented by
 * its worst value, so a chart of a million texts still shows every outlier.
 */
export function bucketMax(values: ArrayLike<number>, order: readonly number[], max: number): Bucket[] {
  const count = order.length;
  const size = Math.max(1, Math.ceil(count / max));
  const buckets: Bucket[] = [];
  for (let start = 0; start < count; start += size) {
    const end = Math.min(start + size, count);
    let index = order[start];
    for (let p = start + 1; p < end; p++) {
      const i = order[p];
      if (worse(values[i], values[index])) index = i;
    }
    buckets.push({ start, end, index, value: values[index] });
  }
  return buckets;
}

/** a is worse than b: NaN beats everything, then larger values. */
export function worse(a: number, b: number): boolean {
  if (Number.isNaN(b)) return false;
  if (Number.isNaN(a)) return true;
  return a > b;
}
