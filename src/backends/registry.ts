/**
 * Maps a config entry's "runtime" to the runner that implements it (what a runtime accepts is in
 * runtimes.ts, which loads no runner). Resolution collects every
 * problem (unknown runtime, bad option) into one message instead of stopping at the first, the way
 * onnxruntime-common's backend-impl.ts reports every backend it tried.
 */
import { InputError } from '../errors.js';
import type { Backend, BackendFactory, BackendSpec } from './backend.js';
import { withEmbeddingCapability } from './embedding-capability.js';
import { RUNTIMES } from './runtimes.js';
import { createFileBackend } from './file/runner.js';
import { createHttpBackend } from './http/runner.js';
import { createLlamaCppBackend } from './llama-cpp/runner.js';
import { createOrtNodeBackend } from './onnxruntime-node/runner.js';
import { createOpenVinoBackend } from './openvino/runner.js';
import { createOrtWebBackend } from './onnxruntime-web/runner.js';
import { createReferenceBackend } from './reference/runner.js';
import { createSentenceTransformersBackend } from './sentence-transformers/runner.js';
import { createTransformersJsBackend } from './transformersjs/runner.js';
import { createWebGpuBackend } from './webgpu/runner.js';

export { RUNTIMES, tokenizedBy } from './runtimes.js';

/** The runner factory of every runtime in RUNTIMES (runtimes.ts), by the same name. */
export const FACTORIES: Record<string, BackendFactory> = {
  reference: createReferenceBackend,
  'onnxruntime-node': createOrtNodeBackend,
  'onnxruntime-web': createOrtWebBackend,
  openvino: createOpenVinoBackend,
  'transformers.js': createTransformersJsBackend,
  http: createHttpBackend,
  'webgpu-browser': createWebGpuBackend,
  'sentence-transformers': createSentenceTransformersBackend,
  'llama-cpp': createLlamaCppBackend,
  file: createFileBackend,
};

export function createBackends(specs: readonly BackendSpec[]): Backend[] {
  const problems: string[] = [];
  const backends: Backend[] = [];
  for (const spec of specs) {
    const factory = FACTORIES[spec.runtime];
    const descriptor = RUNTIMES[spec.runtime];
    if (!factory || !descriptor) {
      problems.push(`backend "${spec.name}": unknown runtime "${spec.runtime}" (known: ${Object.keys(RUNTIMES).join(', ')})`);
      continue;
    }
    try {
      backends.push(withEmbeddingCapability(factory(spec), descriptor.embedding(spec.options)));
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (problems.length) throw new InputError(problems.join('\n'));
  return backends;
}
