/**
 * `parity report REPORT.json`: re-renders every format (HTML, JUnit, Markdown, JSON) from a saved
 * report.json, e.g. after a renderer changed, or from a report copied off a CI machine. Runs nothing.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { REPORT_SCHEMA_VERSION, type Report } from '../report/report.js';
import { writeReportFiles } from '../report/write-all.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { reviveFields, reviveNumber } from '../io/non-finite-json.js';
import { isSweepJson, readSweep } from '../sweep/read.js';
import { renderSweepHtml, sweepToJson } from '../sweep/render.js';

const HOW = 'pass the report.json that `parity run --out DIR` wrote (DIR/report.json), or run `parity run` again to make one';

/** Reads and checks a report.json; "NaN"/"Infinity" strings (how report.json stores them) become numbers again. */
export function readReport(jsonPath: string): Report {
  let path = resolve(jsonPath);
  try {
    if (statSync(path).isDirectory()) path = join(path, 'report.json');
  } catch {
    /* reported below */
  }
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read report ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(error))} — ${HOW}`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (error) {
    throw new InputError(`${path} is not valid JSON (${(error as Error).message}) — ${HOW}`, { cause: error });
  }
  const report = validate(data, path);
  reviveNumbers(report);
  return report;
}

function validate(data: unknown, path: string): Report {
  const fail = (what: string): never => {
    throw new InputError(`${path} is not a parity report: ${what} — ${HOW}`);
  };
  if (typeof data !== 'object' || data === null || Array.isArray(data)) fail('expected a JSON object');
  const r = data as Record<string, unknown>;
  if (r.schemaVersion === undefined) fail('it has no "schemaVersion"');
  if (r.schemaVersion !== REPORT_SCHEMA_VERSION) {
    const v = Number(r.schemaVersion);
    throw new InputError(
      `${path} has report schema version ${JSON.stringify(r.schemaVersion)}; this parity reads version ${REPORT_SCHEMA_VERSION} — ` +
        (v > REPORT_SCHEMA_VERSION ? 'upgrade parity to render it' : 'run `parity run` again with this parity to regenerate it'),
    );
  }
  if (typeof r.verdict !== 'string') fail('"verdict" must be a string');
  if (typeof r.createdAt !== 'string') fail('"createdAt" must be a string');
  if (!Array.isArray(r.backends)) fail('"backends" must be an array');
  (r.backends as unknown[]).forEach((b, i) => {
    const o = b as Record<string, unknown> | null;
    if (typeof o !== 'object' || o === null) fail(`backends[${i}] must be an object`);
    if (typeof o!.name !== 'string') fail(`backends[${i}].name must be a string`);
    if (typeof o!.status !== 'string') fail(`backends[${i}].status must be a string`);
    if (!Array.isArray(o!.reasons)) o!.reasons = o!.reason ? [o!.reason] : [];
  });
  const corpus = r.corpus as Record<string, unknown> | undefined;
  if (typeof corpus !== 'object' || corpus === null || !Array.isArray(corpus.ids)) fail('"corpus.ids" must be an array');
  if (corpus!.texts !== undefined && !Array.isArray(corpus!.texts)) fail('"corpus.texts" must be an array when present');
  const golden = r.golden as Record<string, unknown> | undefined;
  if (typeof golden !== 'object' || golden === null || typeof golden.path !== 'string') fail('"golden.path" must be a string');
  if (r.pairwise === undefined || r.pairwise === null) r.pairwise = { names: [], maxAbs: [] };
  if (!Array.isArray(r.warnings)) r.warnings = [];
  if (typeof r.packages !== 'object' || r.packages === null) r.packages = {};
  if (!Array.isArray(r.command)) r.command = [];
  return data as Report;
}

/** Numeric fields in place: only where the schema has numbers, so an id or text "NaN" stays a string. */
function reviveNumbers(report: Report): void {
  for (const d of report.baseline?.backends ?? []) {
    for (const m of d.metrics ?? []) reviveFields(m as unknown as Record<string, unknown>, ['key']);
    reviveFields(d.moves as unknown as Record<string, unknown>, ['maxMoveAt']);
    reviveFields(d.moves?.maxMoveAt as unknown as Record<string, unknown>, ['id']);
  }
  const p = report.pairwise as { maxAbs?: unknown[][] };
  if (Array.isArray(p.maxAbs)) p.maxAbs = p.maxAbs.map((row) => (Array.isArray(row) ? row.map(reviveNumber) : row));
  for (const b of report.backends) {
    reviveFields(b.tolerance as unknown as Record<string, unknown>);
    reviveFields(b.timing as unknown as Record<string, unknown>);
    const m = b.metrics as unknown as Record<string, unknown> | null;
    if (m) {
      reviveFields(m, ['shape', 'goldenShape', 'maxAbsAt', 'cosineDeltaMaxAt', 'normDeltaMaxAt']);
      reviveFields(m.maxAbsAt as Record<string, unknown>, ['id']);
      reviveFields(m.cosineDeltaMaxAt as Record<string, unknown>, ['id']);
      reviveFields(m.normDeltaMaxAt as Record<string, unknown>, ['id']);
    }
    const d = b.details as unknown as Record<string, unknown> | null;
    if (d) {
      for (const k of ['cosineDelta', 'rowMaxAbs', 'normDelta', 'dimMaxAbs']) if (Array.isArray(d[k])) d[k] = (d[k] as unknown[]).map(reviveNumber);
      if (Array.isArray(d.worst)) for (const e of d.worst) reviveFields(e as Record<string, unknown>, ['id']);
    }
    const ds = b.downstream as unknown as Record<string, unknown> | null | undefined;
    if (ds) reviveFields(ds, ['maxPairwiseDeltaAt']);
    const bi = b.batchInvariance as unknown as Record<string, unknown> | null | undefined;
    if (bi) {
      reviveFields(bi, ['worstText', 'perText', 'sampleRows', 'longest', 'lengthUnit']);
      reviveFields(bi.worstText as Record<string, unknown>, ['id']);
      if (Array.isArray(bi.perText)) for (const t of bi.perText) reviveFields(t as Record<string, unknown>, ['id']);
    }
  }
}

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
