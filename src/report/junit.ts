/**
 * junit.xml for CI test tabs: one <testsuite name="parity"> per run, one <testcase> per backend.
 * A failure carries the torch.testing-style message as its body and the first reason as its
 * message attribute; skipped and error map to <skipped>/<error>. The diagnoses follow the reasons in
 * the failure/error body, and every testcase's <system-out> holds its diagnoses and its "does it
 * matter?" figures (downstream impact, batch invariance). Text is XML-escaped, and characters XML 1.0
 * cannot hold at all (most control characters) are removed.
 */
import { fmt } from './format.js';
import { batchFigure, downstreamFigures, lengthWord, limitSummary, type ImpactFigure } from './impact.js';
import type { BackendReport, Report } from './report.js';
import { escapeXmlAttr as attr, escapeXmlText as text } from './escape.js';
import { statusStyle } from './status.js';

function seconds(b: BackendReport): string {
  const t = b.timing;
  if (!t) return '0';
  const s = ((Number(t.openMs) || 0) + (Number(t.embedMs) || 0)) / 1000;
  return s.toFixed(3);
}

function diagnosisLines(b: BackendReport): string[] {
  return (b.diagnosis ?? []).map((d) => `diagnosis: ${d}`);
}

function body(b: BackendReport): string {
  const reasons = b.reasons?.length ? b.reasons : b.reason ? [b.reason] : [];
  const parts = [...reasons];
  const diagnoses = diagnosisLines(b);
  if (diagnoses.length) parts.push('', ...diagnoses);
  if (b.message) parts.push('', b.message);
  return parts.join('\n');
}

/** "98.27%", or "98.27% [FAILS limit ≥ 0.99]" when it fails a configured limit. */
function figure(f: ImpactFigure | undefined, label: string): string {
  if (!f) return '';
  return `${label} ${f.shown}${f.fails ? ` [FAILS limit ${f.limit}]` : ''}`;
}

/** Downstream-impact and batch-invariance figures, one line each; empty when not measured. */
function impactLines(report: Report, b: BackendReport): string[] {
  const lines: string[] = [];
  const d = b.downstream;
  const id = (row: number) => `'${report.corpus.ids[row] ?? `row ${row}`}'`;
  if (d) {
    const [top1, top5, top10, spearman, delta, flips] = downstreamFigures(b);
    const at = d.maxPairwiseDeltaAt && Number(d.maxPairwiseDelta) > 0 ? ` (${id(d.maxPairwiseDeltaAt.i)} vs ${id(d.maxPairwiseDeltaAt.j)})` : '';
    lines.push(
      `downstream (golden vs backend, ${d.sampled ? `sampled ${d.n} of ${d.rows}` : d.n} texts): ` +
        [
          figure(top1, 'top-1 kept'),
          figure(top5, 'top-5 kept'),
          figure(top10, 'top-10 kept'),
          figure(spearman, 'spearman'),
          `${figure(delta, 'max Δ similarity')}${at}, mean ${fmt(Number(d.meanPairwiseDelta))}`,
          `${figure(flips, 'rank flips')} of ${d.rankFlipsPossible} (${d.anchorsWithFlips} texts affected)`,
        ].join(', '),
    );
  }
  const bi = b.batchInvariance;
  const bf = batchFigure(b);
  if (bi && bf) {
    const worst = Number(bi.maxAbs) > 0 && bi.worstText ? ` at '${bi.worstText.id}'${bi.worstText.length !== undefined ? ` (${bi.worstText.length} ${lengthWord(bi.lengthUnit, bi.worstText.length)})` : ''}` : '';
    lines.push(
      `batch invariance: ${figure(bf, 'max |batched - alone|')}${worst}, ${bi.identical} of ${bi.texts} texts bit-identical, ` +
        `padded next to '${bi.longest.id}' (${bi.longest.length} ${lengthWord(bi.lengthUnit, bi.longest.length)}) in ${bi.batches} batch${bi.batches === 1 ? '' : 'es'} of ${bi.batchSize}`,
    );
  }
  if (lines.length) lines.push(`limits: ${limitSummary(b).text}`);
  return lines;
}

function testcase(report: Report, b: BackendReport): string {
  const style = statusStyle(b.status);
  const open = `    <testcase classname="parity" name="${attr(b.name)}" time="${seconds(b)}">`;
  const reason = b.reason ?? b.reasons?.[0] ?? '';
  let outcome = '';
  /** Paragraphs of <system-out>. */
  const out: string[] = [];
  switch (style.junit) {
    case 'failure':
      outcome = `      <failure message="${attr(reason)}" type="ParityMismatch">${text(body(b))}</failure>\n`;
      break;
    case 'error':
      outcome = `      <error message="${attr(reason)}" type="BackendError">${text(body(b))}</error>\n`;
      break;
    case 'skipped': {
      const why =
        b.status === 'skipped' ? reason : b.status === 'xfail' ? `expected failure: ${b.expected?.reason ?? reason}` : `${b.status}: ${reason}`;
      outcome = `      <skipped message="${attr(why)}"/>\n`;
      break;
    }
    default: {
      const note = b.status === 'xpass' ? `XPASS: expected to fail (${b.expected?.reason ?? 'see config'}) but passed\n` : '';
      if (b.message || note) out.push(note + (b.message ?? ''));
    }
  }
  const extra = [...diagnosisLines(b), ...impactLines(report, b)];
  if (extra.length) out.push(extra.join('\n'));
  if (out.length) outcome += `      <system-out>${text(out.join('\n\n'))}</system-out>\n`;
  return outcome ? `${open}\n${outcome}    </testcase>\n` : `${open.slice(0, -1)}/>\n`;
}

export function renderJunit(report: Report): string {
  const counts = { tests: report.backends.length, failures: 0, errors: 0, skipped: 0 };
  for (const b of report.backends) {
    const o = statusStyle(b.status).junit;
    if (o === 'failure') counts.failures++;
    else if (o === 'error') counts.errors++;
    else if (o === 'skipped') counts.skipped++;
  }
  const time = report.backends.reduce((s, b) => s + Number(seconds(b)), 0).toFixed(3);
  const totals = `tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}" time="${time}"`;
  const g = report.golden;
  const suiteProps = [
    ['verdict', report.verdict],
    ['golden', g.path],
    ['golden.shape', g.shape?.join('x')],
    ['corpus', report.corpus.path],
    ['corpus.sha256', report.corpus.sha256],
    ['parity', report.tool?.version],
  ]
    .map(([k, v]) => `      <property name="${attr(k)}" value="${attr(v)}"/>\n`)
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="parity" ${totals}>\n` +
    `  <testsuite name="parity" ${totals} timestamp="${attr(report.createdAt)}">\n` +
    `    <properties>\n${suiteProps}    </properties>\n` +
    report.backends.map((b) => testcase(report, b)).join('') +
    '  </testsuite>\n</testsuites>\n'
  );
}
