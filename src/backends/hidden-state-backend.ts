/**
 * Shared shape of every backend that runs a transformer and returns its token vectors: tokenize with
 * the harness tokenizer (prompt included), pad into batches on the tokenizer's side, run the runtime,
 * then pool + normalize + truncate in the harness as sentence-transformers does. Subclasses
 * implement only `forward` for one padded batch, so two such backends can differ only in their kernels.
 */
import { BackendError } from '../errors.js';
import { makeBatches, realStart, type PaddedBatch } from '../embed/batches.js';
import { finishVector, pooledDim, poolSequence, type PoolingSpec } from '../embed/pooling.js';
import type { Backend, BackendContext, Availability } from './backend.js';
import type { Matrix } from '../numeric/matrix.js';

export interface HiddenState {
  /** [batch, seq, dim] row-major; [batch, dim] when `pooled`. */
  data: ArrayLike<number>;
  seq: number;
  dim: number;
  /** The model pooled itself (a sentence_embedding output): only Normalize and truncation remain. */
  pooled?: boolean;
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
    const batches = makeBatches(encoded, ctx.batchSize, ctx.tokenizer.padId, { sortByLength: true, paddingSide: ctx.tokenizer.paddingSide });
    // Full vectors: truncateDim is the shared step's (the registry declares it "harness" for these runtimes).
    const spec: PoolingSpec = ctx.model.pooling;
    let out: Float32Array | Float64Array | null = null;
    let width = 0;
    let shape = '';
    for (const batch of batches) {
      const started = performance.now();
      const hidden = await this.forward(batch);
      this.forwardObserver?.(performance.now() - started, batch);
      const rowWidth = hidden.pooled ? hidden.dim : pooledDim(hidden.dim, spec);
      const thisShape = `${hidden.pooled ? 'sentence' : 'token'} vectors of ${hidden.dim}`;
      if (!out) {
        width = rowWidth;
        shape = thisShape;
        out = this.outputType() === 'float64' ? new Float64Array(texts.length * width) : new Float32Array(texts.length * width);
      } else if (thisShape !== shape) {
        throw new BackendError(this.name, `output changed between batches (${shape}, then ${thisShape})`);
      }
      const dim = hidden.dim;
      batch.rows.forEach((row, b) => {
        if (hidden.pooled) {
          const acc = Float64Array.from({ length: dim }, (_, d) => hidden.data[b * dim + d]);
          finishVector(acc, spec, out!, row * width);
        } else {
          // hidden.seq, not batch.seq: an export with a fixed sequence length returns more positions.
          const offset = (b * hidden.seq + realStart({ paddingSide: batch.paddingSide, seq: hidden.seq, lengths: batch.lengths }, b)) * dim;
          poolSequence(hidden.data, { offset, length: batch.lengths[b], promptLength: batch.promptLengths[b] }, dim, spec, out!, row * width);
        }
      });
    }
    return { rows: texts.length, dim: width, data: out ?? new Float32Array(0) };
  }

  async close(): Promise<void> {
    this.context = null;
  }
}
