/**
 * `parity report REPORT.json`: re-renders every format (HTML, JUnit, Markdown, JSON) from a saved
 * report.json, e.g. after a renderer changed, or from a report copied off a CI machine. Runs nothing.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { readReport } from '../report/read-report.js';
import { writeReportFiles } from '../report/write-all.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { reviveFields, reviveNumber } from '../io/non-finite-json.js';
import { isSweepJson, readSweep } from '../sweep/read.js';
import { renderSweepHtml, sweepToJson } from '../sweep/render.js';

/**
 * Re-renders report.json, report.html, junit.xml and summary.md into outDir (default: the report's
 * folder) — or, given a sweep.json (or a folder with only a sweep.json), sweep.json and sweep.html.
 */
export function rerenderReport(jsonPath: string, outDir?: string): string[] {
  let folder = resolve(jsonPath);
  let isDir = false;
  try {
    isDir = statSync(folder).isDirectory();
  } catch {
    /* readReport names the missing file */
  }
  if (!isDir) folder = dirname(folder);
  const out = outDir ? resolve(outDir) : folder;
  if (isSweepFile(jsonPath, isDir)) {
    const sweep = readSweep(jsonPath);
    const written = [join(out, 'sweep.json'), join(out, 'sweep.html')];
    writeFileAtomic(written[0], sweepToJson(sweep));
    writeFileAtomic(written[1], renderSweepHtml(sweep));
    return written;
  }
  return writeReportFiles(readReport(jsonPath), out);
}

/** A sweep when the file says so, or a folder holding a sweep.json and no report.json. */
function isSweepFile(path: string, isDir: boolean): boolean {
  if (isDir) return existsSync(join(path, 'sweep.json')) && !existsSync(join(path, 'report.json'));
  if (basename(path) === 'sweep.json') return true;
  try {
    return isSweepJson(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    return false; // unreadable or not JSON: readReport says which, in one line
  }
}
