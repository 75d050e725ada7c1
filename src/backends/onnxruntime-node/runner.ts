/**
 * `onnxruntime-node`: ONNX Runtime's native binding, CPU or CUDA execution provider, any ONNX file
 * in the model folder (fp32, fp16, fused attention). fp16 outputs come back as raw Uint16Array bits
 * on Node 20 (no Float16Array) and are decoded, never read as numbers.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BackendError, describeCause, InputError } from '../../errors.js';
import { fromFloat16Bits } from '../../numeric/float16.js';
import { threadsFor, type Availability, type BackendContext, type BackendFactory, type BackendSpec } from '../backend.js';
import { parseGraphOptimizationLevel, type GraphOptimizationLevel } from '../ort-io.js';
import { OrtSessionBackend, type OrtSessionLike, type OrtTensorLike } from '../ort-session-backend.js';
import { cudaAvailability } from './cuda.js';

type Ort = typeof import('onnxruntime-node');

const require = createRequire(import.meta.url);

export function ortNodePackageDir(): string {
  return dirname(require.resolve('onnxruntime-node/package.json'));
}

export interface OrtNodeOptions {
  device: 'cpu' | 'cuda';
  /** ONNX file relative to the model folder. */
  modelFile: string;
  intraOpNumThreads?: number;
  /** Default 'all' (ONNX Runtime's own default). */
  graphOptimizationLevel: GraphOptimizationLevel;
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
    throw new InputError(`backend "${spec.name}": "threads" must be a non-negative integer (0: as if unset)`);
  }
  return {
    device,
    modelFile,
    intraOpNumThreads: threads as number | undefined,
    graphOptimizationLevel: parseGraphOptimizationLevel(spec, 'all'),
  };
}

export class OrtNodeBackend extends OrtSessionBackend<InstanceType<Ort['Tensor']>> {
  private ort: Ort | null = null;
  private readonly options: OrtNodeOptions;
  /** The intra-op threads the session was created with (null: ONNX Runtime's default). */
  private intraOpNumThreads: number | null = null;

  constructor(spec: BackendSpec) {
    const options = parseOrtNodeOptions(spec);
    super(spec, options.modelFile, options.graphOptimizationLevel);
    this.options = options;
  }

  protected async runtimeAvailability(): Promise<Availability> {
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

  protected async createSession(context: BackendContext): Promise<OrtSessionLike<InstanceType<Ort['Tensor']>>> {
    const ort = await this.loadOrt();
    // The config's threads, else the command's share of the cores; 0 or neither: ONNX Runtime's default (one per core).
    this.intraOpNumThreads = threadsFor(this.options.intraOpNumThreads, context) ?? null;
    try {
      return (await ort.InferenceSession.create(this.modelPath, {
        executionProviders: [this.options.device],
        graphOptimizationLevel: this.graphOptimizationLevel,
        ...(this.intraOpNumThreads ? { intraOpNumThreads: this.intraOpNumThreads } : {}),
      })) as unknown as OrtSessionLike<InstanceType<Ort['Tensor']>>;
    } catch (error) {
      throw new BackendError(this.name, `cannot create an ONNX Runtime session for ${this.modelPath} on ${this.options.device}: ${describeCause(error)}`, {
        cause: error,
      });
    }
  }

  protected int32Tensor(data: Int32Array, dims: number[]): InstanceType<Ort['Tensor']> {
    return new this.ort!.Tensor('int32', data, dims);
  }

  protected int64Tensor(data: BigInt64Array, dims: number[]): InstanceType<Ort['Tensor']> {
    return new this.ort!.Tensor('int64', data, dims);
  }

  protected outputValues(out: OrtTensorLike): ArrayLike<number> {
    if (out.type === 'float16') {
      // Node 20: raw half bits in a Uint16Array; a runtime with Float16Array gives numbers already.
      return out.data instanceof Uint16Array ? fromFloat16Bits(out.data) : (out.data as ArrayLike<number>);
    }
    if (out.type === 'float32' || out.type === 'float64') return out.data as Float32Array | Float64Array;
    throw new BackendError(this.name, `output "${this.output?.name}" has type ${out.type}; expected float32 or float16`);
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
      intraOpNumThreads: this.intraOpNumThreads ?? (this.options.intraOpNumThreads || 'default'),
      ...this.modelEnvironment(),
    };
  }
}

export const createOrtNodeBackend: BackendFactory = (spec) => new OrtNodeBackend(spec);
