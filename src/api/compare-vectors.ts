/**
 * compareVectors: the `parity compare` verdict for vectors held in memory (or .npy paths), synchronous,
 * for a JS test or script. Same metrics, same default tolerances, same torch-style message as the CLI.
 */
import { compareMatrices } from '../compare/metrics.js';
import { compareTolerance } from '../compare/tolerance.js';
import { judge } from '../compare/verdict.js';
import { diagnose } from '../compare/diagnosis.js';
import { checkNotBothEmpty, type CompareOptions, type CompareResult } from '../compare/compare-result.js';
import { goldenIds } from '../golden/golden.js';
import { loadVectors, type VectorsInput } from './vectors.js';

export interface CompareVectorsOptions extends Omit<CompareOptions, 'workers' | 'chunkRows'> {
  /** Text ids for the rows, so locations name texts; default: the golden .npy's .meta.json ids, else row numbers. */
  ids?: readonly string[];
}

export interface VectorsCompareResult extends CompareResult {
  goldenLabel: string;
  actualLabel: string;
}

export function compareVectors(golden: VectorsInput, actual: VectorsInput, options: CompareVectorsOptions = {}): VectorsCompareResult {
  const g = loadVectors(golden, 'golden');
  const a = loadVectors(actual, 'actual');
  checkNotBothEmpty(g.rows, a.rows, `golden ${g.label}`, `actual ${a.label}`);
  const tolerance = compareTolerance([g.dtype, a.dtype], options);
  const ids = options.ids ?? (typeof golden === 'string' ? goldenIds(golden, g.rows) : []);
  const { metrics, details } = compareMatrices(g, a, tolerance, ids);
  const verdict = judge(metrics, tolerance);
  // The vectors are in memory already, so every diagnosis that looks at them can (as `parity compare` on small files).
  const sameShape = g.rows === a.rows && g.dim === a.dim;
  const diagnosis = diagnose(metrics, details, sameShape ? { golden: g, actual: a } : {});
  return { status: verdict.status, tolerance, metrics, verdict, diagnosis, goldenLabel: g.label, actualLabel: a.label };
}
