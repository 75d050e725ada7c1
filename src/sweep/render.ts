/**
 * `parity sweep` output: a terminal table, and sweep.html — a self-contained page in report.html's style,
 * number formats and chart helpers (report/), one chart of error against length and a table per backend.
 */
import { escapeHtml } from '../report/escape.js';
import { compact, fmt } from '../report/format.js';
import { HTML_STYLE } from '../report/html-style.js';
import { statusStyle } from '../report/status.js';
import { lengthChart, type LengthPoint } from '../report/svg/length-chart.js';
import { toJsonText } from '../io/non-finite-json.js';
import type { SweepBackend, SweepPoint, SweepResult } from './result.js';

/** sweep.json: the result as JSON; NaN/±Infinity, which JSON cannot hold, become strings (io/non-finite-json.ts, as in report.json). */
export function sweepToJson(r: SweepResult): string {
  return toJsonText(r);
}

/** A number as every report prints it (numeric/format.ts); blank when absent. */
const e = (x: number | undefined) => (x === undefined ? '' : fmt(x));

/** Max abs is taken over finite values only, so a NaN point must say NaN, not show the finite rest. */
function maxAbsCell(p: SweepPoint): string {
  return (p.nonFinite ?? 0) > 0 ? `NaN/Inf ×${p.nonFinite}` : e(p.maxAbs);
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
    out.push('', `${b.name} (${b.runtime}, ${b.precision}; atol ${compact(b.tolerance.atol)}, rtol ${compact(b.tolerance.rtol)}) — ${b.verdict.toUpperCase()}: ${b.diagnosis}`);
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

/** Where a point sits on the chart: its max abs, non-finite output as NaN (on the top edge), nothing for an error. */
function chartPoint(b: SweepBackend, p: SweepPoint): LengthPoint | null {
  if (p.status === 'skipped') return null;
  const tokens = p.truncatedTo !== undefined ? `${p.length}→${p.truncatedTo}` : String(p.length);
  if (p.maxAbs === undefined) return { length: p.length, failed: true, title: `${b.name} ${tokens} tokens: ${p.status}: ${p.reason ?? ''}` };
  return {
    length: p.length,
    value: (p.nonFinite ?? 0) > 0 ? NaN : p.maxAbs,
    failed: p.status === 'fail',
    title: `${b.name} ${tokens} tokens: ${p.status}, max abs ${maxAbsCell(p)}`,
  };
}

/** Max abs against length, log-log (report/svg/length-chart.ts), each backend's atol dashed. */
export function sweepChart(r: SweepResult): string {
  const series = r.backends.map((b) => ({
    name: b.name,
    points: b.points.map((p) => chartPoint(b, p)).filter((p): p is LengthPoint => p !== null),
    threshold: b.tolerance.atol,
  }));
  return lengthChart(series, { label: 'max abs error against sequence length', xLabel: 'tokens', yLabel: 'max |a − trusted|' });
}

const HEADLINE_WORDS: Record<string, string> = {
  pass: 'agreed',
  fail: 'diverged',
  error: 'errored',
  skipped: 'skipped',
  xfail: 'failed as expected (xfail)',
  xpass: 'passed though expected to fail (xpass)',
};

function badge(status: string): string {
  const s = statusStyle(status);
  return `<span class="badge tone-${s.tone}">${escapeHtml(s.label)}</span>`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The banner, as report.html's: verdict pill, one headline, counts, what was compared, and each problem. */
function banner(r: SweepResult): string {
  const style = statusStyle(r.verdict);
  const bs = r.backends;
  const count = (status: string) => bs.filter((b) => b.verdict === status).length;
  const headline =
    r.verdict === 'pass'
      ? `${count('pass') === bs.length ? `All ${plural(bs.length, 'backend')}` : `${count('pass')} of ${plural(bs.length, 'backend')}`} agree at every length`
      : r.verdict === 'fail'
        ? `${count('fail')} of ${plural(bs.length, 'backend')} diverge`
        : count('error')
          ? `${count('error')} of ${plural(bs.length, 'backend')} could not be swept`
          : 'No backend ran';
  const counts = [...new Set(bs.map((b) => b.verdict))].map((v) => `${count(v)} ${HEADLINE_WORDS[v] ?? v}`).join(' · ');
  const problems = bs
    .map((b, i) => ({ b, i }))
    .filter(({ b }) => b.verdict !== 'pass')
    .map(({ b, i }) => `<li>${badge(b.verdict)} <a href="#backend-${i}" class="backend-name">${escapeHtml(b.name)}</a> ${escapeHtml(b.diagnosis)}</li>`);
  return (
    `<header class="banner tone-${style.tone}"><div class="pill">${escapeHtml(style.label)}</div><div class="headline">` +
    `<h1>${escapeHtml(headline)}</h1><p class="counts">${escapeHtml(counts)}</p>` +
    `<p>Against <b>${escapeHtml(r.trusted)}</b> on <code>${escapeHtml(r.model)}</code> (limit ${r.modelMaxLength} tokens): each probe alone and padded next to a ${r.companionLength}-token text.</p>` +
    (problems.length ? `<ul>${problems.join('')}</ul>` : '') +
    `</div></header>`
  );
}

const NUMERIC = new Set([2, 3, 4, 5, 6]);

function pointTable(b: SweepBackend): string {
  const head = ['tokens', 'status', 'max abs', 'mismatches', 'cosine Δ', 'batch vs alone', 'probe alone', 'reason'];
  const body = rowsOf(b)
    .map((p) => {
      const c = cells(p);
      return `<tr class="${p.status}">${c.map((x, i) => (i === 1 ? `<td>${badge(x)}</td>` : `<td${NUMERIC.has(i) || i === 0 ? ' class="num"' : ''}>${escapeHtml(x)}</td>`)).join('')}</tr>`;
    })
    .join('');
  return `<div class="table-wrap"><table><thead><tr>${head.map((x, i) => `<th${NUMERIC.has(i) || i === 0 ? ' class="num"' : ''}>${x}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table></div>`;
}

function backendSection(b: SweepBackend, i: number): string {
  const t = b.tolerance;
  const tolerance = `atol ${compact(t.atol)}, rtol ${compact(t.rtol)}${t.cosine !== undefined ? `, cosine Δ ≤ ${compact(t.cosine)}` : ''}`;
  return (
    `<section id="backend-${i}"><h2>${escapeHtml(b.name)} ${badge(b.verdict)} <span class="muted">${escapeHtml(b.runtime)} · ${escapeHtml(b.precision)} · ${escapeHtml(tolerance)}</span></h2>` +
    `<div class="callout diagnosis"><p><span class="diag-tag">diagnosis</span> ${escapeHtml(b.diagnosis)}</p></div>` +
    (b.expected ? `<div class="callout"><p><b>Expected failure</b> (${escapeHtml(b.expected.outcome)}): ${escapeHtml(b.expected.reason)}</p></div>` : '') +
    pointTable(b) +
    `</section>`
  );
}

export function renderSweepHtml(r: SweepResult): string {
  const notes = [
    ...(r.backends.some((b) => b.refinedBetween) ? ['* a length <code>--refine</code> added, bisecting between the last passing and the first failing length.'] : []),
    ...(r.backends.some((b) => b.truncation) ? ["L→N: a text of L tokens, past the model's limit, that every backend must cut to N tokens as sentence-transformers does."] : []),
  ];
  const body = [
    banner(r),
    `<p class="meta">lengths ${escapeHtml(r.lengths.join(', '))} · isolation ${escapeHtml(r.isolation)}</p>`,
    r.warnings.length ? `<div class="callout"><p><b>Warnings</b></p>${r.warnings.map((w) => `<p>${escapeHtml(w)}</p>`).join('')}</div>` : '',
    '<h2>Max abs error against length</h2>',
    `<figure class="wide"><figcaption>Max abs over the three rows against the trusted backend</figcaption>${sweepChart(r)}` +
      '<p>Filled points fail, hollow ones pass; purple on the top edge: NaN/Inf in the output; × on the top edge: an error; dashed: each backend\'s atol.</p></figure>',
    ...r.backends.map(backendSection),
    notes.length ? `<div class="callout info">${notes.map((x) => `<p>${x}</p>`).join('')}</div>` : '',
    `<footer>Generated by parity sweep · ${escapeHtml(r.schema)} · this page is self-contained and works offline; the same data is in sweep.json.</footer>`,
  ].filter(Boolean);
  const title = `parity sweep ${statusStyle(r.verdict).label} — ${plural(r.backends.length, 'backend')} against ${r.trusted}`;
  return (
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">\n` +
    `<title>${escapeHtml(title)}</title>\n<style>${HTML_STYLE}</style>\n</head>\n<body>\n<main>\n${body.join('\n')}\n</main>\n</body>\n</html>\n`
  );
}
