/**
 * Maps a config entry's "runtime" to the runner that implements it. Resolution collects every
 * problem (unknown runtime, bad option) into one message instead of stopping at the first, the way
 * onnxruntime-common's backend-impl.ts reports every backend it tried.
 */
import { InputError } from '../errors.js';
import type { Backend, BackendFactory, BackendSpec } from './backend.js';
import { createFileBackend, FILE_OPTION_KEYS } from './file/runner.js';
import { HTTP_OPTION_KEYS } from './http/options.js';
import { createHttpBackend } from './http/runner.js';
import { createOrtNodeBackend } from './onnxruntime-node/runner.js';
import { createOrtWebBackend } from './onnxruntime-web/runner.js';
import { createReferenceBackend } from './reference/runner.js';
import { OUTPUT_OPTION_KEYS } from './output-choice.js';
import { ST_OPTION_KEYS, sentenceTransformersPrecision } from './sentence-transformers/options.js';
import { createSentenceTransformersBackend } from './sentence-transformers/runner.js';
import { createTransformersJsBackend } from './transformersjs/runner.js';
import { createWebGpuBackend, WEBGPU_OPTION_KEYS } from './webgpu/runner.js';

export interface RuntimeEntry {
  factory: BackendFactory;
  /** Config keys this runtime understands besides the common ones; anything else is a typo. */
  optionKeys: readonly string[];
  description: string;
  /** The `precision` (default tolerance class) of an entry that sets none; default fp32. */
  defaultPrecision?: (options: Record<string, unknown>) => 'fp64' | 'fp32' | 'fp16';
}

export const RUNTIMES: Record<string, RuntimeEntry> = {
  reference: {
    factory: createReferenceBackend,
    optionKeys: [],
    defaultPrecision: () => 'fp64',
    description: 'float64 TypeScript BertModel from model.safetensors (BERT family only)',
  },
  'onnxruntime-node': {
    factory: createOrtNodeBackend,
    optionKeys: ['device', 'model', 'threads', 'graphOptimizationLevel', ...OUTPUT_OPTION_KEYS],
    description: 'ONNX Runtime native binding, CPU or CUDA execution provider',
  },
  'onnxruntime-web': {
    factory: createOrtWebBackend,
    optionKeys: ['model', 'threads', 'graphOptimizationLevel', ...OUTPUT_OPTION_KEYS],
    description: 'ONNX Runtime WebAssembly build (wasm execution provider, SIMD128) running in Node',
  },
  'transformers.js': {
    factory: createTransformersJsBackend,
    optionKeys: ['dtype', 'device'],
    description: '@huggingface/transformers feature-extraction pipeline as shipped: its own tokenizer, truncation and pooling',
  },
  http: {
    factory: createHttpBackend,
    optionKeys: HTTP_OPTION_KEYS,
    description: 'OpenAI-compatible embeddings endpoint (Infinity, TEI, vLLM, OpenAI); the server tokenizes and pools',
  },
  'webgpu-browser': {
    factory: createWebGpuBackend,
    optionKeys: WEBGPU_OPTION_KEYS,
    description: "onnxruntime-web's WebGPU execution provider in headless Chromium (playwright-core), default or native webgpu bundle",
  },
  'sentence-transformers': {
    factory: createSentenceTransformersBackend,
    optionKeys: ST_OPTION_KEYS,
    description: 'PyTorch SentenceTransformer in a Python worker (own tokenizer, truncation, pooling); float64 on CPU is an oracle for any architecture',
    defaultPrecision: sentenceTransformersPrecision,
  },
  file: {
    factory: createFileBackend,
    optionKeys: FILE_OPTION_KEYS,
    description: 'precomputed vectors from an .npy file (e.g. sentence-transformers in Python), one row per corpus text',
  },
};

export function createBackends(specs: readonly BackendSpec[]): Backend[] {
  const problems: string[] = [];
  const backends: Backend[] = [];
  for (const spec of specs) {
    const entry = RUNTIMES[spec.runtime];
    if (!entry) {
      problems.push(`backend "${spec.name}": unknown runtime "${spec.runtime}" (known: ${Object.keys(RUNTIMES).join(', ')})`);
      continue;
    }
    try {
      backends.push(entry.factory(spec));
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (problems.length) throw new InputError(problems.join('\n'));
  return backends;
}
