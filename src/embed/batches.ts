/** Turns tokenized texts into right-padded int64 batches, the layout every BERT ONNX export takes. */
import type { EncodedText } from '../tokenize/types.js';

export interface PaddedBatch {
  /** Corpus row of each sequence in the batch. */
  rows: number[];
  /** Real (unpadded) length of each sequence. */
  lengths: number[];
  batch: number;
  seq: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
}

/**
 * Batches of `batchSize` texts, each padded to its longest member. With `sortByLength` the texts
 * are batched in order of token count (stable), so each batch holds texts of similar length and
 * padding — half the work on a typical corpus — nearly disappears; `rows` maps each sequence back
 * to its input position, so results stay in input order.
 */
export function makeBatches(encoded: readonly EncodedText[], batchSize: number, padId: number, { sortByLength = false } = {}): PaddedBatch[] {
  return batchRows(
    encoded.map((e) => e.ids.length),
    batchSize,
    sortByLength,
  ).map((rows) => padBatch(encoded, rows, padId));
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

export function padBatch(encoded: readonly EncodedText[], rows: number[], padId: number): PaddedBatch {
  const lengths = rows.map((r) => encoded[r].ids.length);
  const seq = Math.max(1, ...lengths);
  const n = rows.length;
  const inputIds = new BigInt64Array(n * seq).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(n * seq);
  const tokenTypeIds = new BigInt64Array(n * seq);
  rows.forEach((r, b) => {
    const e = encoded[r];
    for (let t = 0; t < e.ids.length; t++) {
      inputIds[b * seq + t] = BigInt(e.ids[t]);
      attentionMask[b * seq + t] = 1n;
      tokenTypeIds[b * seq + t] = BigInt(e.typeIds[t]);
    }
  });
  return { rows, lengths, batch: n, seq, inputIds, attentionMask, tokenTypeIds };
}
