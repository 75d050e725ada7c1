/**
 * report.html in a real browser (headless Chromium through playwright-core): no console errors, no
 * network, every chart drawn, the XSS corpus line shown as text. Saves reports/report-html.png.
 * CI installs Chromium (`apt-get install -y chromium`); without /usr/bin/chromium this test skips.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeReportFiles } from '../src/report/write-all.js';
import { pipelineReport, XSS_TEXT } from './report-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const SCREENSHOT = 'reports/report-html.png';
const temps: string[] = [];

afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe('report.html in headless Chromium', () => {
  it.skipIf(!hasChromium)(
    hasChromium ? 'renders offline with every chart, no console errors, and the XSS line as text' : `skipped: ${CHROMIUM} not found (apt-get install -y chromium)`,
    async () => {
      const { report, outDir } = await pipelineReport();
      temps.push(outDir);
      const [, htmlPath, junitPath] = writeReportFiles(report, outDir);
      const plotted = report.backends.filter((b) => b.details && b.metrics && b.metrics.maxAbs > 0).length;
      expect(plotted).toBeGreaterThan(0);

      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
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
        for (const svg of await page.locator('svg[data-chart]').all()) {
          const box = await svg.boundingBox();
          expect(box && box.width > 200 && box.height > 100).toBe(true);
        }
        // Bars carry hover titles naming texts.
        expect(await page.locator('svg[data-chart="cosine"] rect title').count()).toBeGreaterThan(report.corpus.count);

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
