/**
 * A diagnosis as a claim: what was seen, the cause it names (none for a plain observation), the
 * evidence it rests on and how sure it is. Kept apart from the detectors so that reports and the
 * fault-zoo test read one shape.
 */

/** Causes a diagnosis can name; each is one fault a person can go and fix. */
export type Cause =
  | 'shape'
  | 'no-output'
  | 'overflow'
  | 'normalization'
  | 'scale'
  | 'pooling'
  | 'masking'
  | 'attention-mask'
  | 'truncation'
  | 'special-tokens'
  | 'tokenization'
  | 'token-type-ids'
  | 'position-ids'
  | 'long-sequence'
  | 'dimension-order'
  | 'model-revision';

/**
 * - confirmed: a test of the hypothesis passed (token ids compared, rows renormalized, texts
 *   re-embedded under the fault, dimensions matched, weights hashes differ);
 * - likely: the pattern fits and the evidence rules out the usual alternatives;
 * - possible: the pattern fits, nothing tested it;
 * - observed: what was seen, with no cause named.
 */
export type Confidence = 'confirmed' | 'likely' | 'possible' | 'observed';

export interface Finding {
  cause: Cause | null;
  confidence: Confidence;
  /** What was seen, and the cause or candidates in words a person can act on. */
  text: string;
  /** What the claim rests on. */
  evidence: string;
}

/** One report line: the text, then how sure and on what evidence. */
export function formatFinding(f: Finding): string {
  return `${f.text} [${f.confidence}: ${f.evidence}]`;
}
