/** `parity compare GOLDEN.npy ACTUAL.npy`: the run's metrics for two vector files. */
import { diagnose } from '../compare/diagnosis.js';
import { checkNotBothEmpty, type CompareOptions, type CompareResult } from '../compare/compare-result.js';
import { DEFAULT_CHECKS } from '../config/checks.js';
import { compareNpyFiles } from '../compare/stream-compare.js';
import { compareTolerance } from '../compare/tolerance.js';
import { judge } from '../compare/verdict.js';
import { goldenIds } from '../golden/golden.js';
import { readNpyInfo, readNpyRows } from '../npy/npy-reader.js';

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
