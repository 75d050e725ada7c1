/**
 * Who applies the run's embedding choices (the sentence-transformers prompt and truncate_dim) for
 * one runtime. Every runtime in the registry declares both, because a runtime that silently applies
 * neither, or applies its own default, computes something else than the golden (the PyTorch worker
 * once ignored both and used the model's default prompt whatever the run chose).
 */
import type { Backend, BackendContext } from './backend.js';
import type { Matrix } from '../numeric/matrix.js';
import { truncateRows } from '../embed/truncate.js';

export type Applier = 'harness' | 'runtime';

export interface EmbeddingCapability {
  /**
   * "harness": parity puts the prompt in front of each text (its own tokenizer, or prompt + text
   * before the runtime sees the string). "runtime": parity passes the run's prompt on and the runtime
   * applies it (sentence-transformers' prompt_name), or was given it elsewhere (a server started with
   * its own prompt; `file` vectors whose .meta.json records it, checked against the run's).
   */
  prompt: Applier;
  /**
   * "harness": the runtime returns full vectors and one shared step (truncateRows, applied by
   * withEmbeddingCapability) keeps the first truncateDim values of each. "runtime": the runtime is
   * given truncateDim and returns vectors that wide (sentence-transformers' truncate_dim, the harness's
   * own pooling).
   */
  truncateDim: Applier;
}

export const APPLIERS: readonly Applier[] = ['harness', 'runtime'];

/**
 * The backend as the harness runs it: where the runtime returns full vectors, embed() keeps the first
 * `truncateDim` values of each row (sentence-transformers truncates after Normalize without
 * renormalizing, which is exactly a prefix). A Proxy, so the backend stays an instance of its class
 * (the bench sets observers on it); everything but open() and embed() passes through.
 */
export function withEmbeddingCapability<B extends Backend>(backend: B, capability: EmbeddingCapability): B {
  if (capability.truncateDim === 'runtime') return backend;
  let truncateDim: number | null = null;
  const open = (context: BackendContext): Promise<void> => {
    truncateDim = context.model?.truncateDim ?? null;
    return backend.open(context);
  };
  const embed = async (texts: readonly string[], rows?: readonly number[]): Promise<Matrix> => truncateRows(await backend.embed(texts, rows), truncateDim);
  return new Proxy(backend, {
    get(target, key) {
      if (key === 'open') return open;
      if (key === 'embed') return embed;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
