/**
 * Bisect across frameworks, shown: the terminal table (every point, the pairing printed once), and
 * bisect.html, whose log-scale chart of the relative error at every point answers "does the error
 * stay flat, grow steadily, or jump at one layer?" at a glance. Uses the report's style and chart
 * helpers.
 */
import { fmt } from '../numeric/format.js';
import { escapeHtml as h } from '../report/escape.js';
import { HTML_STYLE } from '../report/html-style.js';
import { logBarChart } from '../report/svg/log-bars.js';
import type { PointComparison } from './layer-compare.js';
import type { LayerBisectResult } from './layers.js';

const pct = (p: PointComparison) => (p.total ? `${Number(((100 * p.mismatches) / p.total).toPrecision(2))}%` : '-');

export function verdictLine(r: LayerBisectResult): string {
  const d = r.firstDivergent;
  if (!d) return `${r.a.name} agrees with ${r.b.name} at every point (${r.points.length} compared); the error ${r.growth.text}`;
  return (
    `${r.a.name} departs from ${r.b.name} at ${d.path} — ${d.op}: max abs ${fmt(d.maxAbs)}, relative ${fmt(d.relative)}, ${pct(d)} of elements beyond tolerance` +
    (r.firstBoundary && r.firstBoundary !== d ? `; first layer boundary beyond tolerance: ${r.firstBoundary.path}` : '') +
    `; through the network the error ${r.growth.text}`
  );
}

export function renderLayerBisectTable(r: LayerBisectResult): string {
  const t = r.tolerance;
  const lines = [
    `bisect ${r.a.name} (${r.a.ran}) against ${r.b.name} (${r.b.ran})`,
    `${r.texts} texts, each run alone and unpadded (${r.lengths.join(', ')} tokens), the same token ids on both sides`,
    `an element of ${r.a.name} fails when |a - b| > atol ${fmt(t.atol)} + rtol ${fmt(t.rtol)}·|b|`,
    'pairing (module path: A ↔ B):',
  ];
  for (const p of r.points.filter((q) => q.layer === null || q.layer === 0)) lines.push(`  ${p.path}: ${p.originA || '-'} ↔ ${p.originB || '-'}`);
  if (r.points.some((q) => q.layer !== null && q.layer > 0)) lines.push('  (later layers alike)');
  const head = ['point', 'op', 'max abs', 'relative', 'beyond tol', ''];
  const rows = r.points.map((p) => [p.boundary ? p.path : `  ${p.path}`, p.op, fmt(p.maxAbs), fmt(p.relative), pct(p), p.note ?? (p === r.firstDivergent ? '<- first divergence' : p.exceeds ? 'x' : '')]);
  const width = head.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i].length)));
  const fmtRow = (row: string[]) => row.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(width[i]) : c.padEnd(width[i]))).join('  ').trimEnd();
  lines.push('', fmtRow(head), ...rows.map(fmtRow), '', verdictLine(r), '');
  return lines.join('\n');
}

export function renderLayerBisectHtml(r: LayerBisectResult): string {
  const title = `bisect ${r.a.name} against ${r.b.name}`;
  const ticks = r.points.flatMap((p, i) => (p.layer === null ? [{ at: i, label: 'emb' }] : p.path.endsWith('.attention') ? [{ at: i, label: `L${p.layer}` }] : []));
  const chart = logBarChart({
    kind: 'bisect-growth',
    label: `relative error of ${r.a.name} against ${r.b.name} at every point`,
    bars: r.points.map((p) => ({ value: p.relative, title: `${p.path} (${p.op}): relative ${fmt(p.relative)}, max abs ${fmt(p.maxAbs)}` })),
    threshold: { value: r.tolerance.rtol, label: `rtol ${fmt(r.tolerance.rtol)}` },
    xLabel: 'points in compute order (emb = embeddings, Ln = layer n)',
    yLabel: 'max |a-b| / max |b|',
    xTicks: ticks,
    emptyNote: 'every point agrees exactly',
    width: 720,
  });
  const rows = r.points
    .map(
      (p) =>
        `<tr${p === r.firstDivergent ? ' class="fail"' : ''}><td><code>${h(p.path)}</code></td><td>${h(p.op)}</td><td class="num">${h(fmt(p.maxAbs))}</td>` +
        `<td class="num">${h(fmt(p.relative))}</td><td class="num">${h(pct(p))}</td><td>${h(p.note ?? (p === r.firstDivergent ? 'first divergence' : p.exceeds ? 'beyond tolerance' : ''))}</td>` +
        `<td><code>${h(p.originA)}</code> ↔ <code>${h(p.originB)}</code></td></tr>`,
    )
    .join('\n');
  return (
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<title>${h(title)}</title>\n<style>${HTML_STYLE}</style>\n</head>\n<body>\n<main>\n` +
    `<h1>${h(title)}</h1>\n<p>${h(r.a.name)}: ${h(r.a.ran)}<br>${h(r.b.name)}: ${h(r.b.ran)}<br>${r.texts} texts (${h(r.lengths.join(', '))} tokens), each alone and unpadded, same token ids on both sides; ` +
    `an element fails when |a − b| &gt; ${h(fmt(r.tolerance.atol))} + ${h(fmt(r.tolerance.rtol))}·|b|.</p>\n` +
    `<p class="verdict"><strong>${h(verdictLine(r))}</strong></p>\n<h2>Error through the network</h2>\n<p>Growth: ${h(r.growth.kind)} — ${h(r.growth.text)}.</p>\n${chart}\n` +
    `<h2>Every point</h2>\n<table>\n<thead><tr><th>module path</th><th>op</th><th>max abs</th><th>relative</th><th>beyond tol</th><th></th><th>A ↔ B</th></tr></thead>\n<tbody>\n${rows}\n</tbody>\n</table>\n` +
    '</main>\n</body>\n</html>\n'
  );
}
