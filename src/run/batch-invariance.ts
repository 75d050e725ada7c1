/**
 * Batch invariance, the measuring part: embeds a sample of texts alone (backend.embed([text]), a batch
 * of one: no padding) and again inside batches that each start with the corpus's longest text, so
 * every batch is padded to (nearly) the longest length and short texts sit next to hundreds of pad
 * tokens. The comparison is compare/batch-invariance.ts.
 *
 * The backend must already be open, with the batch size given here; each batched call holds exactly
 * one batch, [longest, s1, ..., s(batchSize-1)].
 */
import type { Backend } from '../backends/backend.js';
import type { Matrix } from '../numeric/matrix.js';
import { compareBatchInvariance, type BatchInvarianceResult } from '../compare/batch-invariance.js';
import { BackendError, describeCause, InputError } from '../errors.js';
import type { BackendSession } from './session.js';
import { DEFAULT_CHECKS } from '../config/checks.js';

export interface BatchInvarianceOptions {
  /** Texts to sample (default: checks.batchInvarianceSample's): spread evenly over the corpus sorted by length, shortest first. */
  sample?: number;
  /** The batch size the backend was opened with; at least 2. */
  batchSize: number;
  /** Token count per text (e.g. tokenizer.encode(t).ids.length); default: character length. */
  lengths?: readonly number[];
}

export const BATCH_INVARIANCE_DEFAULT_SAMPLE = DEFAULT_CHECKS.batchInvarianceSample;

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
  // A wrong shape is the backend's fault, as in run.ts; the harness's inputs were fine.
  const wrongShape = (out: Matrix, count: number) => new BackendError(backend.name, `returned ${out.rows}×${out.dim} for ${count} text${count === 1 ? '' : 's'} of dim ${dim}`);
  for (const m of aloneRows) if (m.rows !== 1 || m.dim !== dim) throw wrongShape(m, 1);
  const alone: Matrix = { rows: sampleRows.length, dim, data: new Float64Array(sampleRows.length * dim) };
  aloneRows.forEach((m, k) => alone.data.set(m.data.subarray(0, dim), k * dim));

  // Batched: [longest, s1, ..., s(B-1)], one call per batch — backends may reorder texts within a
  // call (by length), so only a call of at most batchSize texts pins the batch's composition.
  const perBatch = batchSize - 1;
  const batched: Matrix = { rows: sampleRows.length, dim, data: new Float64Array(sampleRows.length * dim) };
  let batches = 0;
  for (let k = 0; k < sampleRows.length; k += perBatch) {
    const members = sampleRows.slice(k, k + perBatch);
    const list = [texts[longest], ...members.map((r) => texts[r])];
    const out = await backend.embed(list);
    batches++;
    if (out.rows !== list.length || out.dim !== dim) {
      throw wrongShape(out, list.length);
    }
    members.forEach((_, m) => batched.data.set(out.data.subarray((m + 1) * dim, (m + 2) * dim), (k + m) * dim));
  }

  const result = compareBatchInvariance(alone, batched, sampleRows, ids, lengths);
  return {
    ...result,
    batchSize,
    sampleRows,
    longest: { row: longest, id: ids[longest] ?? String(longest), length: lengths[longest] },
    batches,
    lengthUnit: options.lengths ? 'tokens' : 'characters',
  };
}

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
