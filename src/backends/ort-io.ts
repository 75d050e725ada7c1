/**
 * What every ONNX Runtime flavour (native, wasm, WebGPU in a page, and `parity bisect`) does the same
 * way around an embedding-model export: feed the inputs the model declares from a padded batch, pick
 * the output to read, check its rank, and read the one session option they all take from the config
 * (graphOptimizationLevel). The runtimes differ only in their Tensor class and in how they run.
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

/**
 * The single feeds builder: every input the model declares, [batch, seq] int64, from the padded
 * batch. Inputs it does not declare are not fed (token_type_ids is absent from MPNet, XLM-RoBERTa,
 * DistilBERT, ModernBERT and decoder exports; position_ids is present in optimum's decoder exports).
 */
export function modelFeeds<T>(backend: string, inputNames: readonly string[], batch: FeedSource, tensor: (data: BigInt64Array, dims: number[]) => T): Record<string, T> {
  const dims = [batch.batch, batch.seq];
  const feeds: Record<string, T> = {};
  for (const name of inputNames) {
    if (!(FEEDABLE_INPUTS as readonly string[]).includes(name)) throw new BackendError(backend, unfeedable(name));
    feeds[name] = tensor(sourceOf(batch, name as FeedableInput), dims);
  }
  return feeds;
}

/** The output a runner reads: token vectors (pooled by the harness) or a sentence vector pooled by the model. */
export interface ModelOutput {
  name: string;
  /**
   * "tokens": [batch, seq, hidden] (last_hidden_state, token_embeddings); "sentence": [batch, dim],
   * the model's own pooling (sentence_embedding); "auto": a single unnamed output, told by its rank.
   */
  kind: 'tokens' | 'sentence' | 'auto';
}

/**
 * last_hidden_state, else token_embeddings (sentence-transformers / optimum exports with the head),
 * else sentence_embedding, else the only output. Token vectors are preferred because then pooling is
 * the harness's, identical for every backend.
 */
export function selectModelOutput(backend: string, outputNames: readonly string[]): ModelOutput {
  for (const name of ['last_hidden_state', 'token_embeddings']) if (outputNames.includes(name)) return { name, kind: 'tokens' };
  if (outputNames.includes('sentence_embedding')) return { name: 'sentence_embedding', kind: 'sentence' };
  if (outputNames.length === 1) return { name: outputNames[0], kind: 'auto' };
  throw new BackendError(
    backend,
    `the model has outputs ${outputNames.map((n) => `"${n}"`).join(', ')} and none is last_hidden_state, token_embeddings or sentence_embedding`,
  );
}

/** Checks the output's rank against its kind; true when it holds token vectors ([batch, seq, hidden]). */
export function checkOutputDims(backend: string, output: ModelOutput, dims: readonly number[]): boolean {
  const tokens = output.kind === 'tokens' || (output.kind === 'auto' && dims.length === 3);
  const want = tokens ? 3 : 2;
  if (dims.length !== want) {
    throw new BackendError(backend, `output "${output.name}" has dims [${dims}], expected ${tokens ? '[batch, seq, hidden]' : '[batch, dim]'}`);
  }
  return tokens;
}
