/**
 * The diagnosis checks `run` adds to every backend that produced vectors: batch invariance (needs
 * the open backend), downstream impact and named diagnoses (need the vectors, read back from disk
 * so the run itself stays streaming; corpora above `downstreamMaxN` texts are sampled).
 */
import type { Backend } from '../backends/backend.js';
import type { Matrix } from '../numeric/matrix.js';
import { diagnose } from '../compare/diagnosis.js';
import { downstreamImpact, sampleRows, type DownstreamImpact } from '../compare/downstream.js';
import type { Comparison } from '../compare/metric-types.js';
import { describeCause } from '../errors.js';
import { NpyRowReader } from '../npy/npy-reader.js';
import type { BatchInvarianceResult } from '../compare/batch-invariance.js';
import { measureBatchInvariance } from './batch-invariance.js';
import type { BackendSession } from './session.js';

/** Batch invariance through a session; null (with the reason in `problems`) when it cannot be measured. */
export async function batchInvarianceFor(
  session: BackendSession,
  deadline: number,
  texts: readonly string[],
  ids: readonly string[],
  lengths: readonly number[] | undefined,
  sample: number,
  batchSize: number,
  problems: string[],
): Promise<BatchInvarianceResult | null> {
  if (sample <= 0 || batchSize < 2 || texts.length < 2) return null;
  const asBackend = { name: session.name, embed: (t: readonly string[]) => session.embed(t, deadline) } as Backend;
  try {
    return await measureBatchInvariance(asBackend, texts, ids, { sample, batchSize, lengths });
  } catch (error) {
    problems.push(`batch invariance not measured: ${describeCause(error)}`);
    return null;
  }
}

/** Rows of an .npy file, in the order given, as one matrix. */
function readRows(path: string, rows: readonly number[]): Matrix {
  const reader = new NpyRowReader(path, { chunkRows: 1 });
  try {
    const dim = reader.dim;
    const data = reader.info.dtype === '<f8' ? new Float64Array(rows.length * dim) : new Float32Array(rows.length * dim);
    rows.forEach((r, k) => data.set(reader.read(r, 1), k * dim));
    return { rows: rows.length, dim, data };
  } finally {
    reader.close();
  }
}

/**
 * Downstream impact and diagnoses for one backend. `goldenRowOf` maps a row of the run (a shard's
 * row k) to its golden row.
 */
export function downstreamAndDiagnosis(
  vectorsPath: string,
  goldenPath: string,
  goldenRowOf: (k: number) => number,
  total: number,
  comparison: Comparison,
  lengths: readonly number[] | undefined,
  maxN: number,
  problems: string[],
): { downstream: DownstreamImpact | null; diagnosis: string[] } {
  const sampled = total > maxN;
  const picked = sampled ? sampleRows(total, maxN, 1) : Array.from({ length: total }, (_, k) => k);
  let golden: Matrix | null = null;
  let actual: Matrix | null = null;
  let downstream: DownstreamImpact | null = null;
  try {
    golden = readRows(goldenPath, picked.map(goldenRowOf));
    actual = readRows(vectorsPath, picked);
    if (maxN > 0 && total >= 2) {
      const d = downstreamImpact(golden, actual, { maxN: picked.length });
      // Positions within the sample back to rows of the run, so the report names the right texts.
      const at = d.maxPairwiseDeltaAt ? { i: picked[d.maxPairwiseDeltaAt.i], j: picked[d.maxPairwiseDeltaAt.j] } : null;
      downstream = { ...d, maxPairwiseDeltaAt: at, rows: total, sampled };
    }
  } catch (error) {
    problems.push(`downstream impact not measured: ${describeCause(error)}`);
  }
  // Diagnoses that look at the vectors need every row in run order; sampled runs get the rest.
  const context = !sampled && golden && actual ? { golden, actual, lengths } : { lengths };
  return { downstream, diagnosis: diagnose(comparison.metrics, comparison.details, context) };
}
