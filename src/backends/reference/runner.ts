/**
 * `reference`: the float64 TypeScript BertModel — an oracle independent of ONNX Runtime. BERT family only.
 * Option `threads` (default: what the command gives it, else the machine's cores up to 8): the texts of an embed() call run whole on that many
 * worker threads (forward-pool.ts), each text by the same code as on one thread, so the vectors are
 * bit-identical whatever the count; `threads: 1` runs in the calling thread, with no worker.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BackendError, describeCause, InputError } from '../../errors.js';
import { realStart, type PaddedBatch } from '../../embed/batches.js';
import { compiledScript } from '../../io/compiled-script.js';
import { displayPath } from '../../io/display-path.js';
import { sha256File } from '../../io/hash.js';
import { readSafetensors } from '../../model/safetensors.js';
import { GELU_FORMS, type GeluForm } from '../../numeric/gelu.js';
import { threadsFor, type Availability, type BackendContext, type BackendFactory, type BackendSpec } from '../backend.js';
import { HiddenStateBackend, type HiddenState } from '../hidden-state-backend.js';
import type { Matrix } from '../../numeric/matrix.js';
import { BertFloat64, type BertFloat64Options } from './bert-f64.js';
import { ForwardPool, type ForwardJob } from './forward-pool.js';
import { shareWeights } from './shared-weights.js';
import { loadModelInfo } from '../../model/model-folder.js';

// roformer: BERT blocks with rotary q/k (positionKind in model/bert-config.ts); ALiBi models are
// model_type "bert" with position_embedding_type "alibi", as JinaBERT's config has it.
const BERT_TYPES = new Set(['bert', 'roformer']);

/**
 * Threads when the option is not set. Each thread packs its own copy of the Linear weights for the
 * kernel (about 85 MB on MiniLM), so one per core on a 64-core machine would hold gigabytes for a
 * check whose corpus rarely has that many texts per call.
 */
export const DEFAULT_MAX_THREADS = 8;

export class ReferenceBackend extends HiddenStateBackend {
  /** The model in this thread (threads: 1), or the worker threads that each hold one. */
  private model: BertFloat64 | null = null;
  private pool: ForwardPool | null = null;
  /** Threads allowed: the option, else what the command gives (context.threads), else the machine's cores (set by load). */
  private maxThreads = 1;
  /** Threads that have run forward passes: the largest call's share of maxThreads (kept after close, for the report). */
  private threadsUsed = 1;
  /** Why the default thread count fell back to this thread, when it did (the worker script is not built). */
  private threadsFallback: string | null = null;
  private weightsPath = '';
  private weightsHash = '';

  constructor(
    name: string,
    private readonly modelDir: string,
    /** Option `gelu`: compute another GELU form than the config's (an experiment, recorded in the environment). */
    private readonly gelu: GeluForm | null = null,
    /** Option `threads` (null: not set, one per core up to DEFAULT_MAX_THREADS). */
    private readonly threads: number | null = null,
  ) {
    super(name);
  }

  /** The compiled forward-worker.js (see compiledScript); null before a build. A test swaps in another. */
  protected workerScript(): URL | null {
    const path = compiledScript(import.meta.url, 'forward-worker.js');
    return path ? pathToFileURL(path) : null;
  }

  async availability(): Promise<Availability> {
    const dir = this.modelDir;
    const weights = join(dir, 'model.safetensors');
    if (!existsSync(weights)) return { available: false, reason: `no model.safetensors in ${dir} (the reference reads safetensors weights)` };
    try {
      const info = loadModelInfo(dir);
      if (!BERT_TYPES.has(info.config.model_type)) {
        return { available: false, reason: `the reference implements BERT only; this model's model_type is "${info.config.model_type}"` };
      }
    } catch (error) {
      return { available: false, reason: describeCause(error) };
    }
    return { available: true };
  }

  protected async load(context: BackendContext): Promise<void> {
    this.weightsPath = join(context.model.dir, 'model.safetensors');
    this.maxThreads = threadsFor(this.threads, context) ?? Math.min(availableParallelism(), DEFAULT_MAX_THREADS);
    const options: BertFloat64Options = this.gelu ? { gelu: this.gelu } : {};
    const script = this.maxThreads > 1 ? this.workerScript() : null;
    if (this.maxThreads > 1 && !script) {
      const missing = 'dist/backends/reference/forward-worker.js, which is not built (run npx tsc -p tsconfig.json)';
      if (this.threads !== null) throw new BackendError(this.name, `"threads": ${this.threads} needs the worker script ${missing}, or set "threads": 1`);
      this.threadsFallback = `no worker script ${missing}: ran in one thread`;
    }
    try {
      const tensors = readSafetensors(this.weightsPath);
      this.weightsHash = sha256File(this.weightsPath);
      if (script) {
        this.pool = new ForwardPool(this.name, script, { config: context.model.config, weights: shareWeights(tensors), options });
      } else {
        this.model = new BertFloat64(context.model.config, tensors, options);
      }
    } catch (error) {
      throw new BackendError(this.name, `cannot build the float64 BERT from ${this.weightsPath}: ${describeCause(error)}`, { cause: error });
    }
    // One thread now, so that weights it cannot build fail the open, not the first embed.
    await this.pool?.grow(1);
  }

  override async embed(texts: readonly string[]): Promise<Matrix> {
    // More threads than texts would only hold more weights; a later, larger call starts the rest.
    if (this.pool) {
      await this.pool.grow(Math.min(this.maxThreads, Math.max(1, texts.length)));
      this.threadsUsed = this.pool.size;
    }
    return super.embed(texts);
  }

  override async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.close();
    await super.close();
  }

  protected override outputType(): 'float64' {
    return 'float64';
  }

  protected async forward(batch: PaddedBatch): Promise<HiddenState> {
    // Each sequence runs alone and unpadded: the reference never sees a mask.
    const jobs: ForwardJob[] = [];
    const starts: number[] = [];
    for (let b = 0; b < batch.batch; b++) {
      const len = batch.lengths[b];
      const start = b * batch.seq + realStart(batch, b);
      const ids = new Int32Array(len);
      const types = new Int32Array(len);
      for (let t = 0; t < len; t++) {
        ids[t] = Number(batch.inputIds[start + t]);
        types[t] = Number(batch.tokenTypeIds[start + t]);
      }
      jobs.push({ ids, types });
      starts.push(start);
    }
    const dim = this.context!.model.config.hidden_size;
    const data = new Float64Array(batch.batch * batch.seq * dim);
    const place = (b: number, out: Float64Array) => data.set(out, starts[b] * dim);
    const model = this.model;
    if (model) jobs.forEach((j, b) => place(b, model.forward(Array.from(j.ids), Array.from(j.types))));
    else await this.pool!.forward(jobs, place);
    return { data, seq: batch.seq, dim };
  }

  environment(): Record<string, unknown> {
    return {
      runtime: 'parity float64 TypeScript BertModel',
      precision: 'float64',
      weights: displayPath(this.weightsPath),
      weightsSha256: this.weightsHash,
      ...(this.gelu ? { gelu: this.gelu } : {}),
      // 1: this thread, no worker.
      threads: this.threadsUsed,
      ...(this.threadsFallback ? { threadsFallback: this.threadsFallback } : {}),
    };
  }
}

function parseGelu(spec: BackendSpec): GeluForm | null {
  const g = spec.options.gelu;
  if (g === undefined) return null;
  if (!GELU_FORMS.includes(g as GeluForm)) {
    throw new InputError(`backend "${spec.name}": "gelu" must be one of ${GELU_FORMS.map((f) => `"${f}"`).join(', ')}, got ${JSON.stringify(g)}`);
  }
  return g as GeluForm;
}

function parseThreads(spec: BackendSpec): number | null {
  const n = spec.options.threads;
  if (n === undefined) return null;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new InputError(`backend "${spec.name}": "threads" must be an integer >= 1 (worker threads for the forward passes; 1: none), got ${JSON.stringify(n)}`);
  }
  return n;
}

export const createReferenceBackend: BackendFactory = (spec) => new ReferenceBackend(spec.name, spec.modelDir, parseGelu(spec), parseThreads(spec));
