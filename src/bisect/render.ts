/** Terminal rendering of a bisection: a header, the verdict line, and the per-node table. */
import { fmt, pct } from '../numeric/format.js';
import { isFloatOutput, type BisectResult, type NodeComparison } from './bisect.js';

export interface RenderBisectOptions {
  /** Show every compared output, integer/bool ones included (default: float outputs, plus any that exceed). */
  all?: boolean;
  /** Above this many rows, show only the rows around the first divergent node and the last rows (default 80). */
  maxRows?: number;
}

function pad(s: string, width: number, right = false): string {
  return right ? s.padStart(width) : s.padEnd(width);
}

export function renderBisectTable(result: BisectResult, options: RenderBisectOptions = {}): string {
  const { a, b, tolerance: t } = result;
  const lines: string[] = [
    `bisect ${a.name} (${a.model}, ${a.nodes} nodes) against ${b.name} (${b.model}, ${b.nodes} nodes)`,
    `${result.texts} texts in one batch ${result.batch}×${result.seq}; graphOptimizationLevel ${result.graphOptimizationLevel}; ` +
      `outputs paired by ${result.mapping}; padded positions left out in ${result.maskedOutputs} outputs` +
      (result.maskingNote ? ` (${result.maskingNote})` : ''),
    `an element of ${a.name} fails when |a - b| > atol ${fmt(t.atol)} + rtol ${fmt(t.rtol)}·|b|` + (t.mismatchRatio > 0 ? `, allowing ${pct(t.mismatchRatio)} of elements` : ''),
  ];
  const f = result.firstDivergent;
  if (f) {
    const at = f.maxAbsAt ? ` at [${f.maxAbsAt.join(', ')}]` : '';
    lines.push(
      `first divergent node: ${f.node} (${f.opType}), output ${f.output}: ${f.note ?? `max abs ${fmt(f.maxAbs)}${at} (|b| up to ${fmt(f.maxRef)}), ${f.mismatches} / ${f.total} elements (${pct(f.mismatchRatio)}) beyond tolerance`}`,
    );
    if (f.inputs.length) {
      lines.push(`  its inputs: ${f.inputs.map((i) => `${i.name} max abs ${fmt(i.maxAbs)}${i.exceeds ? ' (exceeds)' : ''}`).join('; ')}`);
    }
  } else {
    lines.push(`no node exceeds the tolerance: ${a.name} follows ${b.name} through all ${result.nodes.length} compared outputs`);
  }
  if (result.unmatchedA.length) {
    lines.push(`${result.unmatchedA.length} outputs of ${a.name} have no counterpart in ${b.name} (e.g. ${result.unmatchedA.slice(0, 3).join(', ')})`);
  }

  const shown = result.nodes.filter((n) => options.all || isFloatOutput(n) || n.exceeds || n.note);
  const firstRow = f ? shown.findIndex((n) => n.index === f.index && n.output === f.output) : -1;
  const maxRows = options.maxRows ?? 80;
  let rows: (NodeComparison | null)[] = shown;
  if (shown.length > maxRows) {
    const keep = new Set<number>();
    const around = Math.max(2, Math.floor((maxRows - 10) / 2));
    const centre = firstRow >= 0 ? firstRow : 0;
    for (let i = Math.max(0, centre - around); i <= Math.min(shown.length - 1, centre + around); i++) keep.add(i);
    for (let i = Math.max(0, shown.length - 5); i < shown.length; i++) keep.add(i);
    rows = [];
    let last = -1;
    for (const i of [...keep].sort((x, y) => x - y)) {
      if (i !== last + 1) rows.push(null);
      rows.push(shown[i]);
      last = i;
    }
    if (last !== shown.length - 1) rows.push(null);
  }

  const header = ['#', 'output', 'op', 'shape', 'max abs', 'max |b|', 'rel', 'mismatch', ''];
  const cells = rows.map((n) => {
    if (!n) return null;
    const mark = f && n.index === f.index && n.output === f.output ? '<- first divergent' : n.exceeds ? 'exceeds' : '';
    const name = n.outputB === n.output ? n.output : `${n.output} ~ ${n.outputB}`;
    return [
      String(n.index),
      name,
      n.opType,
      n.note && n.total === 0 ? n.note : `[${n.dims.join(',')}]`,
      n.total ? fmt(n.maxAbs) : '-',
      n.total ? fmt(n.maxRef) : '-',
      n.total && n.maxRef > 0 ? fmt(n.maxAbs / n.maxRef) : '-',
      n.total ? pct(n.mismatchRatio) : '-',
      mark,
    ];
  });
  const widths = header.map((h, k) => Math.max(h.length, ...cells.map((c) => (c ? c[k].length : 0))));
  const right = [true, false, false, false, true, true, true, true, false];
  const fmtRow = (c: string[]) => c.map((s, k) => pad(s, widths[k], right[k])).join('  ').trimEnd();
  lines.push('', fmtRow(header), widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) lines.push(c ? fmtRow(c) : '   ...');
  if (shown.length < result.nodes.length) {
    lines.push(`(${result.nodes.length - shown.length} integer/bool outputs that match exactly are not shown)`);
  }
  return lines.join('\n');
}
