/**
 * report.html in a real browser (headless Chromium through playwright-core): no console errors, no
 * network, every chart drawn (batch invariance included), the "Does it matter?" table and the
 * diagnoses visible, the XSS corpus line shown as text. Saves reports/report-html.png.
 * .ci/run installs Chromium (`apt-get install -y chromium`); without a browser (find-chromium.ts) this test skips,
 * except in CI, where it fails (test/support/installs.ts).
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { timingSummary } from '../../src/report/timing-table.js';
import { writeReportFiles } from '../../src/report/write-all.js';
import { CHROMIUM_PATH, requireChromium } from '../support/installs.js';
import { pipelineReport, XSS_TEXT } from '../support/report-fixture.js';

const chromium = requireChromium();
const SCREENSHOT = 'reports/report-html.png';
const temps: string[] = [];

afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe('report.html in headless Chromium', () => {
  it.skipIf(!chromium.present)(
    chromium.title('renders offline with every chart, no console errors, and the XSS line as text'),
    async () => {
      const { report, outDir } = await pipelineReport();
      temps.push(outDir);
      const [, htmlPath, junitPath] = writeReportFiles(report, outDir);
      const plotted = report.backends.filter((b) => b.details && b.metrics && b.metrics.maxAbs > 0).length;
      expect(plotted).toBeGreaterThan(0);

      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({
        executablePath: CHROMIUM_PATH ?? undefined,
        headless: true,
        args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-gpu'],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const problems: string[] = [];
        const requests: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
        });
        page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
        page.on('dialog', async (d) => {
          problems.push(`dialog: ${d.message()}`);
          await d.dismiss();
        });
        page.on('request', (r) => requests.push(r.url()));
        const url = pathToFileURL(htmlPath).href;
        await page.goto(url, { waitUntil: 'load' });

        expect(problems).toEqual([]);
        expect(requests).toEqual([url]);

        for (const kind of ['histogram', 'cosine', 'dims']) {
          await expect.poll(() => page.locator(`svg[data-chart="${kind}"]`).count()).toBe(plotted);
        }
        expect(await page.locator('svg[data-chart="heatmap"]').count()).toBe(1);
        // Batch invariance: a chart where padding changed a vector, "Bit-identical" where none did.
        const measured = report.backends.filter((b) => b.batchInvariance);
        expect(measured.length).toBe(3);
        const changed = measured.filter((b) => b.batchInvariance!.maxAbs > 0).length;
        expect(await page.locator('svg[data-chart="batch-invariance"]').count()).toBe(changed);
        expect(await page.locator('p.identical', { hasText: 'Bit-identical' }).count()).toBe(measured.length - changed);

        // "Does it matter?": after the backends table, one visible row per backend with vectors.
        const impact = page.locator('#impact');
        await expect.poll(() => impact.isVisible()).toBe(true);
        const impactRows = page.locator('table.impact tbody tr');
        expect(await impactRows.count()).toBe(measured.length);
        expect(await impactRows.locator('a.backend-name').allTextContents()).toEqual(measured.map((b) => b.name));
        const [backendsTop, impactTop] = [await page.locator('#backends').boundingBox(), await impact.boundingBox()];
        expect(impactTop!.y).toBeGreaterThan(backendsTop!.y);
        expect(await page.locator('table.impact').textContent()).toContain('information only');

        // The diagnosis is visible in the banner and in its backend's section.
        const tj = report.backends.find((b) => b.name === 'transformersjs-fp32')!;
        expect(tj.diagnosis?.length).toBeGreaterThan(0);
        // Other failing backends have diagnoses too (where it starts): the banner holds transformers.js's among them.
        const banner = await page.locator('header.banner .diag').allTextContents();
        expect(banner.some((d) => d.includes(tj.diagnosis![0]))).toBe(true);
        const callout = page.locator(`#backend-${report.backends.indexOf(tj)} .callout.diagnosis`);
        expect(await callout.isVisible()).toBe(true);
        expect(await callout.textContent()).toContain(tj.diagnosis![0]);
        for (const svg of await page.locator('svg[data-chart]').all()) {
          const box = await svg.boundingBox();
          expect(box && box.width > 200 && box.height > 100).toBe(true);
        }
        // Bars carry hover titles naming texts.
        expect(await page.locator('svg[data-chart="cosine"] rect title').count()).toBeGreaterThan(report.corpus.count);

        // Where the time went: the time to verdict line and one row per timed backend, as the terminal has them.
        const timing = page.locator('#timing');
        await timing.scrollIntoViewIfNeeded();
        expect(await timing.isVisible()).toBe(true);
        expect(await page.locator('p.time-to-verdict').textContent()).toBe(timingSummary(report)!.total);
        expect(await page.locator('table.timing tbody tr').count()).toBe(report.backends.filter((b) => b.timing).length);

        expect(await page.textContent('body')).toContain(XSS_TEXT);
        expect(await page.locator('img').count()).toBe(0);
        expect(await page.locator('script').count()).toBe(0);
        expect(await page.locator('text=<script>alert(2)</script>').count()).toBeGreaterThan(0);

        // junit.xml is well-formed for a real XML parser too.
        const junit = readFileSync(junitPath, 'utf8');
        const parseErrors = await page.evaluate((xml) => {
          const doc = new DOMParser().parseFromString(xml, 'application/xml');
          return doc.getElementsByTagName('parsererror').length;
        }, junit);
        expect(parseErrors).toBe(0);

        mkdirSync('reports', { recursive: true });
        await page.screenshot({ path: join(SCREENSHOT), fullPage: true });
        expect(existsSync(SCREENSHOT)).toBe(true);
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    120_000,
  );
});
