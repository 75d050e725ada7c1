/**
 * What each runtime is, without its runner: the config keys it understands, its default precision,
 * its one-line description, who applies the run's prompt and truncateDim, and who tokenizes.
 * config/ validates a config against these, so reading a config loads no runtime (onnxruntime,
 * playwright, a Python worker); backends/registry.ts maps the same names to the factories that
 * build runners.
 */
import type { EmbeddingCapability } from './embedding-capability.js';
import { HTTP_OPTION_KEYS } from './http/options.js';
import { LLAMA_CPP_OPTION_KEYS } from './llama-cpp/options.js';
import { OUTPUT_OPTION_KEYS } from './output-choice.js';
import { OPENVINO_OPTION_KEYS, openVinoPrecision } from './openvino/options.js';
import { ST_OPTION_KEYS, sentenceTransformersPrecision } from './sentence-transformers/options.js';
import { WEBGPU_OPTION_KEYS } from './webgpu/options.js';

export interface RuntimeDescriptor {
  /** Config keys this runtime understands besides the common ones; anything else is a typo. */
  optionKeys: readonly string[];
  description: string;
  /** The `precision` (default tolerance class) of an entry that sets none; default fp32. */
  defaultPrecision?: (options: Record<string, unknown>) => 'fp64' | 'fp32' | 'fp16';
  /**
   * Who applies the run's prompt and truncateDim for an entry with these options: the harness, or
   * the runtime it is passed on to. Required: a runtime that declares neither would compare vectors
   * made with another prompt or width than the golden's.
   */
  embedding: (options: Record<string, unknown>) => EmbeddingCapability;
  /**
   * Who turns text into token ids: "harness" (parity's tokenizer feeds the runtime ids, so both sides
   * of a comparison saw the same ids and a diagnosis may not blame truncation or the tokenizer),
   * "runtime" (it tokenizes on its own), "unknown" (vectors made elsewhere).
   */
  tokenizer: 'harness' | 'runtime' | 'unknown';
  /**
   * Every backend of this runtime runs in one worker process, one request at a time (the WebGPU
   * backends share one Chromium). Otherwise each backend gets its own worker, so backends can work
   * side by side and a crash loses only the backend that crashed.
   */
  sharedWorker?: boolean;
}

/** The harness tokenizer carries the prompt, and the runtime's full vectors go through the shared truncation. */
const HARNESS_APPLIES: EmbeddingCapability = { prompt: 'harness', truncateDim: 'harness' };

export const RUNTIMES: Record<string, RuntimeDescriptor> = {
  reference: {
    optionKeys: ['gelu', 'threads'],
    defaultPrecision: () => 'fp64',
    description: 'float64 TypeScript BertModel from model.safetensors (BERT family only)',
    embedding: () => HARNESS_APPLIES,
    tokenizer: 'harness',
  },
  'onnxruntime-node': {
    optionKeys: ['device', 'model', 'threads', 'graphOptimizationLevel', ...OUTPUT_OPTION_KEYS],
    description: 'ONNX Runtime native binding, CPU or CUDA execution provider',
    embedding: () => HARNESS_APPLIES,
    tokenizer: 'harness',
  },
  'onnxruntime-web': {
    optionKeys: ['model', 'threads', 'graphOptimizationLevel', ...OUTPUT_OPTION_KEYS],
    description: 'ONNX Runtime WebAssembly build (wasm execution provider, SIMD128) running in Node',
    embedding: () => HARNESS_APPLIES,
    tokenizer: 'harness',
  },
  openvino: {
    optionKeys: OPENVINO_OPTION_KEYS,
    description: "Intel OpenVINO's CPU plugin on an ONNX file, through the Python worker (openvino from PyPI); harness tokenizer and pooling, as onnxruntime-node",
    defaultPrecision: openVinoPrecision,
    embedding: () => HARNESS_APPLIES,
    tokenizer: 'harness',
  },
  'transformers.js': {
    optionKeys: ['dtype', 'device', 'threads'],
    description: '@huggingface/transformers feature-extraction pipeline as shipped: its own tokenizer, truncation and pooling',
    // The runner prepends the prompt to each text; the pipeline returns full vectors.
    embedding: () => HARNESS_APPLIES,
    tokenizer: 'runtime',
  },
  http: {
    optionKeys: HTTP_OPTION_KEYS,
    description: 'embeddings server over HTTP: OpenAI-compatible (Infinity, TEI, vLLM, OpenAI), TEI /embed or Ollama /api/embed (option api); the server tokenizes and pools',
    // "prompt": "prepend" (default) sends prompt + text; "server" leaves it to a server started with it.
    embedding: (options) => ({ prompt: options.prompt === 'server' ? 'runtime' : 'harness', truncateDim: 'harness' }),
    tokenizer: 'runtime',
  },
  'webgpu-browser': {
    optionKeys: WEBGPU_OPTION_KEYS,
    description: "onnxruntime-web's WebGPU execution provider in headless Chromium (playwright-core), default or native webgpu bundle",
    embedding: () => HARNESS_APPLIES,
    tokenizer: 'harness',
    sharedWorker: true,
  },
  'sentence-transformers': {
    optionKeys: ST_OPTION_KEYS,
    description: 'PyTorch SentenceTransformer in a Python worker (own tokenizer, truncation, pooling); float64 on CPU is an oracle for any architecture',
    defaultPrecision: sentenceTransformersPrecision,
    // encode(prompt_name=… or prompt="", truncate_dim=…) in the worker.
    embedding: () => ({ prompt: 'runtime', truncateDim: 'runtime' }),
    tokenizer: 'runtime',
  },
  'llama-cpp': {
    optionKeys: LLAMA_CPP_OPTION_KEYS,
    description: "llama.cpp through node-llama-cpp on a GGUF file: its own tokenizer (checked against the harness's) and pooling; the harness applies the prompt, Normalize and truncateDim",
    // The runner puts the prompt in front of each text and returns full vectors.
    embedding: () => HARNESS_APPLIES,
    tokenizer: 'runtime',
  },
  file: {
    optionKeys: ['path'],
    description: 'precomputed vectors from an .npy file (e.g. sentence-transformers in Python), one row per corpus text',
    // The vectors were made with a prompt (their .meta.json is checked against the run's); full ones are truncated here.
    embedding: () => ({ prompt: 'runtime', truncateDim: 'harness' }),
    tokenizer: 'unknown',
  },
};

/** Who tokenized for a backend of this runtime, in the diagnosis's terms (undefined: not known). */
export function tokenizedBy(runtime: string): 'harness' | 'backend' | undefined {
  const t = RUNTIMES[runtime]?.tokenizer;
  return t === 'harness' ? 'harness' : t === 'runtime' ? 'backend' : undefined;
}
