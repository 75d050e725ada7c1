/** `parity sweep` output: a terminal table, and a self-contained HTML page with error against length. */
import { escapeHtml } from '../report/escape.js';
import type { SweepBackend, SweepPoint, SweepResult } from './sweep.js';

/** sweep.json: the result as JSON; NaN/±Infinity, which JSON cannot hold, become strings (as in report.json). */
export function sweepToJson(r: SweepResult): string {
  return JSON.stringify(r, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value), 2) + '\n';
}

/** max abs covers three rows (probe alone, probe batched, companion batched); "probe alone" is the first only. */
const e = (x: number | undefined) => (x === undefined ? '' : x === 0 ? '0' : Number.isFinite(x) ? x.toExponential(2) : String(x));

/** Max abs is taken over finite values only, so a NaN point must say NaN, not show the finite rest. */
function maxAbsCell(p: SweepPoint): string {
  return (p.nonFinite ?? 0) > 0 ? `NaN/Inf ×${p.nonFinite}` : e(p.maxAbs);
}

/** Where a point sits on the chart: non-finite output at the top, as the worst error there is. */
function chartValue(p: SweepPoint): number | undefined {
  return (p.nonFinite ?? 0) > 0 ? Infinity : p.maxAbs;
}

/** A backend's points, then its truncation check (a length past the model's limit, cut to it). */
function rowsOf(b: SweepBackend): SweepPoint[] {
  return b.truncation ? [...b.points, b.truncation] : b.points;
}

function cells(p: SweepPoint): string[] {
  const tokens = p.truncatedTo !== undefined ? `${p.length}→${p.truncatedTo}` : `${p.length}${p.refined ? '*' : ''}`;
  if (p.status === 'skipped' || p.status === 'error') return [tokens, p.status, '', '', '', '', '', p.reason ?? ''];
  return [tokens, p.status, maxAbsCell(p), `${p.mismatches}/${p.total}`, (p.nonFinite ?? 0) > 0 ? 'NaN' : e(p.cosineDelta), e(p.batchVsAloneMaxAbs), e(p.aloneMaxAbs), p.status === 'fail' ? (p.reason ?? '') : ''];
}

export function renderSweepTable(r: SweepResult): string {
  const out: string[] = [`sweep of ${r.model} (limit ${r.modelMaxLength} tokens) against ${r.trusted}; each probe alone and padded next to a ${r.companionLength}-token text`];
  const header = ['tokens', 'status', 'max abs', 'mismatches', 'cosine Δ', 'batch vs alone', 'probe alone', 'reason'];
  for (const b of r.backends) {
    out.push('', `${b.name} (${b.runtime}, ${b.precision}; atol ${b.tolerance.atol}, rtol ${b.tolerance.rtol}) — ${b.verdict.toUpperCase()}: ${b.diagnosis}`);
    if (b.expected) out.push(`  expected failure: ${b.expected.reason}`);
    const rows = [header, ...rowsOf(b).map(cells)];
    const last = header.length - 1;
    const widths = header.map((_, i) => Math.max(...rows.map((row) => (i === last ? 0 : row[i].length))));
    for (const row of rows) {
      out.push('  ' + row.map((c, i) => (i === last ? clip(c, 120) : c.padEnd(widths[i]))).join('  ').trimEnd());
    }
  }
  for (const w of r.warnings) out.push('', `warning: ${w}`);
  if (r.backends.some((b) => b.refinedBetween)) out.push('', '* a length --refine added, bisecting between the last passing and the first failing length');
  if (r.backends.some((b) => b.truncation)) out.push('', 'L→N: a text of L tokens, past the model\'s limit, that every backend must cut to N tokens as sentence-transformers does');
  out.push('', `verdict: ${r.verdict}`);
  return out.join('\n') + '\n';
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2'];

/** Max abs against length, log-log; a failed point is filled, an error is a cross at the top. */
export function sweepChart(r: SweepResult): string {
  const W = 720;
  const H = 360;
  const L = 70;
  const R = 180;
  const T = 20;
  const B = 40;
  const lengths = r.lengths;
  const lx = (len: number) => {
    const lo = Math.log2(lengths[0]);
    const hi = Math.log2(lengths[lengths.length - 1]);
    return L + (hi === lo ? 0.5 : (Math.log2(len) - lo) / (hi - lo)) * (W - L - R);
  };
  const MIN = -10;
  const MAX = 1;
  const ly = (v: number) => {
    const d = v > 0 && Number.isFinite(v) ? Math.max(MIN, Math.min(MAX, Math.log10(v))) : v > 0 ? MAX : MIN;
    return T + ((MAX - d) / (MAX - MIN)) * (H - T - B);
  };
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" class="sweep-chart" width="${W}" height="${H}" role="img" aria-label="max abs error against sequence length">`];
  for (let d = MIN; d <= MAX; d += 2) {
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${ly(10 ** d)}" y2="${ly(10 ** d)}" stroke="#ddd"/><text x="${L - 6}" y="${ly(10 ** d) + 4}" text-anchor="end" font-size="11">1e${d}</text>`);
  }
  for (const len of lengths) parts.push(`<text x="${lx(len)}" y="${H - B + 16}" text-anchor="middle" font-size="11">${len}</text>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle" font-size="12">tokens</text>`);
  r.backends.forEach((b: SweepBackend, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = b.points.filter((p) => p.maxAbs !== undefined);
    if (pts.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${lx(p.length).toFixed(1)},${ly(chartValue(p)!).toFixed(1)}`).join(' ')}"/>`);
    for (const p of b.points) {
      const x = lx(p.length).toFixed(1);
      if (p.status === 'error') parts.push(`<text x="${x}" y="${T + 10}" fill="${color}" text-anchor="middle" font-size="14"><title>${escapeHtml(`${b.name} ${p.length}: ${p.reason}`)}</title>×</text>`);
      else if (p.maxAbs !== undefined) parts.push(`<circle cx="${x}" cy="${ly(chartValue(p)!).toFixed(1)}" r="4" fill="${p.status === 'fail' ? color : '#fff'}" stroke="${color}"><title>${escapeHtml(`${b.name} ${p.length} tokens: ${p.status}, max abs ${maxAbsCell(p)}`)}</title></circle>`);
    }
    const tol = b.tolerance.atol;
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${ly(tol)}" y2="${ly(tol)}" stroke="${color}" stroke-dasharray="4 4" opacity="0.5"/>`);
    parts.push(`<text x="${W - R + 8}" y="${T + 14 + i * 18}" fill="${color}" font-size="12">${escapeHtml(b.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export function renderSweepHtml(r: SweepResult): string {
  const rows = r.backends
    .map((b) => {
      const body = rowsOf(b)
        .map((p) => `<tr class="${p.status}">${cells(p).map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
        .join('');
      return `<h2>${escapeHtml(b.name)} <small>${escapeHtml(b.runtime)} ${escapeHtml(b.precision)} — ${escapeHtml(b.verdict)}</small></h2><p>${escapeHtml(b.diagnosis)}</p>${b.expected ? `<p>expected failure: ${escapeHtml(b.expected.reason)}</p>` : ''}<table><thead><tr><th>tokens</th><th>status</th><th>max abs</th><th>mismatches</th><th>cosine Δ</th><th>batch vs alone</th><th>probe alone</th><th>reason</th></tr></thead><tbody>${body}</tbody></table>`;
    })
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>parity sweep</title><style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-variant-numeric:tabular-nums}tr.fail td,tr.error td{background:#fde0e0}tr.skipped td{color:#888}</style></head><body><h1>parity sweep</h1><p>${escapeHtml(r.model)} (limit ${r.modelMaxLength} tokens) against <b>${escapeHtml(r.trusted)}</b>; each probe alone and padded next to a ${r.companionLength}-token text. Verdict: <b>${r.verdict}</b>.</p>${r.warnings.map((w) => `<p class="warning">warning: ${escapeHtml(w)}</p>`).join('')}<h2>Max abs error against length</h2><p>Filled points fail; dashed lines are each backend's atol; × marks an error.</p>${sweepChart(r)}${rows}${r.backends.some((b) => b.refinedBetween) ? '<p>* a length <code>--refine</code> added, bisecting between the last passing and the first failing length.</p>' : ''}${r.backends.some((b) => b.truncation) ? '<p>L→N: a text of L tokens, past the model\'s limit, that every backend must cut to N tokens as sentence-transformers does.</p>' : ''}</body></html>\n`;
}
