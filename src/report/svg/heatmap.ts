/**
 * Backend × backend heat map of max |a − b|. The colour scale is fixed (10⁻¹² … 10⁻¹, log) so the
 * same colour means the same size of difference in every report; NaN (shapes differ, or a non-finite
 * value) is a grey "n/a" cell.
 */
import { escapeHtml } from '../escape.js';
import { fmt, truncate } from '../format.js';
import { decadeLabel, n, openSvg, PALETTE, text } from './common.js';

const LOG_LO = -12;
const LOG_HI = -1;
/** Colour stops along the log scale, light (tiny differences) to dark red (large ones). */
const STOPS: [number, [number, number, number]][] = [
  [0, [240, 249, 244]],
  [0.4, [199, 233, 192]],
  [0.6, [254, 240, 167]],
  [0.75, [253, 174, 97]],
  [0.88, [230, 85, 60]],
  [1, [165, 15, 21]],
];
const NA = '#d0d7de';

function rampAt(t: number): [number, number, number] {
  const x = Math.min(Math.max(t, 0), 1);
  for (let i = 1; i < STOPS.length; i++) {
    const [t1, c1] = STOPS[i];
    const [t0, c0] = STOPS[i - 1];
    if (x <= t1) {
      const f = (x - t0) / (t1 - t0);
      return [0, 1, 2].map((k) => Math.round(c0[k] + f * (c1[k] - c0[k]))) as [number, number, number];
    }
  }
  return STOPS[STOPS.length - 1][1];
}

function position(v: number): number {
  return (Math.log10(v) - LOG_LO) / (LOG_HI - LOG_LO);
}

export function heatColor(v: number): string {
  if (Number.isNaN(v)) return NA;
  if (v === 0) return `rgb(${STOPS[0][1].join(',')})`;
  if (v === Infinity) return `rgb(${STOPS[STOPS.length - 1][1].join(',')})`;
  return `rgb(${rampAt(position(v)).join(',')})`;
}

export function heatmapChart(names: readonly string[], maxAbs: readonly (readonly number[])[], label: string): string {
  const count = names.length;
  const shown = names.map((s) => truncate(s, 22));
  const labelW = Math.max(60, Math.min(170, 12 + 6.6 * Math.max(...shown.map((s) => s.length), 4)));
  const cell = Math.max(30, Math.min(76, Math.floor(520 / Math.max(count, 1))));
  const rotate = shown.some((s) => s.length * 6.6 > cell - 6);
  const headH = rotate ? Math.min(labelW, 130) : 24;
  const legendH = 54;
  const W = Math.max(labelW + count * cell + (rotate ? 90 : 16), 420);
  const H = headH + count * cell + legendH + 8;
  const x0 = labelW;
  const y0 = headH;
  const parts = [openSvg('heatmap', W, H, label)];

  shown.forEach((name, j) => {
    const cx = x0 + j * cell + cell / 2;
    const full = `<title>${escapeHtml(names[j])}</title>`;
    if (rotate) {
      parts.push(`<text x="${n(cx)}" y="${n(y0 - 6)}" transform="rotate(-40 ${n(cx)} ${n(y0 - 6)})" class="tick">${escapeHtml(name)}${full}</text>`);
    } else {
      parts.push(`<text x="${n(cx)}" y="${n(y0 - 8)}" text-anchor="middle" class="tick">${escapeHtml(name)}${full}</text>`);
    }
  });
  shown.forEach((name, i) => {
    parts.push(`<text x="${n(x0 - 8)}" y="${n(y0 + i * cell + cell / 2 + 4)}" text-anchor="end" class="tick">${escapeHtml(name)}<title>${escapeHtml(names[i])}</title></text>`);
  });

  for (let i = 0; i < count; i++) {
    for (let j = 0; j < count; j++) {
      const v = Number(maxAbs[i]?.[j]);
      const x = x0 + j * cell;
      const y = y0 + i * cell;
      if (i === j) {
        parts.push(`<rect x="${n(x)}" y="${n(y)}" width="${cell}" height="${cell}" fill="#f6f8fa" stroke="#fff"><title>${escapeHtml(names[i])}</title></rect>`);
        continue;
      }
      const shownValue = Number.isNaN(v) ? 'n/a' : fmt(v);
      const title = `${names[i]} vs ${names[j]}: max |Δ| ${Number.isNaN(v) ? 'n/a (shapes differ or a value is not finite)' : fmt(v)}`;
      parts.push(`<g class="cell"><rect x="${n(x)}" y="${n(y)}" width="${cell}" height="${cell}" fill="${heatColor(v)}" stroke="#fff"/>`);
      if (cell >= 44) {
        const dark = !Number.isNaN(v) && v > 0 && position(v) > 0.8;
        parts.push(text(x + cell / 2, y + cell / 2 + 4, shownValue, `text-anchor="middle" class="cell-value${dark ? ' on-dark' : ''}"`));
      }
      parts.push(`<title>${escapeHtml(title)}</title></g>`);
    }
  }

  // Legend: discrete steps over the fixed scale, plus the 0 and n/a swatches.
  const ly = y0 + count * cell + 18;
  const steps = 22;
  const lw = Math.min(W - 150, 300);
  const lx = Math.max(x0 - 40, 8);
  const sw = lw / steps;
  for (let k = 0; k < steps; k++) {
    const t = (k + 0.5) / steps;
    parts.push(`<rect x="${n(lx + k * sw)}" y="${n(ly)}" width="${n(sw + 0.3)}" height="10" fill="rgb(${rampAt(t).join(',')})"/>`);
  }
  for (let d = LOG_LO; d <= LOG_HI; d += d < -3 ? 3 : 2) {
    const x = lx + ((d - LOG_LO) / (LOG_HI - LOG_LO)) * lw;
    parts.push(`<line x1="${n(x)}" x2="${n(x)}" y1="${n(ly + 10)}" y2="${n(ly + 14)}" stroke="${PALETTE.axis}"/>`);
    parts.push(text(x, ly + 26, decadeLabel(d), 'text-anchor="middle" class="tick"'));
  }
  const nx = lx + lw + 18;
  parts.push(`<rect x="${n(nx)}" y="${n(ly)}" width="14" height="10" fill="${NA}"/>`);
  parts.push(text(nx + 18, ly + 9, 'n/a', 'class="tick"'));
  parts.push(text(lx, ly - 5, 'max |a − b| (log scale)', 'class="tick"'));
  parts.push('</svg>');
  return parts.join('');
}
