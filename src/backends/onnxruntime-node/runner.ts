/**
 * `onnxruntime-node`: ONNX Runtime's native binding, CPU or CUDA execution provider, any ONNX file
 * in the model folder (fp32, fp16, fused attention). fp16 outputs come back as raw Uint16Array bits
 * on Node 20 (no Float16Array) and are decoded, never read as numbers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { BackendError, describeCause, InputError } from '../../errors.js';
import type { PaddedBatch } from '../../embed/batches.js';
import { displayPath } from '../../io/display-path.js';
import { sha256File } from '../../io/hash.js';
import { fromFloat16Bits } from '../../numeric/float16.js';
import type { Availability, BackendContext, BackendFactory, BackendSpec } from '../backend.js';
import { HiddenStateBackend, type HiddenState } from '../hidden-state-backend.js';
import { bertFeeds, checkHiddenStateDims, hiddenStateOutput } from '../ort-io.js';
import { cudaAvailability } from './cuda.js';

type Ort = typeof import('onnxruntime-node');
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

const require = createRequire(import.meta.url);

export function ortNodePackageDir(): string {
  return dirname(require.resolve('onnxruntime-node/package.json'));
}

export interface OrtNodeOptions {
  device: 'cpu' | 'cuda';
  /** ONNX file relative to the model folder. */
  modelFile: string;
  intraOpNumThreads?: number;
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
}

export function parseOrtNodeOptions(spec: BackendSpec): OrtNodeOptions {
  const o = spec.options;
  const device = o.device ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda') {
    throw new InputError(`backend "${spec.name}": "device" must be "cpu" or "cuda", got ${JSON.stringify(device)}`);
  }
  const modelFile = o.model ?? 'onnx/model.onnx';
  if (typeof modelFile !== 'string') throw new InputError(`backend "${spec.name}": "model" must be a path string`);
  const threads = o.threads;
  if (threads !== undefined && (!Number.isInteger(threads) || (threads as number) < 0)) {
    throw new InputError(`backend "${spec.name}": "threads" must be a non-negative integer (0 = runtime default)`);
  }
  const level = o.graphOptimizationLevel ?? 'all';
  if (!['disabled', 'basic', 'extended', 'all'].includes(level as string)) {
    throw new InputError(`backend "${spec.name}": "graphOptimizationLevel" must be disabled, basic, extended or all`);
  }
  return {
    device,
    modelFile,
    intraOpNumThreads: threads as number | undefined,
    graphOptimizationLevel: level as OrtNodeOptions['graphOptimizationLevel'],
  };
}

export class OrtNodeBackend extends HiddenStateBackend {
  private ort: Ort | null = null;
  private session: Session | null = null;
  private readonly options: OrtNodeOptions;
  private readonly modelPath: string;
  private modelHash = '';
  private outputName = '';
  private lastOutputType = '';

  constructor(spec: BackendSpec) {
    super(spec.name);
    this.options = parseOrtNodeOptions(spec);
    this.modelPath = resolve(spec.modelDir, this.options.modelFile);
  }

  async availability(): Promise<Availability> {
    if (!existsSync(this.modelPath)) {
      return { available: false, reason: `model file ${this.modelPath} not found` };
    }
    try {
      await this.loadOrt();
    } catch (error) {
      return { available: false, reason: `onnxruntime-node does not load: ${describeCause(error)}` };
    }
    if (this.options.device === 'cuda') return cudaAvailability(ortNodePackageDir());
    return { available: true };
  }

  private async loadOrt(): Promise<Ort> {
    if (!this.ort) this.ort = (await import('onnxruntime-node')) as Ort;
    return this.ort;
  }

  protected async load(_context: BackendContext): Promise<void> {
    const ort = await this.loadOrt();
    try {
      this.session = await ort.InferenceSession.create(this.modelPath, {
        executionProviders: [this.options.device],
        graphOptimizationLevel: this.options.graphOptimizationLevel,
        ...(this.options.intraOpNumThreads ? { intraOpNumThreads: this.options.intraOpNumThreads } : {}),
      });
    } catch (error) {
      throw new BackendError(this.name, `cannot create an ONNX Runtime session for ${this.modelPath} on ${this.options.device}: ${describeCause(error)}`, {
        cause: error,
      });
    }
    this.modelHash = sha256File(this.modelPath);
    this.outputName = hiddenStateOutput(this.session.outputNames);
  }

  protected async forward(batch: PaddedBatch): Promise<HiddenState> {
    const ort = this.ort!;
    const session = this.session!;
    const feeds = bertFeeds(this.name, session.inputNames, batch, (data, dims) => new ort.Tensor('int64', data, dims));
    let result;
    try {
      result = await session.run(feeds, [this.outputName]);
    } catch (error) {
      throw new BackendError(this.name, `session.run failed on a batch of ${batch.batch}×${batch.seq}: ${describeCause(error)}`, { cause: error });
    }
    const out = result[this.outputName];
    this.lastOutputType = out.type;
    checkHiddenStateDims(this.name, this.outputName, out.dims);
    const dim = Number(out.dims[2]);
    let data: ArrayLike<number>;
    if (out.type === 'float16') {
      // Node 20: raw half bits in a Uint16Array; a runtime with Float16Array gives numbers already.
      data = out.data instanceof Uint16Array ? fromFloat16Bits(out.data) : (out.data as unknown as ArrayLike<number>);
    } else if (out.type === 'float32' || out.type === 'float64') {
      data = out.data as Float32Array;
    } else {
      throw new BackendError(this.name, `output "${this.outputName}" has type ${out.type}; expected float32 or float16`);
    }
    return { data, seq: Number(out.dims[1]), dim };
  }

  environment(): Record<string, unknown> {
    let version = 'unknown';
    try {
      version = JSON.parse(readFileSync(join(ortNodePackageDir(), 'package.json'), 'utf8')).version;
    } catch {
      /* version stays unknown */
    }
    return {
      runtime: 'onnxruntime-node',
      version,
      executionProviders: [this.options.device],
      graphOptimizationLevel: this.options.graphOptimizationLevel,
      intraOpNumThreads: this.options.intraOpNumThreads ?? 'default',
      model: displayPath(this.modelPath),
      modelSha256: this.modelHash,
      output: this.outputName,
      outputType: this.lastOutputType,
    };
  }

  override async close(): Promise<void> {
    await this.session?.release();
    this.session = null;
    await super.close();
  }
}

export const createOrtNodeBackend: BackendFactory = (spec) => new OrtNodeBackend(spec);
