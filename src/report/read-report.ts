/**
 * Reads a saved report.json back into a Report: checks its schema version and shape (one clear
 * line on what is wrong and how to fix it) and turns the "NaN"/"Infinity" strings report.json
 * stores back into numbers. Used by `parity report` and `parity merge`.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { REPORT_SCHEMA_VERSION, type Report } from './report.js';
import { reviveFields, reviveNumber } from '../io/non-finite-json.js';

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
