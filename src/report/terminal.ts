/**
 * The terminal summary: a cli-table3 table and one line per problem. Colour only when asked. Numbers,
 * statuses and the "Does it matter?" figures are formatted as in the HTML and Markdown reports
 * (format.ts, status.ts, impact.ts).
 */
import Table from 'cli-table3';
import { fmt, truncate } from './format.js';
import { batchFigure, downstreamFigures, impactBackends, similarityNote } from './impact.js';
import type { BackendReport, Report } from './report.js';
import { timingSummary, TIMING_COLUMNS } from './timing-table.js';
import { watchTable } from './watch-table.js';
import { statusStyle, type Tone } from './status.js';
import { driftSentence, environmentText, textsText } from './drift.js';
import type { BaselineDiff } from '../baseline/diff-types.js';

export interface TerminalOptions {
  color: boolean;
}

/** Colour on a TTY unless NO_COLOR is set (https://no-color.org) or CI asks for plain logs. */
export function wantsColor(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
}

const CODES = { red: 31, green: 32, yellow: 33, gray: 90, bold: 1 } as const;

function paint(text: string, color: keyof typeof CODES, on: boolean): string {
  return on ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text;
}

const TONE_COLOR: Record<Tone, keyof typeof CODES> = { good: 'green', bad: 'red', warn: 'yellow', muted: 'yellow' };

function statusCell(b: BackendReport, color: boolean): string {
  const style = statusStyle(b.status);
  return paint(style.label, TONE_COLOR[style.tone], color);
}

export function renderTerminal(report: Report, { color }: TerminalOptions): string {
  const table = new Table({
    head: ['backend', 'status', 'max abs', 'at (text, dim)', 'mismatches', 'cos Δ max', 'min atol'],
    style: { head: color ? ['bold'] : [], border: color ? ['gray'] : [] },
  });
  for (const b of report.backends) {
    const m = b.metrics;
    table.push([
      b.name,
      statusCell(b, color),
      m ? fmt(m.maxAbs) : '',
      m?.maxAbsAt && m.maxAbs > 0 ? `${truncate(m.maxAbsAt.id, 18)}, ${m.maxAbsAt.dim}` : '',
      m ? `${m.mismatches} / ${m.total}` : '',
      m ? fmt(m.cosineDeltaMax) : '',
      m ? fmt(m.minPassingAtol) : '',
    ]);
  }
  const lines = [table.toString()];
  const watched = watchTable(report);
  if (watched) {
    const t = new Table({ head: ['watched element', ...watched.columns], style: { head: color ? ['bold'] : [], border: color ? ['gray'] : [] } });
    for (const r of watched.rows) t.push([r.name, ...r.cells]);
    lines.push(t.toString());
  }
  const impact = impactTable(report, color);
  if (impact) {
    const note = similarityNote(report);
    lines.push('Does it matter? (neighbours within the corpus, golden vs backend; the same texts alone vs padded)', impact, ...(note ? [note] : []));
  }
  const timing = timingSummary(report);
  if (timing) {
    if (timing.rows.length) {
      const t = new Table({ head: [...TIMING_COLUMNS], style: { head: color ? ['bold'] : [], border: color ? ['gray'] : [] } });
      for (const r of timing.rows) t.push(r);
      lines.push(t.toString());
    }
    lines.push(timing.total);
  }
  for (const b of report.backends) {
    if (b.status === 'pass') continue;
    const label = paint(`${b.name} ${b.status}:`, statusStyle(b.status).tone === 'bad' ? 'red' : 'yellow', color);
    const reasons = b.reasons.length ? b.reasons : [b.reason ?? ''];
    for (const r of reasons) lines.push(`${label} ${r}`);
  }
  for (const b of report.backends) for (const d of b.diagnosis ?? []) lines.push(`${paint(`${b.name} diagnosis:`, 'yellow', color)} ${d}`);
  if (report.baseline) lines.push(...baselineLines(report.baseline, color));
  for (const w of report.warnings) lines.push(paint(`warning: ${w}`, 'yellow', color));
  const verdict = statusStyle(report.verdict);
  lines.push(
    `${paint(`verdict: ${verdict.label}`, TONE_COLOR[verdict.tone], color)} — ${report.backends.length} backend(s) against ` +
      `${report.golden.path} (${report.golden.shape.join('×')} ${report.golden.dtype}, golden from ${report.golden.backend ?? 'unknown'})`,
  );
  return lines.join('\n') + '\n';
}

function impactTable(report: Report, color: boolean): string | null {
  const rows = impactBackends(report);
  if (!rows.length) return null;
  const table = new Table({
    head: ['backend', 'top-1 kept', 'top-10 kept', 'spearman', 'max Δ similarity', 'rank flips', 'batch inv. max abs'],
    style: { head: color ? ['bold'] : [], border: color ? ['gray'] : [] },
  });
  for (const b of rows) {
    const d = b.downstream;
    const shown = new Map(downstreamFigures(b).map((f) => [f.key, f.shown]));
    const bi = b.batchInvariance;
    const bf = batchFigure(b);
    table.push([
      b.name,
      shown.get('top1') ?? '',
      shown.get('top10') ?? '',
      shown.get('spearman') ?? '',
      shown.get('maxPairwiseDelta') ?? '',
      d ? `${shown.get('rankFlips')}${d.sampled ? ` (${d.n} sampled)` : ''}` : '',
      bf ? `${bf.shown}${bi && bi.maxAbs > 0 && bi.worstText ? ` (${truncate(bi.worstText.id, 14)})` : ''}` : '',
    ]);
  }
  return table.toString();
}

/** "Since baseline …" then one sentence per backend, its environment changes under it, then run-wide changes. */
export function baselineLines(diff: BaselineDiff, color: boolean): string[] {
  const lines = [`Since baseline ${diff.baseline.path} (${diff.baseline.createdAt}, ${diff.baseline.verdict}):`];
  for (const d of diff.backends) {
    const label = paint(`${d.name}:`, d.exceeded.length ? 'red' : d.in === 'both' ? 'bold' : 'yellow', color);
    lines.push(`  ${label} ${driftSentence(d)}`);
    if (d.environment.length) lines.push(`    environment: ${environmentText(d.environment, 6)}`);
  }
  if (diff.environment.length) lines.push(`  run: ${environmentText(diff.environment, 6)}`);
  const texts = textsText(diff);
  if (texts) lines.push(`  texts: ${texts}`);
  return lines;
}
