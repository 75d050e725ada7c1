/**
 * The part the two in-process ONNX Runtime backends (onnxruntime-node, onnxruntime-web) share: a
 * model file in the model folder, an InferenceSession, feeds from the one feeds builder, the output
 * chosen by name, its rank checked, release on close. A subclass says how its runtime loads, how it
 * creates a session, and which output element types it can read; so the two differ only in the
 * runtime that runs the graph.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PaddedBatch } from '../embed/batches.js';
import { BackendError, describeCause } from '../errors.js';
import { displayPath } from '../io/display-path.js';
import { sha256File } from '../io/hash.js';
import type { Availability, BackendContext, BackendSpec } from './backend.js';
import { HiddenStateBackend, type HiddenState } from './hidden-state-backend.js';
import { checkOutputDims, modelFeeds, selectModelOutput, type GraphOptimizationLevel, type ModelOutput } from './ort-io.js';

/** What both runtimes' Tensor and InferenceSession look like to this class. */
export interface OrtTensorLike {
  type: string;
  dims: readonly number[];
  data: unknown;
}

export interface OrtSessionLike<T> {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, T>, fetches: string[]): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

export abstract class OrtSessionBackend<T> extends HiddenStateBackend {
  protected session: OrtSessionLike<T> | null = null;
  protected readonly modelPath: string;
  protected modelHash = '';
  protected output: ModelOutput | null = null;
  protected lastOutputType = '';
  /** Whether the last batch came back pooled by the model (sentence vectors) rather than as token vectors. */
  protected lastPooledByModel: boolean | null = null;

  /**
   * @param graphOptimizationLevel the backend's option (parseGraphOptimizationLevel): createSession
   *   passes it to the session, and the environment reports it.
   */
  constructor(
    spec: BackendSpec,
    modelFile: string,
    protected readonly graphOptimizationLevel: GraphOptimizationLevel,
  ) {
    super(spec.name);
    this.modelPath = resolve(spec.modelDir, modelFile);
  }

  /** Whether the runtime itself loads here (the model file is checked before). */
  protected abstract runtimeAvailability(): Promise<Availability>;
  /** An InferenceSession on modelPath; throw BackendError with the cause kept. */
  protected abstract createSession(): Promise<OrtSessionLike<T>>;
  /** An int64 tensor of this runtime. */
  protected abstract int64Tensor(data: BigInt64Array, dims: number[]): T;
  /** The output's values as numbers (decoding fp16 bits where needed); throw for a type it cannot read. */
  protected abstract outputValues(out: OrtTensorLike): ArrayLike<number>;

  async availability(): Promise<Availability> {
    if (!existsSync(this.modelPath)) return { available: false, reason: `model file ${this.modelPath} not found` };
    return this.runtimeAvailability();
  }

  protected async load(_context: BackendContext): Promise<void> {
    const session = await this.createSession();
    this.session = session;
    this.modelHash = sha256File(this.modelPath);
    this.output = selectModelOutput(this.name, session.outputNames);
  }

  protected async forward(batch: PaddedBatch): Promise<HiddenState> {
    const session = this.session;
    const output = this.output;
    if (!session || !output) throw new BackendError(this.name, 'forward() before the session was created');
    const feeds = modelFeeds(this.name, session.inputNames, batch, (data, dims) => this.int64Tensor(data, dims));
    let result;
    try {
      result = await session.run(feeds, [output.name]);
    } catch (error) {
      throw new BackendError(this.name, `session.run failed on a batch of ${batch.batch}×${batch.seq}: ${describeCause(error)}`, { cause: error });
    }
    const out = result[output.name];
    this.lastOutputType = out.type;
    const dims = out.dims.map(Number);
    const tokens = checkOutputDims(this.name, output, dims);
    const data = this.outputValues(out);
    this.lastPooledByModel = !tokens;
    return tokens ? { data, seq: dims[1], dim: dims[2] } : { data, seq: 1, dim: dims[1], pooled: true };
  }

  /** The facts every ONNX Runtime backend reports about the model it ran and how its graph was optimized. */
  protected modelEnvironment(): Record<string, unknown> {
    return {
      graphOptimizationLevel: this.graphOptimizationLevel,
      model: displayPath(this.modelPath),
      modelSha256: this.modelHash,
      inputs: this.session ? [...this.session.inputNames] : null,
      output: this.output?.name ?? '',
      outputType: this.lastOutputType,
      pooledByModel: this.lastPooledByModel,
    };
  }

  override async close(): Promise<void> {
    await this.session?.release();
    this.session = null;
    await super.close();
  }
}
