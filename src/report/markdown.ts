/**
 * summary.md: a GitHub step summary (GitHub-flavoured Markdown). Verdict line, one table row per
 * backend, reasons and warnings. No links; every value from the report is escaped for table cells.
 */
import type { BackendReport, Report } from './report.js';
import { escapeMarkdown as md } from './escape.js';
import { compact, fmt, pct, textsCompared } from './format.js';
import { statusStyle } from './status.js';

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function tolerance(b: BackendReport): string {
  const t = b.tolerance;
  if (!t) return '';
  const parts = [`atol ${compact(t.atol)}`, `rtol ${compact(t.rtol)}`];
  if (t.cosine !== undefined) parts.push(`cos ${compact(t.cosine)}`);
  if (t.mismatchRatio) parts.push(`ratio ${pct(t.mismatchRatio)}`);
  return parts.join(', ');
}

export function renderMarkdown(report: Report): string {
  const verdict = statusStyle(report.verdict);
  const g = report.golden;
  const lines: string[] = [];
  lines.push(`## ${md(verdict.badge.split(' ')[0])} parity: ${md(verdict.label)}`);
  lines.push('');
  const counts = new Map<string, number>();
  for (const b of report.backends) counts.set(b.status, (counts.get(b.status) ?? 0) + 1);
  const countText = [...counts].map(([s, c]) => `${c} ${s}`).join(', ');
  lines.push(
    `**${md(verdict.label)}**: ${report.backends.length} backend(s) (${md(countText || 'none')}) against golden ${md(g.path)} ` +
      `(${md(g.shape?.join('×'))} ${md(g.dtype)}${g.backend ? `, from ${md(g.backend)}` : ''}) on ${md(textsCompared(report.corpus))}.`,
  );
  lines.push('');
  lines.push(row(['backend', 'status', 'max abs', 'at (text, dim)', 'mismatches', 'cos Δ max', 'norm drift', 'min passing atol', 'tolerance']));
  lines.push(row(['---', '---', '---:', '---', '---:', '---:', '---:', '---:', '---']));
  for (const b of report.backends) {
    const m = b.metrics;
    lines.push(
      row([
        md(b.name),
        md(statusStyle(b.status).badge),
        m ? fmt(m.maxAbs) : '',
        m?.maxAbsAt && m.maxAbs > 0 ? `${md(m.maxAbsAt.id)}, ${m.maxAbsAt.dim}` : '',
        m ? `${m.mismatches} / ${m.total} (${md(pct(m.mismatchRatio))})` : '',
        m ? fmt(m.cosineDeltaMax) : '',
        m ? fmt(m.normDeltaMax) : '',
        m ? (m.minPassingAtol === null ? 'none' : fmt(m.minPassingAtol)) : '',
        md(tolerance(b)),
      ]),
    );
  }
  const problems = report.backends.filter((b) => b.status !== 'pass');
  if (problems.length) {
    lines.push('', '### Reasons', '');
    for (const b of problems) {
      const reasons = b.reasons?.length ? b.reasons : [b.reason ?? ''];
      for (const r of reasons) lines.push(`- **${md(b.name)}** (${md(b.status)}): ${md(r)}`);
      if (b.expected) lines.push(`- **${md(b.name)}** expected to ${md(b.expected.status)}: ${md(b.expected.reason)}`);
    }
  }
  if (report.warnings?.length) {
    lines.push('', '### Warnings', '');
    for (const w of report.warnings) lines.push(`- ${md(w)}`);
  }
  lines.push('', `<sub>parity ${md(report.tool?.version ?? '')} · ${md(report.createdAt)} · corpus sha256 ${md(report.corpus.sha256.slice(0, 12))} · report.json schema ${report.schemaVersion}</sub>`, '');
  return lines.join('\n');
}
