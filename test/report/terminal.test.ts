/** The terminal speaks the reports' vocabulary: the same statuses and the same figures as HTML and Markdown. */
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { syntheticReport } from '../support/report-fixture.js';

describe('renderTerminal', () => {
  it('shows a share just under 1 as HTML and Markdown do (99.99%, never 100.00%), and Spearman near 1 as 1 − x', () => {
    const report = syntheticReport();
    const b = report.backends.find((x) => x.downstream)!;
    b.downstream = { ...b.downstream!, top1Overlap: 0.99999, top10Overlap: 1, spearman: 1 - 5.78e-11 };
    const terminal = renderTerminal(report, { color: false });
    expect(terminal).toContain('99.99%');
    expect(terminal).not.toContain('100.00%');
    expect(terminal).toContain('1 − 5.78e-11');
    for (const other of [renderHtml(report), renderMarkdown(report)]) {
      expect(other).toContain('99.99%');
      expect(other).toContain('1 − 5.78e-11');
    }
  });

  it('labels statuses and the verdict as the other renderers do', () => {
    const report = syntheticReport();
    const terminal = renderTerminal(report, { color: false });
    for (const b of report.backends) expect(terminal).toContain(b.status.toUpperCase());
    expect(terminal).toContain(`verdict: ${report.verdict.toUpperCase()}`);
    const colored = renderTerminal(report, { color: true });
    expect(colored).toContain('\u001b[32mPASS\u001b[0m');
  });
});
