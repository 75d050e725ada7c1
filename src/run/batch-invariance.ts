/**
 * Batch invariance, the measuring part: embeds a sample of texts alone (backend.embed([text]), a batch
 * of one: no padding) and again inside batches that each start with the corpus's longest text, so
 * every batch is padded to (nearly) the longest length and short texts sit next to hundreds of pad
 * tokens. The comparison is compare/batch-invariance.ts.
 *
 * The backend must already be open, with the batch size given here: the batched call relies on the
 * backend cutting its input into consecutive batches of exactly `batchSize` texts (as every
 * HiddenStateBackend does), so each batch is [longest, s1, ..., s(batchSize-1)].
 */
import type { Backend, Matrix } from '../backends/backend.js';
import { compareBatchInvariance, type BatchInvariance } from '../compare/batch-invariance.js';
import { InputError } from '../errors.js';

export interface BatchInvarianceOptions {
  /** Texts to sample (default 32): spread evenly over the corpus sorted by length, shortest first. */
  sample?: number;
  /** The batch size the backend was opened with; at least 2. */
  batchSize: number;
  /** Token count per text (e.g. tokenizer.encode(t).ids.length); default: character length. */
  lengths?: readonly number[];
}

export interface BatchInvarianceResult extends BatchInvariance {
  batchSize: number;
  /** Corpus rows of the sampled texts, in the order compared. */
  sampleRows: number[];
  /** The text every batch is padded against. */
  longest: { row: number; id: string; length: number };
  /** Batched calls' number of batches. */
  batches: number;
  /** Whether `lengths` were token counts (given) or character counts. */
  lengthUnit: 'tokens' | 'characters';
}

export const BATCH_INVARIANCE_DEFAULT_SAMPLE = 32;

/** `count` rows spread evenly over `rows` sorted by length (shortest first, ties by row), without `exclude`. */
export function sampleByLength(lengths: readonly number[], count: number, exclude: number): number[] {
  const order = lengths
    .map((_, r) => r)
    .filter((r) => r !== exclude)
    .sort((a, b) => lengths[a] - lengths[b] || a - b);
  if (count >= order.length) return order;
  if (count <= 1) return order.slice(0, Math.max(count, 0));
  const picked: number[] = [];
  for (let k = 0; k < count; k++) picked.push(order[Math.round((k * (order.length - 1)) / (count - 1))]);
  return [...new Set(picked)];
}

export async function measureBatchInvariance(
  backend: Backend,
  texts: readonly string[],
  ids: readonly string[],
  options: BatchInvarianceOptions,
): Promise<BatchInvarianceResult> {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 2) {
    throw new InputError(`batch invariance needs a batch size of at least 2 (got ${batchSize}): with 1 there is no padding to compare against`);
  }
  if (texts.length < 2) throw new InputError('batch invariance needs at least 2 texts');
  const lengths = options.lengths ?? texts.map((t) => t.length);
  let longest = 0;
  for (let r = 1; r < texts.length; r++) if (lengths[r] > lengths[longest]) longest = r;
  const sampleRows = sampleByLength(lengths, options.sample ?? BATCH_INVARIANCE_DEFAULT_SAMPLE, longest);

  // Alone: one text per call, so no other text shapes its batch.
  const aloneRows: Matrix[] = [];
  for (const r of sampleRows) aloneRows.push(await backend.embed([texts[r]]));
  const dim = aloneRows[0]?.dim ?? 0;
  const alone: Matrix = { rows: sampleRows.length, dim, data: new Float64Array(sampleRows.length * dim) };
  aloneRows.forEach((m, k) => alone.data.set(m.data.subarray(0, dim), k * dim));

  // Batched: [longest, s1, ..., s(B-1)], [longest, ...], ... in one call.
  const perBatch = batchSize - 1;
  const list: string[] = [];
  const position: number[] = []; // index in `list` of each sampled text
  for (let k = 0; k < sampleRows.length; k += perBatch) {
    list.push(texts[longest]);
    for (const r of sampleRows.slice(k, k + perBatch)) {
      position.push(list.length);
      list.push(texts[r]);
    }
  }
  const all = await backend.embed(list);
  if (all.rows !== list.length || all.dim !== dim) {
    throw new InputError(`backend ${backend.name} returned ${all.rows}×${all.dim} for ${list.length} texts of dim ${dim}`);
  }
  const batched: Matrix = { rows: sampleRows.length, dim, data: new Float64Array(sampleRows.length * dim) };
  position.forEach((p, k) => batched.data.set(all.data.subarray(p * dim, (p + 1) * dim), k * dim));

  const result = compareBatchInvariance(alone, batched, sampleRows, ids, lengths);
  return {
    ...result,
    batchSize,
    sampleRows,
    longest: { row: longest, id: ids[longest] ?? String(longest), length: lengths[longest] },
    batches: Math.ceil(list.length / batchSize),
    lengthUnit: options.lengths ? 'tokens' : 'characters',
  };
}
