/** The terminal summary: a cli-table3 table and one line per problem. Colour only when asked. */
import Table from 'cli-table3';
import { fmt } from '../compare/verdict.js';
import type { BackendReport, Report } from './report.js';

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
  for (const b of report.backends) {
    if (b.status === 'pass') continue;
    const label = paint(`${b.name} ${b.status}:`, b.status === 'fail' || b.status === 'error' ? 'red' : 'yellow', color);
    const reasons = b.reasons.length ? b.reasons : [b.reason ?? ''];
    for (const r of reasons) lines.push(`${label} ${r}`);
  }
  for (const w of report.warnings) lines.push(paint(`warning: ${w}`, 'yellow', color));
  const verdictColor = report.verdict === 'pass' ? 'green' : 'red';
  lines.push(
    `${paint(`verdict: ${report.verdict.toUpperCase()}`, verdictColor, color)} — ${report.backends.length} backend(s) against ` +
      `${report.golden.path} (${report.golden.shape.join('×')} ${report.golden.dtype}, golden from ${report.golden.backend ?? 'unknown'})`,
  );
  return lines.join('\n') + '\n';
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}
