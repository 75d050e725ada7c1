/**
 * Error against sequence length, log-log, one line per series with its threshold dashed in the
 * series' colour: the chart of sweep.html. A failing point is filled, a passing one hollow, a
 * non-finite value sits on the top edge in the non-finite colour, and an error (no value) is a ×
 * on the top edge. Each mark carries a <title> for hover.
 */
import { escapeHtml } from '../escape.js';
import { decadeLabel, n, openSvg, PALETTE, text } from './common.js';

export interface LengthPoint {
  length: number;
  /** The value plotted; undefined for an error (drawn as ×). NaN and ±Infinity go on the top edge. */
  value?: number;
  failed: boolean;
  title: string;
}

export interface LengthSeries {
  name: string;
  points: LengthPoint[];
  /** Drawn dashed across the plot in the series' colour (e.g. its atol). */
  threshold?: number;
}

/** Series colours, distinct from each other and from the non-finite purple. */
const SERIES = ['#0969da', '#d1242f', '#1a7f37', '#bf8700', '#57606a', '#e16f24', '#0550ae', '#a40e26'];
const W = 760;
const H = 340;
const M = { left: 56, right: 170, top: 18, bottom: 44 };
/** The axis never spans more decades than this; smaller values sit on the floor. */
const MAX_DECADES = 12;

export function lengthChart(series: readonly LengthSeries[], options: { label: string; xLabel: string; yLabel: string }): string {
  const lengths = [...new Set(series.flatMap((s) => s.points.map((p) => p.length)))].sort((a, b) => a - b);
  const finite = series.flatMap((s) => [...s.points.map((p) => p.value), s.threshold]).filter((v): v is number => v !== undefined && Number.isFinite(v) && v > 0);
  const hi = finite.length ? Math.ceil(Math.log10(Math.max(...finite)) + 0.01) : 0;
  const lo = Math.max(finite.length ? Math.floor(Math.log10(Math.min(...finite))) : hi - 4, hi - MAX_DECADES);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const top = M.top;
  const base = M.top + plotH;
  const lo2 = Math.log2(lengths[0] ?? 1);
  const hi2 = Math.log2(lengths[lengths.length - 1] ?? 1);
  const x = (length: number) => M.left + (hi2 === lo2 ? 0.5 : (Math.log2(length) - lo2) / (hi2 - lo2)) * plotW;
  /** Non-finite values on the top edge; zero and values below the axis on the floor. */
  const y = (v: number) => {
    if (!Number.isFinite(v)) return top;
    if (!(v > 0)) return base;
    const t = (Math.log10(v) - lo) / (hi - lo);
    return M.top + plotH * (1 - Math.min(Math.max(t, 0), 1));
  };

  const parts = [openSvg('sweep-length', W, H, options.label)];
  const step = hi - lo > 8 ? 2 : 1;
  for (let d = lo; d <= hi; d += step) {
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${n(y(10 ** d))}" y2="${n(y(10 ** d))}" stroke="${PALETTE.grid}"/>`);
    parts.push(text(M.left - 6, y(10 ** d) + 4, decadeLabel(d), 'text-anchor="end" class="tick"'));
  }
  for (const length of lengths) parts.push(text(x(length), base + 16, String(length), 'text-anchor="middle" class="tick"'));
  parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${n(base)}" y2="${n(base)}" stroke="${PALETTE.axis}"/>`);
  parts.push(`<line x1="${M.left}" x2="${M.left}" y1="${top}" y2="${n(base)}" stroke="${PALETTE.axis}"/>`);

  series.forEach((s, i) => {
    const color = SERIES[i % SERIES.length];
    if (s.threshold !== undefined && s.threshold > 0 && Number.isFinite(s.threshold)) {
      parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${n(y(s.threshold))}" y2="${n(y(s.threshold))}" stroke="${color}" stroke-width="1.2" stroke-dasharray="5 3" opacity="0.6"/>`);
    }
    const valued = s.points.filter((p) => p.value !== undefined);
    if (valued.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${valued.map((p) => `${n(x(p.length))},${n(y(p.value!))}`).join(' ')}"/>`);
    for (const p of s.points) {
      const title = `<title>${escapeHtml(p.title)}</title>`;
      if (p.value === undefined) {
        parts.push(`<text x="${n(x(p.length))}" y="${n(top + 10)}" fill="${color}" text-anchor="middle" font-size="14">${title}×</text>`);
      } else {
        const fill = !Number.isFinite(p.value) ? PALETTE.nonFinite : p.failed ? color : '#fff';
        parts.push(`<circle cx="${n(x(p.length))}" cy="${n(y(p.value))}" r="4" fill="${fill}" stroke="${color}" stroke-width="1.5">${title}</circle>`);
      }
    }
    // Legend in the right margin.
    const ly = top + 10 + i * 18;
    parts.push(`<line x1="${W - M.right + 12}" x2="${W - M.right + 30}" y1="${n(ly - 4)}" y2="${n(ly - 4)}" stroke="${color}" stroke-width="2"/>`);
    parts.push(text(W - M.right + 36, ly, s.name, `class="tick" fill="${color}"`));
  });
  parts.push(text(M.left + plotW / 2, H - 6, options.xLabel, 'text-anchor="middle" class="axis-label"'));
  parts.push(text(14, M.top + plotH / 2, options.yLabel, `text-anchor="middle" class="axis-label" transform="rotate(-90 14 ${n(M.top + plotH / 2)})"`));
  parts.push('</svg>');
  return parts.join('');
}
