/**
 * The programmatic API of embedding-parity: what the CLI does, callable from a script or a test.
 *
 *   import { compareVectors, run } from 'embedding-parity';
 *   const r = compareVectors('golden.npy', myVectors, { atol: 1e-5, cosine: 1e-6 });
 *   if (r.status === 'fail') console.log(r.verdict.message);
 *   const { report } = await run({ config: 'parity.config.json' });
 *
 * Errors are the CLI's classes: InputError (bad input: fix what the message names) and BackendError;
 * a parity failure is a result (status 'fail'), never thrown. For vitest, `import 'embedding-parity/vitest'` adds expect(...).toMatchGolden().
 */
import { resolve } from 'node:path';
import { runParity, type RunOptions, type RunResult } from './run/run.js';

export { compareVectors, type CompareVectorsOptions, type VectorsCompareResult } from './api/compare-vectors.js';
export { loadVectors, type VectorsInput, type LoadedVectors } from './api/vectors.js';
export { compareFiles, renderCompareText } from './commands/compare.js';
export type { CompareOptions, CompareResult } from './compare/compare-result.js';
export { makeGolden, type GoldenOptions } from './commands/golden.js';
export { initProject, type InitOptions, type InitResult } from './init/init.js';
export { loadConfig, type ParityConfig, type BackendConfig, type Precision } from './config/config.js';
export { DEFAULT_TOLERANCE, type Tolerance } from './compare/tolerance.js';
export { judge, torchStyleMessage, type Verdict } from './compare/verdict.js';
export type { Metrics } from './compare/metric-types.js';
export type { Report, BackendReport, BackendStatus } from './report/report.js';
export { diffRuns, readBaseline, type Baseline } from './baseline/apply.js';
export type { BaselineDiff, BackendDrift, MetricChange, EnvironmentChange } from './baseline/diff-types.js';
export type { Matrix } from './numeric/matrix.js';
export { readNpy, writeNpy, type NpyMatrix } from './npy/npy.js';
export { ParityError, InputError, BackendError } from './errors.js';
export type { RunOptions, RunResult };

export interface RunApiOptions extends Partial<Omit<RunOptions, 'out'>> {
  /** Report folder (default reports/latest, relative to the working directory like the CLI's --out). */
  out?: string;
}

/**
 * `parity run`: embeds the corpus on the config's backends (default ./parity.config.json), compares
 * each to the golden and writes the report files. `result.report.verdict` is 'pass', 'fail' or
 * 'error'; the CLI's exit code is 0, 1 or 2 for those.
 */
export async function run(options: RunApiOptions = {}): Promise<RunResult> {
  return runParity({ ...options, out: resolve(options.out ?? 'reports/latest') });
}
