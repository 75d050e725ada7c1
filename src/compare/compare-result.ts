/**
 * What comparing two vector sets (files for `parity compare`, arrays for the JS API's compareVectors)
 * takes and gives back, and the one input rule both share.
 */
import { InputError } from '../errors.js';
import type { Metrics } from './metric-types.js';
import type { StreamCompareOptions } from './stream-compare.js';
import type { Tolerance } from './tolerance.js';
import type { Verdict } from './verdict.js';

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

/** Two 0-row arrays compare "equal" vacuously; that is never a pass, it is missing input (exit 2). */
export function checkNotBothEmpty(goldenRows: number, actualRows: number, goldenLabel: string, actualLabel: string): void {
  if (goldenRows === 0 && actualRows === 0) {
    throw new InputError(`${goldenLabel} and ${actualLabel} both hold 0 rows: nothing to compare — write one row per text to each file`);
  }
}
