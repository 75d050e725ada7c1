/**
 * Shared shape of every backend that runs a transformer and returns last_hidden_state: tokenize with
 * the harness tokenizer, pad into batches, run the runtime, then pool + normalize in the harness.
 * Subclasses implement only `forward` for one padded batch, so two such backends can differ only
 * in their kernels.
 */
import { BackendError } from '../errors.js';
import { makeBatches, type PaddedBatch } from '../embed/batches.js';
import { poolSequence } from '../embed/pooling.js';
import type { Backend, BackendContext, Availability } from './backend.js';
import type { Matrix } from '../numeric/matrix.js';

export interface HiddenState {
  /** [batch, seq, dim] row-major. */
  data: ArrayLike<number>;
  seq: number;
  dim: number;
}

export abstract class HiddenStateBackend implements Backend {
  protected context: BackendContext | null = null;
  /** Sees every forward pass with its wall time (for `parity bench`'s batch latencies). */
  forwardObserver: ((ms: number, batch: PaddedBatch) => void) | null = null;

  constructor(readonly name: string) {}

  abstract availability(): Promise<Availability>;
  abstract environment(): Record<string, unknown>;
  /** Loads the runtime/session; `context` is set before this is called. */
  protected abstract load(context: BackendContext): Promise<void>;
  /** last_hidden_state for one padded batch. */
  protected abstract forward(batch: PaddedBatch): Promise<HiddenState>;
  /** Float64Array for an exact reference, Float32Array for runtimes (their native precision or wider). */
  protected outputType(): 'float32' | 'float64' {
    return 'float32';
  }

  async open(context: BackendContext): Promise<void> {
    this.context = context;
    await this.load(context);
  }

  async embed(texts: readonly string[]): Promise<Matrix> {
    const ctx = this.context;
    if (!ctx) throw new BackendError(this.name, 'embed() called before open()');
    const encoded = texts.map((t) => ctx.tokenizer.encode(t));
    // Length-sorted batches: the batch size (and so the batch composition) must not change a
    // vector beyond rounding anyway, and sorting removes most padding.
    const batches = makeBatches(encoded, ctx.batchSize, ctx.tokenizer.padId, { sortByLength: true });
    let out: Float32Array | Float64Array | null = null;
    let dim = 0;
    for (const batch of batches) {
      const started = performance.now();
      const hidden = await this.forward(batch);
      this.forwardObserver?.(performance.now() - started, batch);
      if (!out) {
        dim = hidden.dim;
        out = this.outputType() === 'float64' ? new Float64Array(texts.length * dim) : new Float32Array(texts.length * dim);
      } else if (hidden.dim !== dim) {
        throw new BackendError(this.name, `hidden size changed between batches (${dim} then ${hidden.dim})`);
      }
      batch.rows.forEach((row, b) => {
        poolSequence(hidden.data, b * hidden.seq * dim, batch.lengths[b], dim, ctx.model.pooling, out!, row * dim);
      });
    }
    return { rows: texts.length, dim, data: out ?? new Float32Array(0) };
  }

  async close(): Promise<void> {
    this.context = null;
  }
}
