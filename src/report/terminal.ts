/** The terminal summary: a cli-table3 table and one line per problem. Colour only when asked. */
import Table from 'cli-table3';
import { fmt } from '../compare/verdict.js';
import type { BackendReport, Report } from './report.js';
import { watchTable } from './watch-table.js';

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

function statusCell(b: BackendReport, color: boolean): string {
  const colors = { pass: 'green', fail: 'red', error: 'red', skipped: 'yellow', xfail: 'yellow', xpass: 'yellow' } as const;
  return paint(b.status.toUpperCase(), colors[b.status], color);
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
  if (impact) lines.push('Does it matter? (neighbours within the corpus, golden vs backend; the same texts alone vs padded)', impact);
  for (const b of report.backends) {
    if (b.status === 'pass') continue;
    const label = paint(`${b.name} ${b.status}:`, b.status === 'fail' || b.status === 'error' ? 'red' : 'yellow', color);
    const reasons = b.reasons.length ? b.reasons : [b.reason ?? ''];
    for (const r of reasons) lines.push(`${label} ${r}`);
  }
  for (const b of report.backends) for (const d of b.diagnosis ?? []) lines.push(`${paint(`${b.name} diagnosis:`, 'yellow', color)} ${d}`);
  for (const w of report.warnings) lines.push(paint(`warning: ${w}`, 'yellow', color));
  const verdictColor = report.verdict === 'pass' ? 'green' : 'red';
  lines.push(
    `${paint(`verdict: ${report.verdict.toUpperCase()}`, verdictColor, color)} — ${report.backends.length} backend(s) against ` +
      `${report.golden.path} (${report.golden.shape.join('×')} ${report.golden.dtype}, golden from ${report.golden.backend ?? 'unknown'})`,
  );
  return lines.join('\n') + '\n';
}

function impactTable(report: Report, color: boolean): string | null {
  const rows = report.backends.filter((b) => b.downstream || b.batchInvariance);
  if (!rows.length) return null;
  const table = new Table({
    head: ['backend', 'top-1 kept', 'top-10 kept', 'spearman', 'max Δ similarity', 'rank flips', 'batch inv. max abs'],
    style: { head: color ? ['bold'] : [], border: color ? ['gray'] : [] },
  });
  const pct = (x: number) => `${(x * 100).toFixed(x === 1 ? 0 : 2)}%`;
  for (const b of rows) {
    const d = b.downstream;
    const bi = b.batchInvariance;
    table.push([
      b.name,
      d ? pct(d.top1Overlap) : '',
      d ? pct(d.top10Overlap) : '',
      d ? (d.spearman === 1 ? '1' : d.spearman.toFixed(6)) : '',
      d ? fmt(d.maxPairwiseDelta) : '',
      d ? `${d.rankFlips}${d.sampled ? ` (${d.n} sampled)` : ''}` : '',
      bi ? `${fmt(bi.maxAbs)}${bi.maxAbs > 0 && bi.worstText ? ` (${truncate(bi.worstText.id, 14)})` : ''}` : '',
    ]);
  }
  return table.toString();
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}
