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
  const order = encoded.map((_, i) => i);
  if (sortByLength) order.sort((a, b) => encoded[a].ids.length - encoded[b].ids.length || a - b);
  const batches: PaddedBatch[] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    batches.push(padBatch(encoded, order.slice(start, start + batchSize), padId));
  }
  return batches;
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
