/**
 * Turns tokenized texts into padded int64 batches: right padding (BERT-style encoders) or left
 * padding (decoder embedders such as Qwen3-Embedding, whose tokenizer says padding_side "left"),
 * with every input an ONNX export may declare.
 */
import type { EncodedText } from '../tokenize/types.js';

export interface PaddedBatch {
  /** Corpus row of each sequence in the batch. */
  rows: number[];
  /** Real (unpadded) length of each sequence. */
  lengths: number[];
  /** Prompt tokens at the start of each sequence (EncodedText.promptLength). */
  promptLengths: number[];
  /** Which end the padding is on: real tokens of row b sit at [seq - len, seq) when "left". */
  paddingSide: 'left' | 'right';
  batch: number;
  seq: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  /**
   * 0, 1, 2… over each row's real tokens whichever side the padding is on, 1 at padded positions
   * (transformers.js and optimum's convention for decoder exports: cumsum(mask) - 1, masked_fill 1).
   * For right padding that is arange(seq) on every real token, what an encoder computes itself.
   */
  positionIds: BigInt64Array;
}

/** Where row b's real tokens start in the padded sequence. */
export function realStart(batch: Pick<PaddedBatch, 'paddingSide' | 'seq' | 'lengths'>, b: number): number {
  return batch.paddingSide === 'left' ? batch.seq - batch.lengths[b] : 0;
}

/**
 * Batches of `batchSize` texts, each padded to its longest member. With `sortByLength` the texts
 * are batched in order of token count (stable), so each batch holds texts of similar length and
 * padding — half the work on a typical corpus — nearly disappears; `rows` maps each sequence back
 * to its input position, so results stay in input order.
 */
export function makeBatches(
  encoded: readonly EncodedText[],
  batchSize: number,
  padId: number,
  { sortByLength = false, paddingSide = 'right' as 'left' | 'right' } = {},
): PaddedBatch[] {
  return batchRows(
    encoded.map((e) => e.ids.length),
    batchSize,
    sortByLength,
  ).map((rows) => padBatch(encoded, rows, padId, paddingSide));
}

/** Which inputs (by index) go into each batch: in order, or sorted by length (stable) with `sortByLength`. */
export function batchRows(lengths: readonly number[], batchSize: number, sortByLength: boolean): number[][] {
  const order = lengths.map((_, i) => i);
  if (sortByLength) order.sort((a, b) => lengths[a] - lengths[b] || a - b);
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += batchSize) batches.push(order.slice(start, start + batchSize));
  return batches;
}

/**
 * The padded length of the batch each text lands in when a run embeds `lengths` (token counts the
 * model sees) in blocks of `blockTexts`, each block in length-sorted batches of `batchSize` — what
 * every harness-batched backend does (hidden-state-backend.ts). Kernels that switch on the sequence
 * length (flash attention) switch on this.
 */
export function batchLengths(lengths: readonly number[], blockTexts: number, batchSize: number): number[] {
  const out = new Array<number>(lengths.length);
  for (let start = 0; start < lengths.length; start += blockTexts) {
    const block = lengths.slice(start, start + blockTexts);
    for (const rows of batchRows(block, batchSize, true)) {
      const seq = Math.max(1, ...rows.map((r) => block[r]));
      for (const r of rows) out[start + r] = seq;
    }
  }
  return out;
}

/**
 * The same batch padded to `seq` positions, for an export whose sequence length is fixed: real
 * tokens stay on the batch's padding side, the new positions are padding (pad id, mask 0, position 1).
 */
export function padBatchTo(batch: PaddedBatch, seq: number, padId: number): PaddedBatch {
  if (seq === batch.seq) return batch;
  if (seq < batch.seq) throw new RangeError(`cannot pad a batch of ${batch.seq} positions to ${seq}`);
  const n = batch.batch;
  const inputIds = new BigInt64Array(n * seq).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(n * seq);
  const tokenTypeIds = new BigInt64Array(n * seq);
  const positionIds = new BigInt64Array(n * seq).fill(1n);
  for (let b = 0; b < n; b++) {
    const len = batch.lengths[b];
    const from = b * batch.seq + realStart(batch, b);
    const to = b * seq + realStart({ paddingSide: batch.paddingSide, seq, lengths: batch.lengths }, b);
    for (const [dst, src] of [[inputIds, batch.inputIds], [attentionMask, batch.attentionMask], [tokenTypeIds, batch.tokenTypeIds], [positionIds, batch.positionIds]] as const) {
      dst.set(src.subarray(from, from + len), to);
    }
  }
  return { ...batch, seq, inputIds, attentionMask, tokenTypeIds, positionIds };
}

/** Real tokens / padded tokens over all batches: 1 means no padding at all. */
export function paddingEfficiency(batches: readonly PaddedBatch[]): number {
  let real = 0;
  let padded = 0;
  for (const b of batches) {
    for (const l of b.lengths) real += l;
    padded += b.batch * b.seq;
  }
  return padded ? real / padded : 1;
}

export function padBatch(encoded: readonly EncodedText[], rows: number[], padId: number, paddingSide: 'left' | 'right' = 'right'): PaddedBatch {
  const lengths = rows.map((r) => encoded[r].ids.length);
  const seq = Math.max(1, ...lengths);
  const n = rows.length;
  const inputIds = new BigInt64Array(n * seq).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(n * seq);
  const tokenTypeIds = new BigInt64Array(n * seq);
  const positionIds = new BigInt64Array(n * seq).fill(1n);
  rows.forEach((r, b) => {
    const e = encoded[r];
    const start = paddingSide === 'left' ? seq - e.ids.length : 0;
    for (let t = 0; t < e.ids.length; t++) {
      const at = b * seq + start + t;
      inputIds[at] = BigInt(e.ids[t]);
      attentionMask[at] = 1n;
      tokenTypeIds[at] = BigInt(e.typeIds[t]);
      positionIds[at] = BigInt(t);
    }
  });
  const promptLengths = rows.map((r) => encoded[r].promptLength ?? 0);
  return { rows, lengths, promptLengths, paddingSide, batch: n, seq, inputIds, attentionMask, tokenTypeIds, positionIds };
}
