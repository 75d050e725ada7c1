/** Writes every report format into a folder (each file atomically) and appends the GitHub step summary. */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { renderHtml } from './html.js';
import { reportToJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import type { Report } from './report.js';

export const REPORT_FILES = { json: 'report.json', html: 'report.html', junit: 'junit.xml', markdown: 'summary.md' } as const;

/** Writes report.json, report.html, junit.xml and summary.md into outDir; returns their paths in that order. */
export function writeReportFiles(report: Report, outDir: string): string[] {
  const files: [string, string][] = [
    [REPORT_FILES.json, reportToJson(report)],
    [REPORT_FILES.html, renderHtml(report)],
    [REPORT_FILES.junit, renderJunit(report)],
    [REPORT_FILES.markdown, renderMarkdown(report)],
  ];
  return files.map(([name, contents]) => {
    const path = join(outDir, name);
    writeFileAtomic(path, contents);
    return path;
  });
}

/** Writes report.json alone (again, after the run added how long writing every file took). */
export function writeReportJson(report: Report, outDir: string): string {
  const path = join(outDir, REPORT_FILES.json);
  writeFileAtomic(path, reportToJson(report));
  return path;
}

/**
 * Appends the Markdown summary to the file GitHub Actions names in GITHUB_STEP_SUMMARY; does nothing
 * elsewhere. Returns the file written to, or null.
 */
export function appendStepSummary(report: Report, env: NodeJS.ProcessEnv = process.env): string | null {
  const path = env.GITHUB_STEP_SUMMARY;
  if (!path) return null;
  appendFileSync(path, renderMarkdown(report) + '\n');
  return path;
}
