/**
 * The similarity functions a sentence-transformers model may declare (`similarity_fn_name` in
 * config_sentence_transformers.json) that rank single vectors: SimilarityFunction's cosine, dot,
 * euclidean and manhattan ("dot_product" is read as dot, as its enum aliases it). The late-interaction
 * maxsim family scores token matrices, not vectors, and is not among them.
 */
export const SIMILARITY_FUNCTIONS = ['cosine', 'dot', 'euclidean', 'manhattan'] as const;
export type SimilarityName = (typeof SIMILARITY_FUNCTIONS)[number];

/** The name as sentence-transformers spells it, or null when it is none of the four. */
export function similarityName(raw: unknown): SimilarityName | null {
  if (raw === 'dot_product') return 'dot';
  return (SIMILARITY_FUNCTIONS as readonly unknown[]).includes(raw) ? (raw as SimilarityName) : null;
}
