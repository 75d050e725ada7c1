/**
 * Maps a config entry's "runtime" to the runner that implements it. Resolution collects every
 * problem (unknown runtime, bad option) into one message instead of stopping at the first, the way
 * onnxruntime-common's backend-impl.ts reports every backend it tried.
 */
import { InputError } from '../errors.js';
import type { Backend, BackendFactory, BackendSpec } from './backend.js';
import { withEmbeddingCapability, type EmbeddingCapability } from './embedding-capability.js';
import { createFileBackend, FILE_OPTION_KEYS } from './file/runner.js';
import { HTTP_OPTION_KEYS } from './http/options.js';
import { createHttpBackend } from './http/runner.js';
import { createOrtNodeBackend } from './onnxruntime-node/runner.js';
import { OPENVINO_OPTION_KEYS, openVinoPrecision } from './openvino/options.js';
import { createOpenVinoBackend } from './openvino/runner.js';
import { createOrtWebBackend } from './onnxruntime-web/runner.js';
import { createReferenceBackend } from './reference/runner.js';
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
}

/** The harness tokenizer carries the prompt, and the runtime's full vectors go through the shared truncation. */
const HARNESS_APPLIES: EmbeddingCapability = { prompt: 'harness', truncateDim: 'harness' };

export const RUNTIMES: Record<string, RuntimeEntry> = {
  reference: {
    factory: createReferenceBackend,
    optionKeys: [],
    defaultPrecision: () => 'fp64',
    description: 'float64 TypeScript BertModel from model.safetensors (BERT family only)',
    embedding: () => HARNESS_APPLIES,
    tokenizer: 'harness',
  },
  'onnxruntime-node': {
    factory: createOrtNodeBackend,
    optionKeys: ['device', 'model', 'threads', 'graphOptimizationLevel'],
    description: 'ONNX Runtime native binding, CPU or CUDA execution provider',
    embedding: () => HARNESS_APPLIES,
    tokenizer: 'harness',
  },
  'onnxruntime-web': {
    factory: createOrtWebBackend,
    optionKeys: ['model', 'threads', 'graphOptimizationLevel'],
    description: 'ONNX Runtime WebAssembly build (wasm execution provider, SIMD128) running in Node',
    embedding: () => HARNESS_APPLIES,
    tokenizer: 'harness',
  },
  openvino: {
    factory: createOpenVinoBackend,
    optionKeys: OPENVINO_OPTION_KEYS,
    description: "Intel OpenVINO's CPU plugin on an ONNX file, through the Python worker (openvino from PyPI); harness tokenizer and pooling, as onnxruntime-node",
    defaultPrecision: openVinoPrecision,
    embedding: () => HARNESS_APPLIES,
    tokenizer: 'harness',
  },
  'transformers.js': {
    factory: createTransformersJsBackend,
    optionKeys: ['dtype', 'device'],
    description: '@huggingface/transformers feature-extraction pipeline as shipped: its own tokenizer, truncation and pooling',
    // The runner prepends the prompt to each text; the pipeline returns full vectors.
    embedding: () => HARNESS_APPLIES,
    tokenizer: 'runtime',
  },
  http: {
    factory: createHttpBackend,
    optionKeys: HTTP_OPTION_KEYS,
    description: 'embeddings server over HTTP: OpenAI-compatible (Infinity, TEI, vLLM, OpenAI), TEI /embed or Ollama /api/embed (option api); the server tokenizes and pools',
    // "prompt": "prepend" (default) sends prompt + text; "server" leaves it to a server started with it.
    embedding: (options) => ({ prompt: options.prompt === 'server' ? 'runtime' : 'harness', truncateDim: 'harness' }),
    tokenizer: 'runtime',
  },
  'webgpu-browser': {
    factory: createWebGpuBackend,
    optionKeys: WEBGPU_OPTION_KEYS,
    description: "onnxruntime-web's WebGPU execution provider in headless Chromium (playwright-core), default or native webgpu bundle",
    embedding: () => HARNESS_APPLIES,
    tokenizer: 'harness',
  },
  'sentence-transformers': {
    factory: createSentenceTransformersBackend,
    optionKeys: ST_OPTION_KEYS,
    description: 'PyTorch SentenceTransformer in a Python worker (own tokenizer, truncation, pooling); float64 on CPU is an oracle for any architecture',
    defaultPrecision: sentenceTransformersPrecision,
    // encode(prompt_name=… or prompt="", truncate_dim=…) in the worker.
    embedding: () => ({ prompt: 'runtime', truncateDim: 'runtime' }),
    tokenizer: 'runtime',
  },
  file: {
    factory: createFileBackend,
    optionKeys: FILE_OPTION_KEYS,
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
      backends.push(withEmbeddingCapability(entry.factory(spec), entry.embedding(spec.options)));
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (problems.length) throw new InputError(problems.join('\n'));
  return backends;
}
