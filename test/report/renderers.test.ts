import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rerenderReport } from '../../src/commands/report.js';
import { readReport } from '../../src/report/read-report.js';
import { InputError } from '../../src/errors.js';
import { escapeHtml, escapeMarkdown, escapeXmlAttr, escapeXmlText, stripInvalidXml } from '../../src/report/escape.js';
import { renderHtml } from '../../src/report/html.js';
import { reportToJson } from '../../src/report/json.js';
import { renderJunit } from '../../src/report/junit.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { seconds } from '../../src/report/format.js';
import { renderTerminal } from '../../src/report/terminal.js';
import type { BackendReport, Report, RunTiming } from '../../src/report/report.js';
import { appendStepSummary, writeReportFiles } from '../../src/report/write-all.js';
import { pipelineReport, SCRIPT_REASON, syntheticReport, XSS_TEXT } from '../support/report-fixture.js';
import { findAll, parseXml } from '../support/xml-check.js';

let report: Report;
let outDir: string;
const temps: string[] = [];

function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parity-render-'));
  temps.push(dir);
  return dir;
}

beforeAll(async () => {
  ({ report, outDir } = await pipelineReport());
  temps.push(outDir);
}, 120_000);

afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

const charts = (html: string, kind: string) => html.split(`data-chart="${kind}"`).length - 1;

describe('escaping', () => {
  it('removes characters XML 1.0 cannot hold and escapes the rest', () => {
    expect(stripInvalidXml('a\u0000b\u0001c\u0007d\u001be\ud800f\uFFFEg\u{1F600}\t\n\r')).toBe('abcdefg\u{1F600}\t\n\r');
    expect(escapeXmlText('<a & b>')).toBe('&lt;a &amp; b&gt;');
    expect(escapeXmlAttr(`"it's"\n<x>`)).toBe('&quot;it&apos;s&quot;&#10;&lt;x&gt;');
  });

  it('escapes Markdown cells so they render as literal text', () => {
    expect(escapeMarkdown('a | b *c* _d_ `e` [f](g) <img src=x>\nnext')).toBe(
      'a \\| b \\*c\\* \\_d\\_ \\`e\\` \\[f\\](g) &lt;img src=x&gt; next',
    );
  });
});

describe('JUnit', () => {
  it('is well-formed XML with one suite, one case per backend and the right counts', () => {
    const xml = renderJunit(report);
    const root = parseXml(xml);
    const suites = findAll(root, 'testsuite');
    expect(suites).toHaveLength(1);
    const suite = suites[0];
    // transformersjs-fp32 is xfail (a <skipped>) while its expectation applies; fail otherwise.
    const tj = report.backends.find((b) => b.name === 'transformersjs-fp32')!;
    expect(['xfail', 'fail']).toContain(tj.status);
    const xfail = tj.status === 'xfail' ? 1 : 0;
    expect(suite.attrs).toMatchObject({ name: 'parity', tests: '5', failures: String(2 - xfail), errors: '1', skipped: String(1 + xfail) });
    const cases = findAll(suite, 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual(['cpu-fp32', 'cpu-fp16', 'transformersjs-fp32', 'webgpu-fp16', 'cuda-fp16']);
    expect(cases.every((c) => c.attrs.classname === 'parity')).toBe(true);

    const [pass, fail, tjCase, error, skipped] = cases;
    expect(findAll(pass, 'failure')).toHaveLength(0);
    const failure = findAll(fail, 'failure')[0];
    const fp16 = report.backends[1];
    expect(failure.attrs.message).toBe(fp16.reason);
    expect(failure.text).toContain('Mismatched elements: ');
    expect(failure.text).toContain('Greatest absolute difference: ');
    expect(failure.text).toContain(fp16.message!);

    const err = findAll(error, 'error')[0];
    // The control characters and the lone surrogate are gone; markup survives as text.
    expect(err.attrs.message).toBe(stripInvalidXml(SCRIPT_REASON));
    expect(err.attrs.message).toContain('<script>alert(2)</script>');
    expect(err.text).toContain('second line of the error');
    expect(findAll(skipped, 'skipped')[0].attrs.message).toBe('CUDA execution provider is not available on this machine');

    // The diagnosis and the "does it matter?" figures reach the testcase's <system-out>.
    expect(tj.diagnosis?.length).toBeGreaterThan(0);
    const tjOut = findAll(tjCase, 'system-out')[0].text;
    for (const d of tj.diagnosis!) expect(tjOut).toContain(`diagnosis: ${d}`);
    expect(tjOut).toMatch(/^downstream \(golden vs backend, 289 texts\): top-1 kept [\d.]+%, .*rank flips \d+ of \d+ \(\d+ texts affected\)$/m);
    expect(tjOut).toMatch(/^batch invariance: max \|batched - alone\| .*, \d+ of \d+ texts bit-identical, padded next to '.+' \(\d+ tokens\)/m);
    expect(tjOut).toContain('limits: information only');
    for (const c of [pass, fail]) expect(findAll(c, 'system-out')[0].text).toContain('downstream (golden vs backend');
  });

  it('puts diagnoses in the failure body and marks figures that fail a limit', () => {
    const r = syntheticReport();
    const root = parseXml(renderJunit(r));
    const fail = findAll(root, 'testcase').find((c) => c.attrs.name === 'cpu-fp16')!;
    const failure = findAll(fail, 'failure')[0];
    expect(failure.attrs.message).toBe(r.backends[1].reason);
    expect(failure.text).toContain(`diagnosis: ${r.backends[1].diagnosis![0]}`);
    const out = findAll(fail, 'system-out')[0].text;
    expect(out).toContain('top-1 kept 75.00% [FAILS limit ≥ 0.99]');
    expect(out).toContain('rank flips 2 of 12');
    expect(out).not.toContain('rank flips 2 [FAILS');
    expect(out).toContain("max |batched - alone| 3.10e-4 [FAILS limit ≤ 0.0001] at 'xss' (9 tokens)");
    expect(out).toContain('limits: 2 of 3 limits failed');
    const pass = findAll(root, 'testcase').find((c) => c.attrs.name === 'cpu-fp32')!;
    expect(findAll(pass, 'system-out')[0].text).toContain('batch invariance: max |batched - alone| 0, 3 of 3 texts bit-identical');
  });

  it('maps xfail to skipped and unknown statuses gracefully', () => {
    const r = syntheticReport();
    r.backends[1] = { ...r.backends[1], status: 'xfail', expected: { status: 'fail', reason: 'known bug' } };
    r.backends.push({ ...r.backends[0], name: 'future', status: 'something-new' as BackendReport['status'] });
    const root = parseXml(renderJunit(r));
    const suite = findAll(root, 'testsuite')[0];
    expect(suite.attrs).toMatchObject({ tests: '5', failures: '0', errors: '1', skipped: '3' });
    expect(findAll(root, 'skipped').map((s) => s.attrs.message)).toContain('expected failure: known bug');
  });
});

describe('Markdown', () => {
  it('matches the snapshot for a fixed report', () => {
    expect(renderMarkdown(syntheticReport())).toMatchSnapshot();
  });

  it('summarises the pipeline report: verdict, one row per backend, escaped reasons', () => {
    const md = renderMarkdown(report);
    expect(md).toMatch(/^## .* parity: ERROR$/m);
    const [main, rest] = md.split('### Does it matter?');
    const tableRows = (text: string) => text.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| backend') && !l.startsWith('| ---'));
    const header = (text: string) => text.split('\n').find((l) => l.startsWith('| backend'))!;
    // Every table row has exactly the header's number of cells: no unescaped pipe split one.
    const cells = (l: string) => l.replace(/\\\|/g, '').split('|').length;
    expect(tableRows(main)).toHaveLength(5);
    for (const row of tableRows(main)) expect(cells(row)).toBe(cells(header(main)));
    // "Does it matter?": the three backends that produced vectors.
    const impactRows = tableRows(rest);
    expect(impactRows.map((l) => l.split(' | ')[0])).toEqual(['| cpu-fp32', '| cpu-fp16', '| transformersjs-fp32']);
    for (const row of impactRows) expect(cells(row)).toBe(cells(header(rest)));
    // Diagnoses sit under the main table, before the impact table.
    const tj = report.backends.find((b) => b.name === 'transformersjs-fp32')!;
    expect(main).toContain('**Diagnosis**');
    expect(main).toContain(`- **transformersjs-fp32**: ${escapeMarkdown(tj.diagnosis![0])}`);
    expect(md).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(md).not.toContain('<script>');
    expect(md).not.toMatch(/\]\(/);
  });
});

describe('HTML', () => {
  it('escapes every string and draws every chart', () => {
    const html = renderHtml(report);
    expect(html).not.toContain(XSS_TEXT);
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
    const plotted = report.backends.filter((b) => b.details && b.metrics && b.metrics.maxAbs > 0).length;
    expect(plotted).toBe(3);
    for (const kind of ['histogram', 'cosine', 'dims']) expect(charts(html, kind)).toBe(plotted);
    expect(charts(html, 'heatmap')).toBe(1);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('shows diagnoses in the banner and in the backend section', () => {
    const html = renderHtml(report);
    const tj = report.backends.find((b) => b.name === 'transformersjs-fp32')!;
    expect(tj.diagnosis?.length).toBeGreaterThan(0);
    const diagnosis = escapeHtml(tj.diagnosis![0]);
    const banner = html.slice(html.indexOf('<header'), html.indexOf('</header>'));
    expect(banner).toContain(`<span class="diag-tag">diagnosis</span> ${diagnosis}`);
    const section = html.slice(html.indexOf(`id="backend-${report.backends.indexOf(tj)}"`));
    const own = section.slice(0, section.indexOf('</section>'));
    const callout = own.slice(own.indexOf('<div class="callout diagnosis">'));
    expect(callout.slice(0, callout.indexOf('</div>'))).toContain(`<li>${diagnosis}</li>`);
  });

  it('has a "Does it matter?" section: one row per measured backend, pair texts on hover, information only without limits', () => {
    const html = renderHtml(report);
    expect(html).toContain('<a href="#impact">Does it matter?</a>');
    const start = html.indexOf('<h2 id="impact">');
    expect(start).toBeGreaterThan(html.indexOf('<h2 id="backends">'));
    expect(start).toBeLessThan(html.indexOf('<h2 id="agreement">'));
    const section = html.slice(start, html.indexOf('<h2 id="agreement">'));
    const rows = section.split('<tr>').slice(2);
    expect(rows.map((r) => /class="backend-name"[^>]*>([^<]+)</.exec(r)?.[1])).toEqual(['cpu-fp32', 'cpu-fp16', 'transformersjs-fp32']);
    for (const r of rows) expect(r).toContain('information only');
    expect(section).toMatch(/of 13,005 possible/);
    // The texts of the most-changed pair are in hover titles; the XSS text only escaped.
    const tj = report.backends.find((b) => b.name === 'transformersjs-fp32')!;
    const at = tj.downstream!.maxPairwiseDeltaAt!;
    expect(section).toContain(`title="${escapeHtml(`${report.corpus.ids[at.i]}: `)}`);
    expect(section).toContain(`>'${escapeHtml(report.corpus.ids[at.j])}'</span>`);
    expect(section).toMatch(/padded next to <span class="hover" title="[^"]+">'repeated-long'<\/span> · 128 tokens/);
    // Per backend: a batch-invariance chart where padding changed a vector, "bit-identical" where none did.
    const measured = report.backends.filter((b) => b.batchInvariance);
    const changed = measured.filter((b) => b.batchInvariance!.maxAbs > 0).length;
    expect(charts(html, 'batch-invariance')).toBe(changed);
    expect(html.split('class="identical">Bit-identical:').length - 1).toBe(measured.length - changed);
  });

  it('marks values that fail a configured limit red and draws the limit on the batch-invariance chart', () => {
    const r = syntheticReport();
    const html = renderHtml(r);
    const section = html.slice(html.indexOf('<h2 id="impact">'), html.indexOf('<h2 id="agreement">'));
    const [passRow, failRow] = section.split('<tr>').slice(2);
    expect(passRow).toContain('information only');
    expect(passRow).not.toContain('class="bad"');
    expect(failRow).toContain('<td class="num fails"><span class="bad">75.00%</span><span class="sub nowrap bad">limit ≥ 0.99 — fails</span>');
    expect(failRow).toContain('<span class="sub nowrap">limit ≤ 10</span>');
    expect(failRow).toContain('<span class="bad">3.10e-4</span>');
    expect(failRow).toContain('2 of 3 limits failed');
    // The xss text only as an escaped hover title.
    expect(section).toContain('>0.800000<');
    expect(section).toContain(`title="xss: ${escapeHtml(XSS_TEXT)}"`);
    expect(charts(html, 'batch-invariance')).toBe(1);
    const chart = html.slice(html.indexOf('data-chart="batch-invariance"'));
    expect(chart.slice(0, chart.indexOf('</svg>'))).toContain('limit 1e-4');
    expect(chart).toContain(escapeHtml(`'xss' · 9 tokens: ${XSS_TEXT} — max |batched − alone| 3.10e-4`));
    // The synthetic diagnosis holds markup: escaped in banner and section.
    expect(html).not.toContain('<b>|pipes|</b>');
    expect(html.split('&lt;b&gt;|pipes|&lt;/b&gt;').length - 1).toBe(2);
    // A report.json from before these checks renders without the section.
    const old = structuredClone(r);
    for (const b of old.backends) {
      delete b.downstream;
      delete b.batchInvariance;
      delete b.diagnosis;
    }
    delete old.checks;
    const oldHtml = renderHtml(old);
    expect(oldHtml).not.toContain('id="impact"');
    expect(charts(oldHtml, 'batch-invariance')).toBe(0);
  });

  it('shows a backend identical to golden without empty charts, and NaN pairs as n/a', () => {
    const r = syntheticReport();
    const html = renderHtml(r);
    expect(html).toContain('n/a');
    expect(charts(html, 'histogram')).toBe(2);
    const same = structuredClone(r);
    same.backends[0].metrics = { ...same.backends[0].metrics!, maxAbs: 0 };
    expect(charts(renderHtml(same), 'histogram')).toBe(1);
  });

  it('renders unknown statuses and a report without texts', () => {
    const r = syntheticReport();
    r.backends[0] = { ...r.backends[0], status: 'xpass', expected: { status: 'fail', reason: 'tracked <bug>' } };
    r.backends.push({ ...r.backends[2], name: 'odd', status: 'brand-new' as BackendReport['status'] });
    delete r.corpus.texts;
    const html = renderHtml(r);
    expect(html).toContain('XPASS');
    expect(html).toContain('BRAND-NEW');
    expect(html).toContain('tracked &lt;bug&gt;');
    expect(html).toContain('texts are shown by id');
  });

  it('stays small for a large corpus: per-text charts aggregate', () => {
    const r = syntheticReport();
    const rows = 50_000;
    r.corpus.count = rows;
    r.corpus.ids = Array.from({ length: rows }, (_, i) => `t${i}`);
    r.corpus.texts = Array.from({ length: rows }, (_, i) => `text number ${i} `.repeat(8));
    for (const b of r.backends) {
      if (!b.details) continue;
      b.details.cosineDelta = Array.from({ length: rows }, (_, i) => 1e-9 * ((i * 7919) % 1000));
      b.details.rowMaxAbs = Array.from({ length: rows }, () => 1e-6);
      b.details.normDelta = Array.from({ length: rows }, () => 1e-8);
      b.details.dimMaxAbs = Array.from({ length: 4096 }, (_, i) => 1e-7 * (1 + (i % 13)));
    }
    const html = renderHtml(r);
    expect(html.length).toBeLessThan(800_000);
    expect(html).toContain('each bar the worst of');
  });
});

describe('where the time went', () => {
  /** The "Where the time went" section of a report.html, up to the next section. */
  const timingSection = (html: string) => {
    const start = html.indexOf('<h2 id="timing">');
    return start < 0 ? '' : html.slice(start, html.indexOf('<h2 id="provenance">'));
  };
  const jobsText = (run: RunTiming) => {
    const each = run.threadsPerBackend ? `, ${run.threadsPerBackend} thread${run.threadsPerBackend === 1 ? '' : 's'} each where the config sets none` : '';
    return `${run.jobs} ${run.jobs === 1 ? 'backend' : 'backends'} at a time${each}`;
  };

  it('the run writes report.html and summary.md with its time to verdict up to writing them, and report.json with the writing too', () => {
    // The files parity run itself wrote (pipelineReport's decorations came after).
    const run = report.timing!;
    expect(run.verdictMs).toBeGreaterThan(0);
    expect(run.reportMs).toBeGreaterThan(0);
    // Before writing, then writing: the two parts of the whole (floating-point sums aside).
    expect(run.verdictMs! + run.reportMs!).toBeCloseTo(run.totalMs!, 6);
    const onDisk = readReport(join(outDir, 'report.json')).timing!;
    expect(onDisk).toEqual(run);
    const upTo = `time to verdict ${seconds(run.verdictMs!)} up to writing the report (${jobsText(run)}`;
    const html = readFileSync(join(outDir, 'report.html'), 'utf8');
    const section = timingSection(html);
    expect(section).toContain(`<p class="time-to-verdict">${escapeHtml(upTo)}`);
    expect(section).toContain(escapeHtml(`pairwise ${seconds(run.pairwiseMs)}`));
    expect(section).not.toContain('report writing'); // not known while the page is written
    expect(html).toContain('<a href="#timing">Where the time went</a>');
    // One row per backend the run timed, its cells as the terminal's (timing-table.ts).
    const timed = report.backends.filter((b) => b.timing);
    expect(timed.map((b) => b.name)).toEqual(['cpu-fp32', 'cpu-fp16', 'transformersjs-fp32']);
    const rows = section.split('<tr>').slice(2);
    expect(rows).toHaveLength(timed.length);
    timed.forEach((b, i) => {
      const cells = [...rows[i].matchAll(/<td[^>]*>(?:<span class="backend-name">)?([^<]*)/g)].map((m) => m[1]);
      expect(cells.slice(0, 3)).toEqual([escapeHtml(b.name), seconds(b.timing!.openMs), seconds(b.timing!.embedMs)]);
      expect(cells.slice(4)).toEqual([seconds(b.timing!.compareMs!), seconds(b.timing!.downstreamMs!), seconds(b.timing!.batchInvarianceMs!)]);
    });
    // summary.md: one line, time to verdict and jobs, no phases.
    const md = readFileSync(join(outDir, 'summary.md'), 'utf8');
    const line = md.split('\n').filter((l) => l.includes('ime to verdict'));
    expect(line).toEqual([`T${upTo.slice(1)}).`]);
  });

  it('re-rendered from report.json (parity report), the time to verdict includes writing the report, as the terminal shows it', () => {
    const run = report.timing!;
    const whole = `time to verdict ${seconds(run.totalMs!)} (${jobsText(run)}`;
    const section = timingSection(renderHtml(report));
    expect(section).toContain(escapeHtml(whole));
    expect(section).toContain(escapeHtml(`report writing ${seconds(run.reportMs!)}`));
    expect(section).not.toContain('up to writing the report');
    const terminalLine = renderTerminal(report, { color: false }).split('\n').find((l) => l.startsWith('time to verdict'))!;
    expect(section).toContain(`<p class="time-to-verdict">${escapeHtml(terminalLine)}</p>`);
    expect(renderMarkdown(report)).toContain(`\nT${whole.slice(1)}).\n`);
  });

  it('shows no time to verdict for a report without the run\'s timing (older reports, merged shards), and no section when nothing was timed', () => {
    const r = structuredClone(report);
    delete r.timing;
    const dir = temp();
    writeFileSync(join(dir, 'report.json'), reportToJson(r));
    const [, htmlPath, , mdPath] = rerenderReport(join(dir, 'report.json'));
    const html = readFileSync(htmlPath, 'utf8');
    const md = readFileSync(mdPath, 'utf8');
    expect(html).not.toContain('time to verdict');
    expect(md).not.toContain('ime to verdict');
    // The backends' own phases are still the report's: listed, with no verdict time made up.
    expect(timingSection(html)).toContain(`<p class="time-to-verdict">time per phase: open `);
    // An older report.json: backends timed up to embedding only, the run without jobs and verdictMs.
    const old = structuredClone(report);
    const { pairwiseMs, reportMs, totalMs } = report.timing!;
    old.timing = { pairwiseMs, reportMs, totalMs };
    for (const b of old.backends) if (b.timing) b.timing = { openMs: b.timing.openMs, embedMs: b.timing.embedMs, textsPerSecond: b.timing.textsPerSecond };
    const oldSection = timingSection(renderHtml(old));
    expect(oldSection).toContain(`<p class="time-to-verdict">time to verdict ${seconds(totalMs!)}: open `);
    expect(oldSection).toContain('<td class="num"></td>'); // compare, downstream, batch inv.: not timed then, left blank
    expect(renderMarkdown(old)).toContain(`\nTime to verdict ${seconds(totalMs!)}.\n`);
    // Nothing timed at all: no section, no link, no line.
    const none = syntheticReport();
    for (const b of none.backends) b.timing = null;
    const noneHtml = renderHtml(none);
    expect(noneHtml).not.toContain('id="timing"');
    expect(noneHtml).not.toContain('href="#timing"');
    expect(renderMarkdown(none)).not.toContain('ime to verdict');
  });
});

describe('report files', () => {
  it('writes all four formats and re-renders them identically from report.json', () => {
    const dir = temp();
    const paths = writeReportFiles(report, dir);
    expect(paths.map((p) => p.slice(dir.length + 1))).toEqual(['report.json', 'report.html', 'junit.xml', 'summary.md']);
    const before = paths.map((p) => readFileSync(p, 'utf8'));
    expect(before[0]).toBe(reportToJson(report));

    const again = temp();
    const rerendered = rerenderReport(paths[0], again);
    expect(rerendered.map((p) => readFileSync(p, 'utf8'))).toEqual(before);
  });

  it('brings NaN and Infinity back from their JSON strings, and only where numbers belong', () => {
    const r = syntheticReport();
    r.corpus.ids[0] = 'NaN';
    const dir = temp();
    writeReportFiles(r, dir);
    const json = readFileSync(join(dir, 'report.json'), 'utf8');
    expect(json).toContain('"NaN"');
    const back = readReport(join(dir, 'report.json'));
    expect(back.pairwise.maxAbs[1][2]).toBeNaN();
    expect(back.backends[1].details!.cosineDelta[3]).toBeNaN();
    expect(back.corpus.ids[0]).toBe('NaN');
    expect(renderHtml(back)).toBe(renderHtml(r));
    // Re-rendering into the report's own folder (the default) works too.
    const paths = rerenderReport(dir);
    expect(paths[1]).toBe(join(dir, 'report.html'));
  });

  it('explains a missing, invalid or newer report.json', () => {
    const dir = temp();
    const missing = join(dir, 'nope', 'report.json');
    expect(() => rerenderReport(missing)).toThrow(InputError);
    expect(() => rerenderReport(missing)).toThrow(/cannot read report .*nope.*no such file.*parity run/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    expect(() => readReport(bad)).toThrow(/bad\.json is not valid JSON/);
    writeFileSync(bad, JSON.stringify({ hello: 1 }));
    expect(() => readReport(bad)).toThrow(/not a parity report: it has no "schemaVersion"/);
    writeFileSync(bad, JSON.stringify({ ...syntheticReport(), schemaVersion: 99 }));
    expect(() => readReport(bad)).toThrow(/schema version 99; this parity reads version 1 — upgrade parity/);
    writeFileSync(bad, JSON.stringify({ ...syntheticReport(), backends: 'x' }));
    expect(() => readReport(bad)).toThrow(/"backends" must be an array/);
  });

  it('appends the Markdown summary to GITHUB_STEP_SUMMARY when set', () => {
    const file = join(temp(), 'summary.md');
    expect(appendStepSummary(report, {})).toBeNull();
    writeFileSync(file, 'earlier step\n');
    expect(appendStepSummary(report, { GITHUB_STEP_SUMMARY: file })).toBe(file);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('earlier step\n## ')).toBe(true);
    expect(existsSync(file)).toBe(true);
  });
});
