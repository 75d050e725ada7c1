/**
 * Thresholds for the diagnosis checks that run beside the elementwise comparison. They are off by
 * default — the figures are always reported as information — and a backend that sets one fails when
 * its measurement is past it, with a reason naming the check.
 */
import { InputError } from '../errors.js';
import { SIMILARITY_FUNCTIONS, similarityName, type SimilarityName } from '../numeric/similarity.js';

export interface DownstreamThresholds {
  minTop1Overlap?: number;
  minTop5Overlap?: number;
  minTop10Overlap?: number;
  minSpearman?: number;
  maxPairwiseDelta?: number;
  maxRankFlips?: number;
}

export interface BatchInvarianceThresholds {
  /** Largest allowed |batched − alone| for any sampled text. */
  maxAbs?: number;
}

/**
 * Limits on the change since a baseline run (`parity run --baseline`). Without them drift is
 * reported as information only; past one, the backend fails even within its tolerance.
 */
export interface DriftLimits {
  /** Largest allowed growth of any compared metric, as a ratio (2 = may double). */
  maxGrowth?: number;
  /** Most elements of the vectors that may change at all (only when both runs kept vectors). */
  maxMoved?: number;
}

export interface ChecksConfig {
  /** Texts compared for downstream impact; larger corpora are sampled. 0 turns the check off. */
  downstreamMaxN: number;
  /** Texts embedded alone and in padded batches per backend. 0 turns the check off. */
  batchInvarianceSample: number;
  /** Most texts whose per-text figures and texts go into report.json; above it, the worst ones only. */
  reportRows: number;
  /** Ranks downstream impact by this instead of the model's similarity_fn_name (absent: the model's, else cosine). */
  similarity?: SimilarityName;
}

export const DEFAULT_CHECKS: ChecksConfig = { downstreamMaxN: 5000, batchInvarianceSample: 15, reportRows: 10000 };

const DOWNSTREAM_KEYS: (keyof DownstreamThresholds)[] = ['minTop1Overlap', 'minTop5Overlap', 'minTop10Overlap', 'minSpearman', 'maxPairwiseDelta', 'maxRankFlips'];

function numbers<T extends object>(raw: unknown, keys: readonly string[], file: string, path: string): T | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InputError(`${file}: "${path}" must be an object with any of ${keys.join(', ')}`);
  for (const [key, value] of Object.entries(raw)) {
    if (!keys.includes(key)) throw new InputError(`${file}: unknown key "${path}.${key}" (allowed: ${keys.join(', ')})`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InputError(`${file}: "${path}.${key}" must be a number >= 0, got ${JSON.stringify(value)}`);
    }
  }
  return raw as T;
}

export const parseDownstreamThresholds = (raw: unknown, file: string, path: string) => numbers<DownstreamThresholds>(raw, DOWNSTREAM_KEYS, file, path);
export const parseBatchInvarianceThresholds = (raw: unknown, file: string, path: string) => numbers<BatchInvarianceThresholds>(raw, ['maxAbs'], file, path);

export function parseDriftLimits(raw: unknown, file: string, path: string): DriftLimits | undefined {
  const limits = numbers<DriftLimits>(raw, ['maxGrowth', 'maxMoved'], file, path);
  if (limits?.maxGrowth !== undefined && limits.maxGrowth < 1) throw new InputError(`${file}: "${path}.maxGrowth" must be a ratio >= 1 (2 lets a metric double), got ${limits.maxGrowth}`);
  if (limits?.maxMoved !== undefined && !Number.isInteger(limits.maxMoved)) throw new InputError(`${file}: "${path}.maxMoved" must be a whole number of elements, got ${limits.maxMoved}`);
  return limits;
}

export function parseChecks(raw: unknown, file: string): ChecksConfig {
  let similarity: SimilarityName | undefined;
  if (raw && typeof raw === 'object' && !Array.isArray(raw) && 'similarity' in raw) {
    const { similarity: name, ...rest } = raw as Record<string, unknown>;
    const parsed = similarityName(name);
    if (!parsed) throw new InputError(`${file}: "checks.similarity" must be one of ${SIMILARITY_FUNCTIONS.join(', ')}, got ${JSON.stringify(name)}`);
    similarity = parsed;
    raw = rest;
  }
  const given = numbers<Partial<ChecksConfig>>(raw, [...Object.keys(DEFAULT_CHECKS), 'similarity'], file, 'checks') ?? {};
  for (const [key, value] of Object.entries(given)) {
    if (!Number.isInteger(value)) throw new InputError(`${file}: "checks.${key}" must be a whole number of texts, got ${value}`);
  }
  return { ...DEFAULT_CHECKS, ...given, ...(similarity ? { similarity } : {}) };
}

/** Reasons a backend's downstream figures fail its thresholds (empty when none is set or all hold). */
export function downstreamReasons(d: { top1Overlap: number; top5Overlap: number; top10Overlap: number; spearman: number; maxPairwiseDelta: number; rankFlips: number }, t: DownstreamThresholds | undefined): string[] {
  if (!t) return [];
  const out: string[] = [];
  const min = (value: number, limit: number | undefined, what: string) => {
    if (limit !== undefined && !(value >= limit)) out.push(`downstream: ${what} ${value.toPrecision(4)} below ${limit}`);
  };
  min(d.top1Overlap, t.minTop1Overlap, 'top-1 neighbour overlap');
  min(d.top5Overlap, t.minTop5Overlap, 'top-5 neighbour overlap');
  min(d.top10Overlap, t.minTop10Overlap, 'top-10 neighbour overlap');
  min(d.spearman, t.minSpearman, 'spearman of pairwise similarities');
  if (t.maxPairwiseDelta !== undefined && !(d.maxPairwiseDelta <= t.maxPairwiseDelta)) {
    out.push(`downstream: a pairwise similarity changed by ${d.maxPairwiseDelta.toPrecision(3)} (> ${t.maxPairwiseDelta})`);
  }
  if (t.maxRankFlips !== undefined && !(d.rankFlips <= t.maxRankFlips)) out.push(`downstream: ${d.rankFlips} neighbour rank flips (> ${t.maxRankFlips})`);
  return out;
}
