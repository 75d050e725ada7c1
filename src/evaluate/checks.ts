/**
 * Downstream impact and named diagnoses of one backend, from its vectors and the golden on disk
 * (read back, so the run itself stays streaming; corpora above `downstreamMaxN` texts are sampled,
 * with the one seed DOWNSTREAM_SAMPLE_SEED, so `run` and `merge` pick the same rows).
 */
import type { Matrix } from '../numeric/matrix.js';
import { diagnose, type DiagnosisContext } from '../compare/diagnosis.js';
import type { HypothesisVectors } from '../compare/hypothesis-match.js';
import { DOWNSTREAM_SAMPLE_SEED, downstreamImpact, sampleRows, type DownstreamImpact, type SimilaritySource } from '../compare/downstream.js';
import type { SimilarityName } from '../numeric/similarity.js';
import type { Comparison } from '../compare/metric-types.js';
import { describeCause } from '../errors.js';
import { readNpyRows } from '../npy/npy-reader.js';
import { worstRows } from '../compare/worst-rows.js';

/** What the diagnoses may use besides the vectors (built above evaluate/, which runs no model). */
export interface DiagnosisEvidence {
  /** Who tokenized the texts for a backend of this runtime (undefined: not known, as for `file`). */
  tokenizedBy(runtime: string): DiagnosisContext['tokenizedBy'];
  /** The given rows (the worst of a failing backend) re-embedded under each suspected fault; [] when the model cannot be. */
  hypotheses?(rows: readonly number[]): HypothesisVectors[];
}

/** Rows re-embedded under the suspected faults for a failing backend. */
export const HYPOTHESIS_ROWS = 4;

/** The similarity downstream impact ranks by, and where it came from. */
export interface RankingSimilarity {
  name: SimilarityName;
  source: SimilaritySource;
}

/** The config's checks.similarity, else the model's similarity_fn_name, else cosine (sentence-transformers' default). */
export function rankingSimilarity(override: SimilarityName | undefined, model: SimilarityName | null | undefined): RankingSimilarity {
  if (override) return { name: override, source: 'checks.similarity' };
  if (model) return { name: model, source: 'config_sentence_transformers.json' };
  return { name: 'cosine', source: 'default' };
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
  similarity: RankingSimilarity = { name: 'cosine', source: 'default' },
  why: { runtime: string; evidence?: DiagnosisEvidence } = { runtime: '' },
): { downstream: DownstreamImpact | null; diagnosis: string[] } {
  const sampled = total > maxN;
  const picked = sampled ? sampleRows(total, maxN, DOWNSTREAM_SAMPLE_SEED) : Array.from({ length: total }, (_, k) => k);
  let golden: Matrix | null = null;
  let actual: Matrix | null = null;
  let downstream: DownstreamImpact | null = null;
  try {
    golden = readNpyRows(goldenPath, picked.map(goldenRowOf));
    actual = readNpyRows(vectorsPath, picked);
    if (maxN > 0 && total >= 2) {
      const d = downstreamImpact(golden, actual, { maxN: picked.length, similarity: similarity.name });
      // Positions within the sample back to rows of the run, so the report names the right texts.
      const at = d.maxPairwiseDeltaAt ? { i: picked[d.maxPairwiseDeltaAt.i], j: picked[d.maxPairwiseDeltaAt.j] } : null;
      downstream = { ...d, similaritySource: similarity.source, maxPairwiseDeltaAt: at, rows: total, sampled };
    }
  } catch (error) {
    problems.push(`downstream impact not measured: ${describeCause(error)}`);
  }
  // Diagnoses that look at the vectors need every row in run order; sampled runs get the rest.
  const context: DiagnosisContext = !sampled && golden && actual ? { golden, actual, lengths } : { lengths };
  const tokenizedBy = why.evidence?.tokenizedBy(why.runtime);
  if (tokenizedBy) context.tokenizedBy = tokenizedBy;
  // Test the suspected faults instead of guessing: only for a failing backend whose vectors are at hand.
  if (context.actual && why.evidence?.hypotheses && comparison.metrics.mismatches > 0) {
    try {
      context.hypotheses = why.evidence.hypotheses(worstRows(comparison.details.rowMaxAbs, HYPOTHESIS_ROWS));
    } catch (error) {
      problems.push(`suspected faults not re-embedded: ${describeCause(error)}`);
    }
  }
  return { downstream, diagnosis: diagnose(comparison.metrics, comparison.details, context) };
}
