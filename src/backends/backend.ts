/**
 * The one interface every runtime implements. A backend turns texts into vectors and knows nothing
 * about golden vectors, tolerances or reports (like Polygraphy's runners): the comparator never
 * imports a backend, and a backend never imports the comparator.
 */
import type { ModelInfo } from '../model/model-folder.js';
import type { Matrix } from '../numeric/matrix.js';
import type { TextTokenizer } from '../tokenize/types.js';

export type Availability = { available: true } | { available: false; reason: string };

/** What a backend is given when it is opened: everything is resolved, nothing is downloaded. */
export interface BackendContext {
  /** Model folder (Hugging Face layout) and its parsed configs. */
  model: ModelInfo;
  tokenizer: TextTokenizer;
  /** Texts per forward pass. The batch size must not change a text's vector beyond rounding. */
  batchSize: number;
  /**
   * CPU threads the command gives this backend when its config does not choose (`threads`): `run`
   * divides the cores among the backends that work at once (lanes.ts threadsPerBackend), since every
   * runtime would otherwise start a thread per core in each of them. Absent: the runtime's own default.
   */
  threads?: number;
}

/**
 * The CPU threads a runtime is told to use: the config's `threads` (0 or unset: not chosen), else the
 * command's share (context.threads); undefined leaves the runtime's own default. One rule for every runtime.
 */
export function threadsFor(configured: number | null | undefined, context: BackendContext): number | undefined {
  return configured || context.threads || undefined;
}

export interface BackendSpec {
  /** The name in parity.config.json and on the command line (`--backend NAME`). */
  name: string;
  /** Which runner implements it, e.g. "reference", "onnxruntime-node". */
  runtime: string;
  /** Absolute path of the model folder this backend loads (the config's model, or its own override). */
  modelDir: string;
  /** Runtime-specific options straight from the config entry (device, model file, ...). */
  options: Record<string, unknown>;
  /** Absolute folder of the config file, for options that are paths relative to it (the `file` runtime's `path`). */
  configDir?: string;
}

export interface Backend {
  readonly name: string;
  /** Cheap check that says whether this backend can run here, and if not, why not. */
  availability(): Promise<Availability>;
  /** Load the model/session. Throws BackendError with the cause kept. */
  open(context: BackendContext): Promise<void>;
  /**
   * Embeddings for `texts`, one row per text, same order. `rows` gives each text's row in the
   * corpus, for backends that look vectors up rather than compute them (the `file` runtime).
   */
  embed(texts: readonly string[], rows?: readonly number[]): Promise<Matrix>;
  /** Facts about what actually ran (runtime versions, providers, model file hash...). */
  environment(): Record<string, unknown>;
  close(): Promise<void>;
  /**
   * Backends that compare vectors made elsewhere (the `file` runtime): throws InputError when they
   * were made with another prompt or truncateDim than this run's `model`, as a golden is refused.
   * `run` calls it up front, before anything runs.
   */
  checkMadeWith?(model: ModelInfo): void;
}

/** Builds a Backend from its config entry; the registry maps runtime names to these. */
export type BackendFactory = (spec: BackendSpec) => Backend;
