/**
 * Sharding over CI jobs (`--shard 2/4`, like vitest and playwright): shard i of n takes whole
 * blocks — block k (corpus rows k·B … k·B+B−1, B = blockTexts) goes to shard (k mod n) + 1. Backends
 * batch (and sort by length) within a block, so whole blocks keep every text padded next to the
 * same neighbours as in a single run: each vector is bit-for-bit what the single run computes
 * (padding changes fp16 results in the last bits) and a merged report equals the single run's
 * exactly. Interleaving blocks keeps the shards' run times alike.
 */
import { InputError } from '../errors.js';

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new InputError(`--shard must be INDEX/COUNT with 1 <= INDEX <= COUNT (e.g. 2/4), got "${text}"`);
  }
  return { index, count };
}

export function shardRows(total: number, shard: Shard, blockTexts: number): number[] {
  const rows: number[] = [];
  for (let start = (shard.index - 1) * blockTexts; start < total; start += shard.count * blockTexts) {
    for (let r = start; r < Math.min(start + blockTexts, total); r++) rows.push(r);
  }
  return rows;
}

/**
 * Texts per block: the config's blockTexts rounded up to whole batches, default 16 batches — big
 * enough that sorting by length removes most padding, small enough to bound memory and to make
 * shards and --resume fine-grained.
 */
export function blockTextsFor(batchSize: number, blockTexts?: number): number {
  const wanted = blockTexts ?? batchSize * 16;
  return Math.max(1, Math.ceil(wanted / batchSize)) * batchSize;
}
