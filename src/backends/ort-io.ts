/**
 * What every ONNX Runtime flavour (native, wasm, WebGPU in a page, and `parity bisect`) does the same
 * way around an embedding-model export: feed the inputs the model declares from a padded batch (int64
 * or int32, at the export's fixed sequence length if it has one), and read the one session option
 * they all take from the config (graphOptimizationLevel). Which output to read: output-choice.ts. The runtimes differ only in their Tensor class and in how they run.
 */
import type { PaddedBatch } from '../embed/batches.js';
import { BackendError, InputError } from '../errors.js';
import type { BackendSpec } from './backend.js';

/** ONNX Runtime's SessionOptions.graphOptimizationLevel, in onnxruntime-common's spelling. */
export const GRAPH_OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;
export type GraphOptimizationLevel = (typeof GRAPH_OPTIMIZATION_LEVELS)[number];

/**
 * A backend's `graphOptimizationLevel` option, `fallback` when unset. A level other than the
 * runtime's default is how to get past a fusion a provider cannot run (JSEP WebGPU throws on the
 * SkipLayerNormalization that 'extended' and 'all' make of a bias-less LayerNorm) or to find which
 * fusion changes the numbers.
 */
export function parseGraphOptimizationLevel(spec: BackendSpec, fallback: GraphOptimizationLevel): GraphOptimizationLevel {
  const level = spec.options.graphOptimizationLevel;
  if (level === undefined) return fallback;
  if (typeof level !== 'string' || !(GRAPH_OPTIMIZATION_LEVELS as readonly string[]).includes(level)) {
    throw new InputError(`backend "${spec.name}": "graphOptimizationLevel" must be one of ${GRAPH_OPTIMIZATION_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  }
  return level as GraphOptimizationLevel;
}

/** The inputs parity can feed, and where each comes from in a padded batch. */
export const FEEDABLE_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids', 'position_ids'] as const;
type FeedableInput = (typeof FEEDABLE_INPUTS)[number];

type FeedSource = Pick<PaddedBatch, 'batch' | 'seq' | 'inputIds' | 'attentionMask' | 'tokenTypeIds' | 'positionIds'>;

function sourceOf(batch: FeedSource, name: FeedableInput): BigInt64Array {
  switch (name) {
    case 'input_ids':
      return batch.inputIds;
    case 'attention_mask':
      return batch.attentionMask;
    case 'token_type_ids':
      return batch.tokenTypeIds;
    case 'position_ids':
      return batch.positionIds;
  }
}

/** Why an input cannot be fed, in words that say what to do about it. */
function unfeedable(name: string): string {
  const base = `model input "${name}" cannot be fed: parity feeds ${FEEDABLE_INPUTS.join(', ')}`;
  if (/^past_key_values|^past\.|\.past_|cache/i.test(name)) {
    return `${base}; "${name}" is a KV cache input of a decoder export made for generation — export the model without the cache (optimum: --task feature-extraction; torch.onnx.export of the base model with use_cache=False)`;
  }
  return base;
}

/** An input as the runner feeds it: int64 (the usual export) or int32 (some exports declare it). */
export interface FeedInput {
  name: string;
  int32: boolean;
}

/**
 * The single feeds builder: every input the model declares, [batch, seq], from the padded batch.
 * Inputs it does not declare are not fed (token_type_ids is absent from MPNet, XLM-RoBERTa,
 * DistilBERT, ModernBERT and decoder exports; position_ids is present in optimum's decoder exports).
 * Given plain names every feed is int64; given FeedInputs, an int32 input gets an Int32Array.
 */
export function modelFeeds<T>(backend: string, inputs: readonly string[], batch: FeedSource, tensor: (data: BigInt64Array, dims: number[]) => T): Record<string, T>;
export function modelFeeds<T>(backend: string, inputs: readonly FeedInput[], batch: FeedSource, tensor: (data: BigInt64Array | Int32Array, dims: number[]) => T): Record<string, T>;
export function modelFeeds<T>(
  backend: string,
  inputs: readonly (string | FeedInput)[],
  batch: FeedSource,
  tensor: (data: BigInt64Array & Int32Array, dims: number[]) => T,
): Record<string, T> {
  const dims = [batch.batch, batch.seq];
  const feeds: Record<string, T> = {};
  for (const input of inputs) {
    const { name, int32 } = typeof input === 'string' ? { name: input, int32: false } : input;
    if (!(FEEDABLE_INPUTS as readonly string[]).includes(name)) throw new BackendError(backend, unfeedable(name));
    const data = sourceOf(batch, name as FeedableInput);
    // Token ids, masks and positions are far below 2^31: the narrowing is exact.
    feeds[name] = tensor((int32 ? Int32Array.from(data, Number) : data) as BigInt64Array & Int32Array, dims);
  }
  return feeds;
}

/**
 * The sequence length an export fixes (a number in the second dim of every [batch, seq] input it
 * declares), or null when it is dynamic. Such an export is fed batches padded to that length.
 */
export function fixedSequenceLength(backend: string, inputs: readonly { name: string; shape: readonly (number | string | null)[] | null }[]): number | null {
  const fixed = new Set<number>();
  for (const input of inputs) {
    const d = input.shape?.[1];
    if (typeof d === 'number' && d > 0) fixed.add(d);
  }
  if (fixed.size > 1) throw new BackendError(backend, `the model's inputs fix different sequence lengths (${[...fixed].join(', ')}); parity pads every input to one length`);
  return fixed.size ? [...fixed][0] : null;
}

