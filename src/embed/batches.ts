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

/** Consecutive batches of `batchSize` texts in corpus order, each padded to its longest member. */
export function makeBatches(encoded: readonly EncodedText[], batchSize: number, padId: number): PaddedBatch[] {
  const batches: PaddedBatch[] = [];
  for (let start = 0; start < encoded.length; start += batchSize) {
    const rows: number[] = [];
    for (let r = start; r < Math.min(start + batchSize, encoded.length); r++) rows.push(r);
    batches.push(padBatch(encoded, rows, padId));
  }
  return batches;
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
