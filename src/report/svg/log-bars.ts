/**
 * A bar chart on a log10 value axis with an optional threshold line: the shape behind the
 * cosine-Δ-per-text and max-error-per-dimension charts. Each bar carries a <title> for hover.
 */
import { escapeHtml } from '../escape.js';
import { decadeLabel, n, openSvg, PALETTE, text } from './common.js';

export interface LogBar {
  value: number;
  /** Hover text. */
  title: string;
}

export interface LogBarChart {
  kind: string;
  label: string;
  bars: LogBar[];
  threshold?: { value: number; label: string };
  xLabel: string;
  yLabel: string;
  /** Labels under the x axis at bar positions. */
  xTicks: { at: number; label: string }[];
  /** Shown instead of bars when no value is above zero. */
  emptyNote: string;
  /** viewBox width; default 640. */
  width?: number;
  /** The axis spans at least this many decades (extended downwards); default 1. */
  minDecades?: number;
  /** Height in px of the stub drawn for a zero (or below-axis) value; default 1. */
  floorHeight?: number;
}

const H = 250;
const M = { left: 56, right: 14, top: 22, bottom: 44 };
/** The axis never spans more decades than this; smaller values sit on the floor. */
const MAX_DECADES = 12;

export function logBarChart(c: LogBarChart): string {
  const W = c.width ?? 640;
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const positives = c.bars.map((b) => b.value).filter((v) => Number.isFinite(v) && v > 0);
  const parts = [openSvg(c.kind, W, H, c.label)];
  const thr = c.threshold && Number.isFinite(c.threshold.value) && c.threshold.value > 0 ? c.threshold : undefined;

  let hi = -1;
  let lo = -2;
  if (positives.length) {
    const maxLog = Math.log10(Math.max(...positives));
    const minLog = Math.log10(Math.min(...positives));
    hi = Math.ceil(maxLog);
    lo = Math.floor(minLog);
    if (thr) {
      hi = Math.max(hi, Math.ceil(Math.log10(thr.value)));
      // Keep the threshold off the axes so its line and label stay readable.
      lo = Math.min(lo, Math.floor(Math.log10(thr.value) - 0.5));
      hi = Math.max(hi, Math.ceil(Math.log10(thr.value) + 0.3));
    }
    if (hi === lo) hi = lo + 1;
    lo = Math.min(lo, hi - Math.min(c.minDecades ?? 1, MAX_DECADES));
    lo = Math.max(lo, hi - MAX_DECADES);
  } else if (thr) {
    hi = Math.ceil(Math.log10(thr.value)) + 1;
    lo = hi - 4;
  }
  const y = (v: number) => {
    const t = (Math.log10(v) - lo) / (hi - lo);
    return M.top + plotH * (1 - Math.min(Math.max(t, 0), 1));
  };
  const base = M.top + plotH;

  // Grid and decade labels.
  const step = hi - lo > 8 ? 2 : 1;
  for (let d = lo; d <= hi; d += step) {
    const yy = y(10 ** d);
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${n(yy)}" y2="${n(yy)}" stroke="${PALETTE.grid}"/>`);
    parts.push(text(M.left - 6, yy + 4, decadeLabel(d), 'text-anchor="end" class="tick"'));
  }

  if (positives.length || c.bars.some((b) => Number.isNaN(b.value))) {
    const bw = plotW / Math.max(c.bars.length, 1);
    const gap = bw > 3 ? Math.min(1, bw * 0.15) : 0;
    parts.push('<g class="bars">');
    c.bars.forEach((b, i) => {
      const x = M.left + i * bw;
      let top: number;
      let fill: string;
      if (Number.isNaN(b.value) || b.value === Infinity) {
        top = M.top;
        fill = PALETTE.nonFinite;
      } else if (!(b.value > 0) || Math.log10(b.value) < lo) {
        top = base - (c.floorHeight ?? 1);
        fill = PALETTE.muted;
      } else {
        top = Math.min(y(b.value), base - 1);
        fill = thr && b.value > thr.value ? PALETTE.over : PALETTE.bar;
      }
      parts.push(
        `<rect x="${n(x + gap / 2)}" y="${n(top)}" width="${n(Math.max(bw - gap, 0.6))}" height="${n(base - top)}" fill="${fill}">` +
          `<title>${escapeHtml(b.title)}</title></rect>`,
      );
    });
    parts.push('</g>');
  } else {
    parts.push(text(M.left + plotW / 2, M.top + plotH / 2, c.emptyNote, 'text-anchor="middle" class="note"'));
  }

  if (thr) {
    const yy = y(thr.value);
    parts.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${n(yy)}" y2="${n(yy)}" stroke="#fff" stroke-width="3" opacity="0.85"/>`,
      `<line x1="${M.left}" x2="${W - M.right}" y1="${n(yy)}" y2="${n(yy)}" stroke="${PALETTE.threshold}" stroke-width="1.2" stroke-dasharray="5 3"/>`,
    );
    // Legend in the top margin, so the label never sits on the bars.
    const lw = 7 * thr.label.length;
    const lx = W - M.right - lw;
    parts.push(`<line x1="${n(lx - 26)}" x2="${n(lx - 6)}" y1="9" y2="9" stroke="${PALETTE.threshold}" stroke-width="1.2" stroke-dasharray="5 3"/>`);
    parts.push(text(lx, 13, thr.label, `class="thr" fill="${PALETTE.threshold}"`));
  }

  // Axes.
  parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${n(base)}" y2="${n(base)}" stroke="${PALETTE.axis}"/>`);
  parts.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${n(base)}" stroke="${PALETTE.axis}"/>`);
  const bw = plotW / Math.max(c.bars.length, 1);
  for (const t of c.xTicks) {
    const x = M.left + (t.at + 0.5) * bw;
    parts.push(`<line x1="${n(x)}" x2="${n(x)}" y1="${n(base)}" y2="${n(base + 4)}" stroke="${PALETTE.axis}"/>`);
    parts.push(text(x, base + 16, t.label, 'text-anchor="middle" class="tick"'));
  }
  parts.push(text(M.left + plotW / 2, H - 6, c.xLabel, 'text-anchor="middle" class="axis-label"'));
  parts.push(text(14, M.top + plotH / 2, c.yLabel, `text-anchor="middle" class="axis-label" transform="rotate(-90 14 ${n(M.top + plotH / 2)})"`));
  parts.push('</svg>');
  return parts.join('');
}
