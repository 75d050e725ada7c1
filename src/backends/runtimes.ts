/**
 * What each runtime is, without its runner: the config keys it understands, its default precision
 * and its one-line description. config/ validates a config against these, so reading a config
 * loads no runtime (onnxruntime, playwright, a Python worker); backends/registry.ts maps the same
 * names to the factories that build runners.
 */
import { HTTP_OPTION_KEYS } from './http/options.js';
import { ST_OPTION_KEYS, sentenceTransformersPrecision } from './sentence-transformers/options.js';
import { WEBGPU_OPTION_KEYS } from './webgpu/options.js';

export interface RuntimeDescriptor {
  /** Config keys this runtime understands besides the common ones; anything else is a typo. */
  optionKeys: readonly string[];
  description: string;
  /** The `precision` (default tolerance class) of an entry that sets none; default fp32. */
  defaultPrecision?: (options: Record<string, unknown>) => 'fp64' | 'fp32' | 'fp16';
}

export const RUNTIMES: Record<string, RuntimeDescriptor> = {
  reference: {
    optionKeys: [],
    defaultPrecision: () => 'fp64',
    description: 'float64 TypeScript BertModel from model.safetensors (BERT family only)',
  },
  'onnxruntime-node': {
    optionKeys: ['device', 'model', 'threads', 'graphOptimizationLevel'],
    description: 'ONNX Runtime native binding, CPU or CUDA execution provider',
  },
  'onnxruntime-web': {
    optionKeys: ['model', 'threads', 'graphOptimizationLevel'],
    description: 'ONNX Runtime WebAssembly build (wasm execution provider, SIMD128) running in Node',
  },
  'transformers.js': {
    optionKeys: ['dtype', 'device'],
    description: '@huggingface/transformers feature-extraction pipeline as shipped: its own tokenizer, truncation and pooling',
  },
  http: {
    optionKeys: HTTP_OPTION_KEYS,
    description: 'OpenAI-compatible embeddings endpoint (Infinity, TEI, vLLM, OpenAI); the server tokenizes and pools',
  },
  'webgpu-browser': {
    optionKeys: WEBGPU_OPTION_KEYS,
    description: "onnxruntime-web's WebGPU execution provider in headless Chromium (playwright-core), default or native webgpu bundle",
  },
  'sentence-transformers': {
    optionKeys: ST_OPTION_KEYS,
    description: 'PyTorch SentenceTransformer in a Python worker (own tokenizer, truncation, pooling); float64 on CPU is an oracle for any architecture',
    defaultPrecision: sentenceTransformersPrecision,
  },
  file: {
    optionKeys: ['path'],
    description: 'precomputed vectors from an .npy file (e.g. sentence-transformers in Python), one row per corpus text',
  },
};
