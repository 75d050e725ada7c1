/**
 * The `llama-cpp` runtime's config options, parsed and checked in one place.
 */
import { InputError } from '../../errors.js';
import type { BackendSpec } from '../backend.js';

export const LLAMA_CPP_OPTION_KEYS = ['model', 'threads', 'contextSize', 'batchSize', 'gpu', 'truncate', 'flashAttention'] as const;

/** The exact release the suite runs; an optional peer dependency of the package. */
export const NODE_LLAMA_CPP_VERSION = '3.21.1';
export const NODE_LLAMA_CPP_INSTALL = `npm i -E node-llama-cpp@${NODE_LLAMA_CPP_VERSION}`;

export interface LlamaCppOptions {
  /** The .gguf file, relative to the model folder (default gguf/model-f32.gguf). */
  modelFile: string;
  /** CPU threads; 0: the command's share of the cores (BackendContext.threads), else node-llama-cpp's math-core count. */
  threads: number;
  /** Tokens per sequence llama.cpp allocates; null = the GGUF's context_length. */
  contextSize: number | null;
  /** llama.cpp's n_batch (= n_ubatch: a non-causal encoder needs the whole sequence in one ubatch); null = contextSize. */
  batchSize: number | null;
  /** Off by default: the CPU build is what the suite proves; true lets node-llama-cpp pick CUDA/Vulkan/Metal. */
  gpu: boolean;
  /**
   * true (default): a text longer than the model's max_seq_length is cut as sentence-transformers
   * cuts it (llama.cpp's own ids: the first max_seq_length - specials, then the end token), and
   * counted in the environment. false: llama.cpp gets the whole text, as llama-server would.
   */
  truncate: boolean;
  /**
   * llama.cpp's flash attention: 'auto' (node-llama-cpp's default: on wherever supported, the CPU
   * included), true or false. Without a KV cache (an encoder embedding) llama.cpp casts K and V to
   * fp16 for its flash-attention kernel (llama-graph.cpp build_attn_mha), so this changes the numbers.
   */
  flashAttention: boolean | 'auto';
}

function positiveInt(spec: BackendSpec, key: string, allowZero: boolean): number | null {
  const v = spec.options[key];
  if (v === undefined || v === null) return null;
  if (!Number.isInteger(v) || (v as number) < (allowZero ? 0 : 1)) {
    throw new InputError(`backend "${spec.name}": "${key}" must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(v)}`);
  }
  return v as number;
}

export function parseLlamaCppOptions(spec: BackendSpec): LlamaCppOptions {
  const o = spec.options;
  const modelFile = o.model ?? 'gguf/model-f32.gguf';
  if (typeof modelFile !== 'string' || !modelFile.endsWith('.gguf')) {
    throw new InputError(`backend "${spec.name}": "model" must be the path of a .gguf file in the model folder, got ${JSON.stringify(modelFile)}`);
  }
  if (o.flashAttention !== undefined && o.flashAttention !== 'auto' && typeof o.flashAttention !== 'boolean') {
    throw new InputError(`backend "${spec.name}": "flashAttention" must be true, false or "auto", got ${JSON.stringify(o.flashAttention)}`);
  }
  for (const key of ['gpu', 'truncate'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') {
      throw new InputError(`backend "${spec.name}": "${key}" must be true or false, got ${JSON.stringify(o[key])}`);
    }
  }
  return {
    modelFile,
    threads: positiveInt(spec, 'threads', true) ?? 0,
    contextSize: positiveInt(spec, 'contextSize', false),
    batchSize: positiveInt(spec, 'batchSize', false),
    gpu: o.gpu === true,
    flashAttention: o.flashAttention === undefined || o.flashAttention === 'auto' ? 'auto' : (o.flashAttention as boolean),
    truncate: o.truncate !== false,
  };
}
