/**
 * `transformers.js`: what a JavaScript developer ships — @huggingface/transformers'
 * `pipeline('feature-extraction', dir)` called with the model's own pooling and normalisation.
 * Its tokenizer, truncation, padding, session and pooling are compared AS IS: this runner does not
 * use the harness tokenizer or HiddenStateBackend, so every difference transformers.js makes
 * (e.g. cutting the finished sequence at model_max_length and dropping the final [SEP] of a long
 * text, see src/tokenize/tokenizer.ts) shows up in the numbers.
 *
 * Offline only: env.allowRemoteModels = false and an absolute model folder, which transformers.js
 * reads directly (a relative "a/b" would be taken as a hub id).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { BackendError, describeCause, InputError } from '../../errors.js';
import { displayPath } from '../../io/display-path.js';
import { sha256File } from '../../io/hash.js';
import { loadModelInfo, type PoolingConfig, type PoolingMode, type Prompt } from '../../model/model-folder.js';
import { threadsFor, type Availability, type Backend, type BackendContext, type BackendFactory, type BackendSpec } from '../backend.js';
import type { Matrix } from '../../numeric/matrix.js';
import { cudaAvailability } from '../onnxruntime-node/cuda.js';
import { ortNodePackageDir } from '../onnxruntime-node/runner.js';
import { importTransformers } from '../../tokenize/tokenizer.js';

type Transformers = typeof import('@huggingface/transformers');

/**
 * transformers.js 4.x file naming (utils/dtypes.js DEFAULT_DTYPE_SUFFIX_MAPPING): dtype "fp16"
 * loads onnx/model_fp16.onnx, "q8" onnx/model_quantized.onnx, and so on.
 */
export const DTYPE_SUFFIX: Record<string, string> = {
  fp32: '',
  fp16: '_fp16',
  int8: '_int8',
  uint8: '_uint8',
  q8: '_quantized',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

const DEVICES = ['cpu', 'cuda'] as const;
type Device = (typeof DEVICES)[number];

/** sentence-transformers pooling → the feature-extraction pipeline's `pooling` option. */
type PipelinePooling = 'mean' | 'cls' | 'last_token';
// cls reads position 0 and last_token the last position of the padded batch: right for right- and
// left-padded tokenizers respectively, which is what the app gets.
const PIPELINE_POOLING: Partial<Record<PoolingMode, PipelinePooling>> = { mean: 'mean', cls: 'cls', lasttoken: 'last_token' };

/** The pipeline's pooling for a model's, or why there is none. */
function pipelinePooling(pooling: PoolingConfig, prompt: Prompt | null): PipelinePooling | string {
  const mode = pooling.modes.length === 1 ? PIPELINE_POOLING[pooling.modes[0]] : undefined;
  if (!mode) return `the model pools with "${pooling.mode}", which transformers.js feature-extraction does not offer (mean, cls, last_token)`;
  if (!pooling.includePrompt && prompt?.text) return 'the model leaves the prompt out of pooling (include_prompt false), which transformers.js feature-extraction cannot';
  return mode;
}

export interface TransformersJsOptions {
  dtype: string;
  device: Device;
  /** ONNX Runtime's intraOpNumThreads (session_options); 0 or unset: the command's share of the cores, else ONNX Runtime's default. */
  threads?: number;
}

export function parseTransformersJsOptions(spec: BackendSpec): TransformersJsOptions {
  const o = spec.options;
  const dtype = o.dtype ?? 'fp32';
  if (typeof dtype !== 'string' || !(dtype in DTYPE_SUFFIX)) {
    throw new InputError(`backend "${spec.name}": "dtype" must be one of ${Object.keys(DTYPE_SUFFIX).join(', ')}, got ${JSON.stringify(o.dtype)}`);
  }
  const device = o.device ?? 'cpu';
  if (!DEVICES.includes(device as Device)) {
    throw new InputError(`backend "${spec.name}": "device" must be one of ${DEVICES.join(', ')}, got ${JSON.stringify(o.device)}`);
  }
  const threads = o.threads;
  if (threads !== undefined && (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 0)) {
    throw new InputError(`backend "${spec.name}": "threads" must be a non-negative integer (0: as if unset), got ${JSON.stringify(threads)}`);
  }
  return { dtype, device: device as Device, ...(threads ? { threads } : {}) };
}

/** The ONNX file transformers.js loads for a dtype, relative to the model folder. */
export function transformersJsModelFile(dtype: string): string {
  return `onnx/model${DTYPE_SUFFIX[dtype]}.onnx`;
}


type Extractor = Awaited<ReturnType<Transformers['pipeline']>> & {
  (texts: string[], options: { pooling: PipelinePooling; normalize: boolean }): Promise<TensorLike>;
};
interface TensorLike {
  type: string;
  dims: number[];
  data: ArrayLike<number>;
  to(type: string): TensorLike;
}

export class TransformersJsBackend implements Backend {
  private readonly options: TransformersJsOptions;
  private readonly modelDir: string;
  private readonly modelPath: string;
  private transformers: Transformers | null = null;
  private extractor: Extractor | null = null;
  private batchSize = 16;
  private pooling: { mode: PipelinePooling; normalize: boolean } | null = null;
  /** sentence-transformers' prompt, prepended to each text (truncate_dim is the registry's shared step). */
  private prompt = '';
  private loadedFiles: string[] = [];
  private modelHash = '';
  private maxLength: number | null = null;
  private outputType = '';
  private sessionInfo: Record<string, unknown> = {};
  /** The intraOpNumThreads handed to ONNX Runtime (null: its default). */
  private intraOpNumThreads: number | null = null;

  constructor(readonly name: string, spec: BackendSpec) {
    this.options = parseTransformersJsOptions(spec);
    this.modelDir = resolve(spec.modelDir);
    this.modelPath = resolve(this.modelDir, transformersJsModelFile(this.options.dtype));
  }

  async availability(): Promise<Availability> {
    if (!existsSync(this.modelPath)) {
      return { available: false, reason: `transformers.js dtype "${this.options.dtype}" loads ${this.modelPath}, which is not there` };
    }
    try {
      const info = loadModelInfo(this.modelDir);
      const mode = pipelinePooling(info.pooling, info.prompt);
      if (!(Object.values(PIPELINE_POOLING) as string[]).includes(mode)) return { available: false, reason: mode };
      this.transformers = await importTransformers();
    } catch (error) {
      return { available: false, reason: `@huggingface/transformers does not load: ${describeCause(error)}` };
    }
    if (this.options.device === 'cuda') return cudaAvailability(ortNodePackageDir());
    return { available: true };
  }

  async open(context: BackendContext): Promise<void> {
    const tf = (this.transformers ??= await importTransformers());
    const mode = pipelinePooling(context.model.pooling, context.model.prompt);
    if (!(Object.values(PIPELINE_POOLING) as string[]).includes(mode)) throw new BackendError(this.name, mode);
    this.pooling = { mode: mode as PipelinePooling, normalize: context.model.pooling.normalize };
    this.prompt = context.model.prompt?.text ?? '';
    this.batchSize = context.batchSize;
    const loaded: string[] = [];
    try {
      this.intraOpNumThreads = threadsFor(this.options.threads, context) ?? null;
      this.extractor = (await tf.pipeline('feature-extraction', this.modelDir, {
        dtype: this.options.dtype as 'fp32',
        device: this.options.device,
        // Handed to ONNX Runtime's InferenceSession.create as they are (transformers.js models/session.js).
        ...(this.intraOpNumThreads ? { session_options: { intraOpNumThreads: this.intraOpNumThreads } } : {}),
        local_files_only: true,
        progress_callback: (event: { status: string; file?: string }) => {
          if (event.status === 'done' && event.file?.endsWith('.onnx')) loaded.push(event.file);
        },
      })) as unknown as Extractor;
    } catch (error) {
      throw new BackendError(this.name, `transformers.js cannot load ${this.modelDir} (dtype ${this.options.dtype}, device ${this.options.device}): ${describeCause(error)}`, {
        cause: error,
      });
    }
    this.loadedFiles = loaded;
    this.modelHash = sha256File(this.modelPath);
    const ex = this.extractor as unknown as {
      tokenizer?: { model_max_length?: number };
      model?: { sessions?: Record<string, { config?: unknown; handler?: object; inputNames?: string[] }> };
    };
    const maxLength = ex.tokenizer?.model_max_length;
    this.maxLength = typeof maxLength === 'number' && Number.isFinite(maxLength) ? maxLength : null;
    const session = ex.model?.sessions?.model;
    this.sessionInfo = {
      sessionConfig: session?.config ?? null,
      sessionHandler: session?.handler?.constructor?.name ?? 'unknown',
      inputs: session?.inputNames ?? [],
    };
  }

  async embed(texts: readonly string[]): Promise<Matrix> {
    const extractor = this.extractor;
    const pooling = this.pooling;
    if (!extractor || !pooling) throw new BackendError(this.name, 'embed() called before open()');
    let out: Float32Array | null = null;
    let dim = 0;
    for (let start = 0; start < texts.length; start += this.batchSize) {
      const batch = texts.slice(start, start + this.batchSize);
      let tensor: TensorLike;
      try {
        tensor = await extractor(
          batch.map((t) => this.prompt + t),
          { pooling: pooling.mode, normalize: pooling.normalize },
        );
      } catch (error) {
        throw new BackendError(this.name, `feature-extraction failed on texts ${start}..${start + batch.length - 1}: ${describeCause(error)}`, { cause: error });
      }
      this.outputType = tensor.type;
      // fp16 models: the pooled tensor is float16. On a runtime without Float16Array (Node 20) its
      // data is a Uint16Array, and transformers.js 4.3.1's mean_pooling/normalize have already run on
      // those raw half bits, so the decoded vectors are meaningless; that is what the app gets, and
      // the comparison shows it (test/backends/transformersjs/runner.test.ts).
      if (tensor.type !== 'float32') tensor = tensor.to('float32');
      if (tensor.dims.length !== 2 || tensor.dims[0] !== batch.length) {
        throw new BackendError(this.name, `pipeline returned dims [${tensor.dims}] for ${batch.length} texts, expected [${batch.length}, hidden]`);
      }
      const full = tensor.dims[1];
      if (!out) {
        dim = full;
        out = new Float32Array(texts.length * dim);
      } else if (full !== dim) {
        throw new BackendError(this.name, `embedding size changed between batches (${dim} then ${full})`);
      }
      out.set((tensor.data as Float32Array).subarray(0, batch.length * dim), start * dim);
    }
    return { rows: texts.length, dim, data: out ?? new Float32Array(0) };
  }

  environment(): Record<string, unknown> {
    const tf = this.transformers;
    const ortVersions = (tf?.env.backends.onnx as { versions?: Record<string, string> } | undefined)?.versions ?? {};
    const ortRuntime = ortVersions.node ? 'onnxruntime-node' : ortVersions.web ? 'onnxruntime-web' : 'unknown';
    return {
      runtime: 'transformers.js',
      version: tf?.env.version ?? 'unknown',
      task: 'feature-extraction',
      dtype: this.options.dtype,
      device: this.options.device,
      intraOpNumThreads: this.intraOpNumThreads ?? (this.options.threads || 'default'),
      pooling: this.pooling?.mode ?? null,
      normalize: this.pooling?.normalize ?? null,
      tokenizer: 'transformers.js pipeline (padding: true, truncation: true)',
      maxLength: this.maxLength,
      model: displayPath(this.modelPath),
      modelSha256: this.modelHash,
      loadedOnnxFiles: this.loadedFiles,
      onnxRuntime: ortRuntime,
      onnxRuntimeVersion: ortVersions.node ?? ortVersions.web ?? 'unknown',
      onnxRuntimeCommon: ortVersions.common ?? 'unknown',
      ...this.sessionInfo,
      outputType: this.outputType,
    };
  }

  async close(): Promise<void> {
    const ex = this.extractor as unknown as { dispose?: () => Promise<void> } | null;
    this.extractor = null;
    await ex?.dispose?.();
  }
}

export const createTransformersJsBackend: BackendFactory = (spec) => new TransformersJsBackend(spec.name, spec);
