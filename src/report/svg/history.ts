/**
 * One metric over a series of runs: a line per backend on a log10 value axis (zero sits on the
 * floor, a non-finite value is a cross at the top), runs evenly spaced, and a dashed vertical
 * marker with a number at each run where the environment changed. Every point has a <title>.
 */
import { escapeHtml } from '../escape.js';
import { decadeLabel, n, openSvg, PALETTE, text } from './common.js';

export interface HistorySeries {
  name: string;
  /** One value per run; undefined where the backend has none (skipped, not in that run). */
  values: (number | undefined)[];
}

export interface HistoryChart {
  kind: string;
  label: string;
  /** Label under each run (its number). */
  runs: string[];
  /** Hover text of each run (date, verdict). */
  runTitles: string[];
  series: HistorySeries[];
  /** Runs (indices) whose environment changed since the run before, with the marker's hover text. */
  markers: { run: number; label: string; title: string }[];
}

export const SERIES_COLORS = ['#3b6fd6', '#d1242f', '#1a7f37', '#8250df', '#bc4c00', '#0a7e8c', '#bf3989', '#57606a'];

const H = 260;
const M = { left: 58, right: 170, top: 26, bottom: 40 };

export function historyChart(c: HistoryChart): string {
  const W = Math.max(720, M.left + M.right + c.runs.length * 48);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const positives = c.series.flatMap((s) => s.values).filter((v): v is number => v !== undefined && Number.isFinite(v) && v > 0);
  let hi = positives.length ? Math.ceil(Math.log10(Math.max(...positives))) : 0;
  let lo = positives.length ? Math.floor(Math.log10(Math.min(...positives))) : -1;
  if (hi === lo) hi = lo + 1;
  lo = Math.max(lo, hi - 14);
  const x = (i: number) => M.left + (c.runs.length === 1 ? plotW / 2 : (i / (c.runs.length - 1)) * plotW);
  // Zero sits on its own floor line under the lowest decade, so 0 and 10^lo never share a label.
  const floor = M.top + plotH;
  const logH = plotH - 18;
  const y = (v: number) => (v > 0 ? M.top + ((hi - Math.max(lo, Math.log10(v))) / (hi - lo)) * logH : floor);
  const parts = [openSvg(c.kind, W, H, c.label)];
  parts.push(`<line x1="${M.left}" x2="${n(M.left + plotW)}" y1="${floor}" y2="${floor}" stroke="${PALETTE.axis}"/>`);
  if (!positives.length) parts.push(text(M.left + plotW / 2, M.top + plotH / 2, 'every value is 0', `text-anchor="middle" font-size="12" fill="${PALETTE.axis}"`));
  else for (let d = lo; d <= hi; d++) {
    parts.push(`<line x1="${M.left}" x2="${n(M.left + plotW)}" y1="${n(y(10 ** d))}" y2="${n(y(10 ** d))}" stroke="${PALETTE.grid}"/>`);
    parts.push(text(M.left - 6, y(10 ** d) + 4, decadeLabel(d), `text-anchor="end" font-size="11" fill="${PALETTE.axis}"`));
  }
  parts.push(text(M.left - 6, floor + 4, '0', `text-anchor="end" font-size="11" fill="${PALETTE.axis}"`));
  c.runs.forEach((r, i) => parts.push(`<text x="${n(x(i))}" y="${floor + 16}" text-anchor="middle" font-size="11" fill="${PALETTE.axis}"><title>${escapeHtml(c.runTitles[i] ?? '')}</title>${escapeHtml(r)}</text>`));
  parts.push(text(M.left + plotW / 2, H - 6, 'run', `text-anchor="middle" font-size="12" fill="${PALETTE.axis}"`));
  for (const m of c.markers) {
    const mx = x(m.run);
    parts.push(
      `<g class="env-change"><title>${escapeHtml(m.title)}</title><line x1="${n(mx)}" x2="${n(mx)}" y1="${M.top - 4}" y2="${floor}" stroke="${PALETTE.threshold}" stroke-dasharray="4 3" opacity="0.7"/>` +
        `<text x="${n(mx)}" y="${M.top - 8}" text-anchor="middle" font-size="11" font-weight="700" fill="${PALETTE.threshold}">${escapeHtml(m.label)}</text></g>`,
    );
  }
  c.series.forEach((s, k) => {
    const color = SERIES_COLORS[k % SERIES_COLORS.length];
    // A line through consecutive runs that have a value; a gap where one has none.
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${run.join(' ')}"/>`);
      run = [];
    };
    s.values.forEach((v, i) => {
      if (v === undefined || !Number.isFinite(v)) {
        flush();
        if (v !== undefined) parts.push(`<text x="${n(x(i))}" y="${M.top + 10}" text-anchor="middle" font-size="14" fill="${color}"><title>${escapeHtml(`${s.name}, run ${c.runs[i]}: ${v}`)}</title>×</text>`);
        return;
      }
      run.push(`${n(x(i))},${n(y(v))}`);
      parts.push(`<circle cx="${n(x(i))}" cy="${n(y(v))}" r="3.5" fill="${color}"><title>${escapeHtml(`${s.name}, run ${c.runs[i]}: ${v === 0 ? '0' : v.toExponential(3)}`)}</title></circle>`);
    });
    flush();
    parts.push(`<rect x="${W - M.right + 14}" y="${M.top + k * 18 - 9}" width="12" height="3" fill="${color}"/>`);
    parts.push(text(W - M.right + 30, M.top + k * 18 - 4, s.name, `font-size="12" fill="${PALETTE.axis}"`));
  });
  parts.push('</svg>');
  return parts.join('');
}
