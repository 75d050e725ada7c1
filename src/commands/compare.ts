/** `parity compare GOLDEN.npy ACTUAL.npy`: the run's metrics for two vector files. */
import { diagnose } from '../compare/diagnosis.js';
import type { Metrics } from '../compare/metric-types.js';
import { DEFAULT_CHECKS } from '../config/checks.js';
import { InputError } from '../errors.js';
import { compareNpyFiles, type StreamCompareOptions } from '../compare/stream-compare.js';
import { compareTolerance, type Tolerance } from '../compare/tolerance.js';
import { judge, type Verdict } from '../compare/verdict.js';
import { readMetaBeside } from '../golden/golden.js';
import { readNpyInfo, readNpyRows } from '../npy/npy-reader.js';

export interface CompareOptions {
  atol?: number;
  rtol?: number;
  cosine?: number;
  mismatchRatio?: number;
  /** Worker threads (see compareNpyFiles); default 'auto': one per core up to 4, for large files only. */
  workers?: StreamCompareOptions['workers'];
  /** Rows per read; default DEFAULT_CHUNK_ROWS. */
  chunkRows?: number;
}

export interface CompareResult {
  status: 'pass' | 'fail';
  tolerance: Tolerance;
  metrics: Metrics;
  verdict: Verdict;
  /** The same plain-language diagnoses `run` attaches to a backend (compare/diagnosis.ts). */
  diagnosis: string[];
}

/** Text ids from the golden's .meta.json when it has one, so locations name texts, not row numbers. */
export function goldenIds(path: string, rows: number): string[] {
  try {
    const ids = readMetaBeside(path)?.meta.corpus?.ids;
    return Array.isArray(ids) && ids.length === rows ? ids.map(String) : [];
  } catch {
    // Ids only name locations; a broken meta must not stop a comparison of the vectors.
    return [];
  }
}

/** Streams both files (constant memory in their size); only the headers are read before comparing. */
export async function compareFiles(goldenPath: string, actualPath: string, options: CompareOptions): Promise<CompareResult> {
  const golden = readNpyInfo(goldenPath);
  const actual = readNpyInfo(actualPath);
  checkNotBothEmpty(golden.rows, actual.rows, goldenPath, actualPath);
  const tolerance = compareTolerance([golden.dtype, actual.dtype], options);
  const { metrics, details } = await compareNpyFiles(goldenPath, actualPath, tolerance, goldenIds(goldenPath, golden.rows), {
    workers: options.workers ?? 'auto',
    chunkRows: options.chunkRows,
  });
  const verdict = judge(metrics, tolerance);
  // As in `run`: diagnoses that look at the vectors get them while the files are small (up to the
  // downstream sample size); larger files get the ones that the per-row details decide.
  const sameShape = golden.rows === actual.rows && golden.dim === actual.dim;
  const small = sameShape && golden.rows <= DEFAULT_CHECKS.downstreamMaxN;
  const all = Array.from({ length: small ? golden.rows : 0 }, (_, k) => k);
  const context = small ? { golden: readNpyRows(goldenPath, all), actual: readNpyRows(actualPath, all) } : {};
  return { status: verdict.status, tolerance, metrics, verdict, diagnosis: diagnose(metrics, details, context) };
}

/**
 * The text `parity compare` prints: "PASS|FAIL: actual vs golden (shape)", one line per failed check,
 * then the torch-style summary and the diagnoses. The vitest matcher fails with exactly this text.
 */
export function renderCompareText(r: CompareResult, goldenLabel: string, actualLabel: string): string {
  const lines = [`${r.status.toUpperCase()}: ${actualLabel} vs ${goldenLabel} (${r.metrics.shape.join('×')})`];
  for (const reason of r.verdict.reasons) lines.push(`  ${reason}`);
  if (r.metrics.total) lines.push(r.verdict.message.replace(/^/gm, '  '));
  for (const d of r.diagnosis) lines.push(`  diagnosis: ${d}`);
  return lines.join('\n') + '\n';
}

/** Two 0-row arrays compare "equal" vacuously; that is never a pass, it is missing input (exit 2). */
export function checkNotBothEmpty(goldenRows: number, actualRows: number, goldenLabel: string, actualLabel: string): void {
  if (goldenRows === 0 && actualRows === 0) {
    throw new InputError(`${goldenLabel} and ${actualLabel} both hold 0 rows: nothing to compare — write one row per text to each file`);
  }
}
