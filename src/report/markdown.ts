/**
 * summary.md: a GitHub step summary (GitHub-flavoured Markdown). Verdict line, the time to verdict
 * (when the report has it), one table row per backend, the diagnoses, a "Does it matter?" table (downstream impact, batch invariance), reasons
 * and warnings. No links; every value from the report is escaped for table cells.
 */
import type { BackendReport, Report } from './report.js';
import { escapeMarkdown as md } from './escape.js';
import { compact, fmt, pct, textsCompared } from './format.js';
import { batchFigure, downstreamFigures, impactBackends, limitSummary, similarityNote, type ImpactFigure } from './impact.js';
import { statusStyle } from './status.js';
import { timeToVerdict } from './timing-table.js';
import { watchTable } from './watch-table.js';
import { environmentText, growthText, movedCellText, textsText } from './drift.js';
import type { BaselineDiff, BackendDrift } from '../baseline/diff-types.js';

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

/** A figure for a table cell, flagged when it fails its configured limit. */
function cell(f: ImpactFigure | undefined, after = ''): string {
  if (!f) return '';
  return f.fails ? `❌ **${md(f.shown)}**${after} (limit ${md(f.limit)})` : `${md(f.shown)}${after}`;
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
  // One line, to stay compact in a pull-request comment; the phases are in report.html and report.json.
  const time = timeToVerdict(report);
  if (time) lines.push('', `${md(time[0].toUpperCase() + time.slice(1))}.`);
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
  if (report.baseline) lines.push('', ...baselineTable(report.baseline));
  const watched = watchTable(report);
  if (watched) {
    lines.push('', '**Watched elements** (value and |Δ| vs golden):', '');
    lines.push(row(['', ...watched.columns.map(md)]));
    lines.push(row(['---', ...watched.columns.map(() => '---:')]));
    for (const r of watched.rows) lines.push(row([md(r.name), ...r.cells.map(md)]));
  }
  const diagnosed = report.backends.filter((b) => b.diagnosis?.length);
  if (diagnosed.length) {
    lines.push('', '**Diagnosis** (what the pattern of the error points to):', '');
    for (const b of diagnosed) for (const d of b.diagnosis!) lines.push(`- **${md(b.name)}**: ${md(d)}`);
  }
  const impact = impactBackends(report);
  if (impact.length) {
    lines.push('', '### Does it matter?', '');
    // Compact for a pull request comment: only when the ranking is not the default cosine's.
    const ranked = report.backends.find((x) => x.downstream)?.downstream;
    const note = ranked && ((ranked.similarity ?? 'cosine') !== 'cosine' || ranked.goldenDotVsEuclidean) ? similarityNote(report) : null;
    if (note) lines.push(md(note), '');
    lines.push(row(['backend', 'top-1 kept', 'top-10 kept', 'spearman', 'max Δ similarity', 'rank flips', 'batch inv. max abs', 'limits']));
    lines.push(row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---']));
    for (const b of impact) {
      const d = b.downstream;
      const [top1, , top10, spearman, delta, flips] = downstreamFigures(b);
      const bf = batchFigure(b);
      const bi = b.batchInvariance;
      lines.push(
        row([
          md(b.name) + (d?.sampled ? ` (${d.n} of ${d.rows} sampled)` : ''),
          cell(top1),
          cell(top10),
          cell(spearman),
          cell(delta),
          flips && d ? cell(flips, ` / ${d.rankFlipsPossible}`) : '',
          bf && bi ? `${cell(bf, Number(bi.maxAbs) > 0 && bi.worstText ? ` at ${md(bi.worstText.id)}` : '')}, ${bi.identical}/${bi.texts} identical` : '',
          md(limitSummary(b).text),
        ]),
      );
    }
    lines.push('', '<sub>Neighbours within the corpus, golden vs backend; batch invariance: the same texts alone vs padded next to the longest text. ❌ fails a configured limit.</sub>');
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

/** A metric's change for a cell: "1.06e-6 → 1.12e-6 (1.06×)", bold and flagged when it breaks maxGrowth. */
function changeCell(d: BackendDrift, key: string): string {
  const m = d.metrics.find((x) => x.key === key);
  if (!m) return '';
  const text = `${fmt(m.before)} → ${fmt(m.after)} (${growthText(m)})`;
  return d.limits?.maxGrowth !== undefined && m.growth > d.limits.maxGrowth ? `❌ **${md(text)}**` : md(text);
}

/** The compact "Since baseline" table: it fits a pull-request comment. */
function baselineTable(diff: BaselineDiff): string[] {
  const lines = [`### Since baseline`, '', `Against ${md(diff.baseline.path)} (${md(diff.baseline.createdAt)}, ${md(diff.baseline.verdict)}).`, ''];
  lines.push(row(['backend', 'status', 'max abs', 'cos Δ max', 'elements moved', 'environment']));
  lines.push(row(['---', '---', '---:', '---:', '---:', '---']));
  for (const d of diff.backends) {
    const status = d.in === 'baseline' ? `${md(d.statusBefore ?? '')} → not run` : d.in === 'current' ? `new: ${md(d.statusAfter ?? '')}` : d.statusBefore === d.statusAfter ? md(d.statusAfter ?? '') : `${md(d.statusBefore ?? '')} → **${md(d.statusAfter ?? '')}**`;
    const moved = movedCellText(d);
    const movedOver = d.moves && d.limits?.maxMoved !== undefined && d.moves.moved > d.limits.maxMoved;
    lines.push(
      row([
        md(d.name) + (d.exceeded.length ? ' ❌' : ''),
        status,
        changeCell(d, 'maxAbs'),
        changeCell(d, 'cosineDeltaMax'),
        moved ? (movedOver ? `❌ **${md(moved)}** (limit ${d.limits!.maxMoved})` : md(moved)) : '',
        md(environmentText(d.environment, 3)),
      ]),
    );
  }
  const notes: string[] = [];
  if (diff.environment.length) notes.push(`Run: ${md(environmentText(diff.environment, 4))}.`);
  const texts = textsText(diff);
  if (texts) notes.push(`Texts: ${md(texts)}.`);
  if (notes.length) lines.push('', ...notes);
  lines.push('', '<sub>Before → after (after ÷ before). Elements moved: values that changed at all, when both runs kept their vectors. ❌ breaks a drift limit (backend “drift”; the reasons are listed below).</sub>');
  return lines;
}
