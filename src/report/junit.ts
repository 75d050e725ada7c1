/**
 * junit.xml for CI test tabs: one <testsuite name="parity"> per run, one <testcase> per backend.
 * A failure carries the torch.testing-style message as its body and the first reason as its
 * message attribute; skipped and error map to <skipped>/<error>. Text is XML-escaped, and characters
 * XML 1.0 cannot hold at all (most control characters) are removed.
 */
import type { BackendReport, Report } from './report.js';
import { escapeXmlAttr as attr, escapeXmlText as text } from './escape.js';
import { statusStyle } from './status.js';

function seconds(b: BackendReport): string {
  const t = b.timing;
  if (!t) return '0';
  const s = ((Number(t.openMs) || 0) + (Number(t.embedMs) || 0)) / 1000;
  return s.toFixed(3);
}

function body(b: BackendReport): string {
  const reasons = b.reasons?.length ? b.reasons : b.reason ? [b.reason] : [];
  const parts = [...reasons];
  if (b.message) parts.push('', b.message);
  return parts.join('\n');
}

function testcase(b: BackendReport): string {
  const style = statusStyle(b.status);
  const open = `    <testcase classname="parity" name="${attr(b.name)}" time="${seconds(b)}">`;
  const reason = b.reason ?? b.reasons?.[0] ?? '';
  let outcome = '';
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
      if (b.message || note) outcome = `      <system-out>${text(note + (b.message ?? ''))}</system-out>\n`;
    }
  }
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
    report.backends.map(testcase).join('') +
    '  </testsuite>\n</testsuites>\n'
  );
}
