/**
 * Histogram of |actual − golden| over every element, on a log axis: exact zeros in their own bar on
 * the left, non-finite differences on the right, the atol line across. Layout of `counts` is
 * Details.histogram's: [0] exact zeros, then `binsPerDecade` bins per decade from 10^minLog10
 * (the first also holds anything smaller, the last anything larger), last = non-finite.
 */
import { escapeHtml } from '../escape.js';
import { compact, fmt, pct } from '../format.js';
import { countLabel, decadeLabel, linearTicks, n, openSvg, PALETTE, text } from './common.js';

export interface HistogramData {
  minLog10: number;
  binsPerDecade: number;
  counts: number[];
}

const W = 640;
const H = 250;
const M = { left: 52, right: 14, top: 22, bottom: 44 };
const SLOT = 20;
const GAP = 16;

export function histogramChart(h: HistogramData, atol: number, label: string): string {
  const counts = h.counts.map((c) => (Number.isFinite(c) ? c : 0));
  const nLog = Math.max(counts.length - 2, 1);
  const total = counts.reduce((a, b) => a + b, 0);
  const plotH = H - M.top - M.bottom;
  const base = M.top + plotH;
  const logLeft = M.left + SLOT + GAP;
  const logRight = W - M.right - SLOT - GAP;
  const bw = (logRight - logLeft) / nLog;
  const maxLog = h.minLog10 + nLog / h.binsPerDecade;
  const xOfLog = (l: number) => logLeft + (l - h.minLog10) * h.binsPerDecade * bw;
  const { top, ticks } = linearTicks(Math.max(...counts, 0));
  const yOf = (c: number) => base - (c / top) * plotH;

  const parts = [openSvg('histogram', W, H, label)];
  for (const t of ticks) {
    const yy = yOf(t);
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${n(yy)}" y2="${n(yy)}" stroke="${PALETTE.grid}"/>`);
    parts.push(text(M.left - 6, yy + 4, countLabel(t), 'text-anchor="end" class="tick"'));
  }

  const bar = (x: number, width: number, count: number, fill: string, title: string) => {
    const height = count > 0 ? Math.max((count / top) * plotH, 1.5) : 0;
    return (
      `<rect x="${n(x)}" y="${n(base - height)}" width="${n(width)}" height="${n(height)}" fill="${fill}">` +
      `<title>${escapeHtml(`${title}: ${count.toLocaleString('en-US')} element${count === 1 ? '' : 's'}` + (total ? ` (${pct(count / total)})` : ''))}</title></rect>`
    );
  };
  parts.push('<g class="bars">');
  parts.push(bar(M.left + 2, SLOT - 4, counts[0], PALETTE.zero, 'exactly 0'));
  for (let i = 1; i <= nLog; i++) {
    const lower = h.minLog10 + (i - 1) / h.binsPerDecade;
    const upper = lower + 1 / h.binsPerDecade;
    const range = i === 1 ? `below ${fmt(10 ** upper)}` : i === nLog ? `${fmt(10 ** lower)} and above` : `[${fmt(10 ** lower)}, ${fmt(10 ** upper)})`;
    const over = 10 ** lower >= atol * (1 - 1e-9);
    parts.push(bar(xOfLog(lower) + 0.5, Math.max(bw - 1, 0.5), counts[i], over ? PALETTE.over : PALETTE.bar, range));
  }
  const last = counts.length - 1;
  parts.push(bar(W - M.right - SLOT + 2, SLOT - 4, counts.length > 1 ? counts[last] : 0, PALETTE.nonFinite, 'NaN or ±Infinity'));
  parts.push('</g>');

  // Axes and labels.
  parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${n(base)}" y2="${n(base)}" stroke="${PALETTE.axis}"/>`);
  parts.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${n(base)}" stroke="${PALETTE.axis}"/>`);
  parts.push(text(M.left + SLOT / 2, base + 16, '0', 'text-anchor="middle" class="tick"'));
  parts.push(text(W - M.right - SLOT / 2, base + 16, 'NaN', 'text-anchor="middle" class="tick"'));
  const decadeStep = maxLog - h.minLog10 > 8 ? 2 : 1;
  for (let d = Math.ceil(h.minLog10); d <= Math.floor(maxLog); d += decadeStep) {
    const x = xOfLog(d);
    parts.push(`<line x1="${n(x)}" x2="${n(x)}" y1="${n(base)}" y2="${n(base + 4)}" stroke="${PALETTE.axis}"/>`);
    parts.push(text(x, base + 16, decadeLabel(d), 'text-anchor="middle" class="tick"'));
  }
  if (atol > 0 && Number.isFinite(atol)) {
    const x = Math.min(Math.max(xOfLog(Math.log10(atol)), logLeft), logRight);
    parts.push(
      `<line x1="${n(x)}" x2="${n(x)}" y1="${M.top - 8}" y2="${n(base)}" stroke="${PALETTE.threshold}" stroke-width="1.2" stroke-dasharray="5 3"/>`,
    );
    const anchor = x > W - 140 ? 'end' : 'start';
    parts.push(text(anchor === 'start' ? x + 4 : x - 4, M.top - 8, `atol ${compact(atol)}`, `text-anchor="${anchor}" class="thr halo" fill="${PALETTE.threshold}"`));
  }
  parts.push(text((M.left + W - M.right) / 2, H - 6, '|actual − golden| per element (log scale)', 'text-anchor="middle" class="axis-label"'));
  parts.push(text(14, M.top + plotH / 2, 'elements', `text-anchor="middle" class="axis-label" transform="rotate(-90 14 ${n(M.top + plotH / 2)})"`));
  parts.push('</svg>');
  return parts.join('');
}
