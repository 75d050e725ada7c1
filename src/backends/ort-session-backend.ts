/**
 * The part the two in-process ONNX Runtime backends (onnxruntime-node, onnxruntime-web) share: a
 * model file in the model folder (its external data beside it), an InferenceSession, feeds from the
 * one feeds builder (int32 where the file declares it, padded to a fixed sequence length where it has
 * one), the output chosen by output-choice.ts from the session's metadata, its rank checked, release on close. A subclass says how its runtime loads, how it
 * creates a session, and which output element types it can read; so the two differ only in the
 * runtime that runs the graph.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { padBatchTo, type PaddedBatch } from '../embed/batches.js';
import { BackendError, describeCause } from '../errors.js';
import { displayPath } from '../io/display-path.js';
import { sha256File } from '../io/hash.js';
import type { Availability, BackendContext, BackendSpec } from './backend.js';
import { HiddenStateBackend, type HiddenState } from './hidden-state-backend.js';
import { fixedSequenceLength, modelFeeds, type FeedInput, type GraphOptimizationLevel } from './ort-io.js';
import { checkOutputDims, chooseModelOutput, formatShape, parseOutputChoice, type DeclaredValue, type ModelOutput, type OutputChoice } from './output-choice.js';

/** What both runtimes' Tensor and InferenceSession look like to this class. */
export interface OrtTensorLike {
  type: string;
  dims: readonly number[];
  data: unknown;
}

/** onnxruntime-common's InferenceSession.ValueMetadata (1.22+). */
export interface OrtValueMetadata {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: readonly (number | string)[];
}

export interface OrtSessionLike<T> {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: readonly OrtValueMetadata[];
  readonly outputMetadata?: readonly OrtValueMetadata[];
  run(feeds: Record<string, T>, fetches: string[]): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

export abstract class OrtSessionBackend<T> extends HiddenStateBackend {
  protected session: OrtSessionLike<T> | null = null;
  protected readonly modelPath: string;
  protected modelHash = '';
  protected output: ModelOutput | null = null;
  protected readonly outputChoice: OutputChoice;
  protected feedInputs: FeedInput[] = [];
  /** The export's fixed sequence length (every batch is padded to it), or null when dynamic. */
  protected fixedSeq: number | null = null;
  /** Each input as the file declares it ("input_ids int32 [batch, 128]"), for the report. */
  private declaredInputs: string[] = [];
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
    this.outputChoice = parseOutputChoice(spec);
  }

  /** Whether the runtime itself loads here (the model file is checked before). */
  protected abstract runtimeAvailability(): Promise<Availability>;
  /** An InferenceSession on modelPath; throw BackendError with the cause kept. */
  protected abstract createSession(context: BackendContext): Promise<OrtSessionLike<T>>;
  /** An int64 tensor of this runtime. */
  protected abstract int64Tensor(data: BigInt64Array, dims: number[]): T;
  /** An int32 tensor of this runtime (for exports that declare int32 inputs). */
  protected abstract int32Tensor(data: Int32Array, dims: number[]): T;
  /** The output's values as numbers (decoding fp16 bits where needed); throw for a type it cannot read. */
  protected abstract outputValues(out: OrtTensorLike): ArrayLike<number>;

  async availability(): Promise<Availability> {
    if (!existsSync(this.modelPath)) return { available: false, reason: `model file ${this.modelPath} not found` };
    return this.runtimeAvailability();
  }

  protected async load(context: BackendContext): Promise<void> {
    const session = await this.createSession(context);
    this.session = session;
    this.modelHash = sha256File(this.modelPath);
    const declared = (names: readonly string[], meta: readonly OrtValueMetadata[] | undefined): DeclaredValue[] =>
      names.map((name) => {
        const m = meta?.find((v) => v.name === name);
        return { name, type: m?.type, shape: m?.isTensor && m.shape ? [...m.shape] : null };
      });
    const inputs = declared(session.inputNames, session.inputMetadata);
    const hidden = typeof context.model.config.hidden_size === 'number' ? context.model.config.hidden_size : null;
    this.output = chooseModelOutput(this.name, declared(session.outputNames, session.outputMetadata), hidden, this.outputChoice);
    this.feedInputs = inputs.map((i) => ({ name: i.name, int32: i.type === 'int32' }));
    this.fixedSeq = fixedSequenceLength(this.name, inputs);
    this.declaredInputs = inputs.map((i) => `${i.name} ${i.type ?? '?'} ${formatShape(i.shape)}`);
  }


  protected async forward(padded: PaddedBatch): Promise<HiddenState> {
    const session = this.session;
    const output = this.output;
    if (!session || !output) throw new BackendError(this.name, 'forward() before the session was created');
    let batch = padded;
    if (this.fixedSeq !== null) {
      if (padded.seq > this.fixedSeq) {
        throw new BackendError(
          this.name,
          `a batch needs ${padded.seq} positions but the export fixes its sequence length at ${this.fixedSeq}; export it with a dynamic sequence axis, or give this backend "maxTokens": ${this.fixedSeq} and a corpus of shorter texts`,
        );
      }
      batch = padBatchTo(padded, this.fixedSeq, this.context!.tokenizer.padId);
    }
    const feeds = modelFeeds(this.name, this.feedInputs, batch, (data, dims) =>
      data instanceof Int32Array ? this.int32Tensor(data, dims) : this.int64Tensor(data, dims),
    );
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
      inputTypes: this.session ? this.declaredInputs : null,
      // An export with a fixed sequence length is fed every batch padded to it: said, as it costs time.
      fixedSequenceLength: this.fixedSeq,
      ...(this.fixedSeq !== null ? { padding: `every batch padded to the export's fixed sequence length ${this.fixedSeq}` } : {}),
      output: this.output?.name ?? '',
      outputChosenBy: this.output?.by ?? null,
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
