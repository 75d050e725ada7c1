/** `parity compare GOLDEN.npy ACTUAL.npy`: the run's metrics for two vector files. */
import { existsSync, readFileSync } from 'node:fs';
import type { Metrics } from '../compare/metrics.js';
import { compareNpyFiles, type StreamCompareOptions } from '../compare/stream-compare.js';
import { DEFAULT_TOLERANCE, type Tolerance } from '../compare/tolerance.js';
import { judge, type Verdict } from '../compare/verdict.js';
import { metaPathFor } from '../golden/golden.js';
import { readNpyInfo } from '../npy/npy-reader.js';

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
}

/** Text ids from the golden's .meta.json when it has one, so locations name texts, not row numbers. */
export function goldenIds(path: string, rows: number): string[] {
  const metaPath = metaPathFor(path);
  if (!existsSync(metaPath)) return [];
  try {
    const ids = JSON.parse(readFileSync(metaPath, 'utf8'))?.corpus?.ids;
    return Array.isArray(ids) && ids.length === rows ? ids.map(String) : [];
  } catch {
    return [];
  }
}

/** Streams both files (constant memory in their size); only the headers are read before comparing. */
export async function compareFiles(goldenPath: string, actualPath: string, options: CompareOptions): Promise<CompareResult> {
  const golden = readNpyInfo(goldenPath);
  const actual = readNpyInfo(actualPath);
  // Defaults follow the less precise of the two files, like torch.testing picks by dtype.
  const base = golden.dtype === '<f2' || actual.dtype === '<f2' ? DEFAULT_TOLERANCE.fp16 : DEFAULT_TOLERANCE.fp32;
  const tolerance: Tolerance = {
    atol: options.atol ?? base.atol,
    rtol: options.rtol ?? base.rtol,
    mismatchRatio: options.mismatchRatio ?? base.mismatchRatio,
    ...(options.cosine !== undefined ? { cosine: options.cosine } : {}),
  };
  const { metrics } = await compareNpyFiles(goldenPath, actualPath, tolerance, goldenIds(goldenPath, golden.rows), {
    workers: options.workers ?? 'auto',
    chunkRows: options.chunkRows,
  });
  const verdict = judge(metrics, tolerance);
  return { status: verdict.status, tolerance, metrics, verdict };
}

/**
 * The text `parity compare` prints: "PASS|FAIL: actual vs golden (shape)", one line per failed check,
 * then the torch-style summary. The vitest matcher fails with exactly this text.
 */
export function renderCompareText(r: CompareResult, goldenLabel: string, actualLabel: string): string {
  const lines = [`${r.status.toUpperCase()}: ${actualLabel} vs ${goldenLabel} (${r.metrics.shape.join('×')})`];
  for (const reason of r.verdict.reasons) lines.push(`  ${reason}`);
  if (r.metrics.total) lines.push(r.verdict.message.replace(/^/gm, '  '));
  return lines.join('\n') + '\n';
}
