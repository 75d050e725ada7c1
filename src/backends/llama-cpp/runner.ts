/**
 * `llama-cpp`: a GGUF file run in process by llama.cpp through node-llama-cpp (its prebuilt CPU
 * binaries; gpu off by default), the way Ollama, LM Studio and llama-server embed.
 *
 * llama.cpp tokenizes with its own implementation and pools with the GGUF's pooling type; it does
 * not normalize. So, per text: the run's prompt is prepended (as the harness tokenizer does), llama.cpp
 * tokenizes it, its ids are compared with the harness (Hugging Face) tokenizer's and every
 * disagreement is kept for the report (a different token is a different input, not a kernel
 * difference), llama.cpp evaluates its own ids and pools, and the harness then applies the model's
 * Normalize module and truncateDim exactly as for ONNX (embed/pooling.ts finishVector). A text
 * longer than llama.cpp's context is a BackendError naming the text, never cut silently; one longer
 * than max_seq_length is cut as sentence-transformers cuts it unless `truncate` is false.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { BackendError, describeCause } from '../../errors.js';
import { finishVector } from '../../embed/pooling.js';
import { sha256File } from '../../io/hash.js';
import type { Matrix } from '../../numeric/matrix.js';
import { describeTokenAgreement, TokenAgreementAccumulator } from '../../tokenize/token-agreement.js';
import { threadsFor, type Availability, type Backend, type BackendContext, type BackendFactory, type BackendSpec } from '../backend.js';
import { NODE_LLAMA_CPP_INSTALL, parseLlamaCppOptions, type LlamaCppOptions } from './options.js';

type NodeLlamaCpp = typeof import('node-llama-cpp');
type Llama = Awaited<ReturnType<NodeLlamaCpp['getLlama']>>;
type LlamaModel = Awaited<ReturnType<Llama['loadModel']>>;
type LlamaEmbeddingContext = Awaited<ReturnType<LlamaModel['createEmbeddingContext']>>;
type Token = import('node-llama-cpp').Token;

const require = createRequire(import.meta.url);

/** llama.cpp's enum llama_pooling_type, as the GGUF's `<arch>.pooling_type` stores it. */
const POOLING_TYPES: Record<number, string> = { 0: 'none', 1: 'mean', 2: 'cls', 3: 'last', 4: 'rank' };
/** The sentence-transformers pooling mode that computes what each llama.cpp pooling type computes. */
const ST_MODE_OF: Record<string, string> = { mean: 'mean', cls: 'cls', last: 'lasttoken' };
/** llama.cpp's log lines worth keeping in the environment (it says what it changed or distrusts). */
const KEPT_LOG_LINES = 10;

/** node-llama-cpp's version from its package.json (its exports map does not expose that file: walk up from the entry). */
export function nodeLlamaCppVersion(): string | null {
  try {
    let dir = dirname(require.resolve('node-llama-cpp'));
    while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    return pkg.name === 'node-llama-cpp' ? pkg.version : null;
  } catch {
    return null;
  }
}

/**
 * node-llama-cpp binds llama.cpp once per process and keeps the first logger it was given, so one
 * Llama (per gpu setting) is shared and its log goes to whichever backend is loading (logListener).
 */
let logListener: ((level: string, line: string) => void) | null = null;
const llamas = new Map<string, Promise<Llama>>();

function sharedLlama(lib: NodeLlamaCpp, gpu: boolean): Promise<Llama> {
  const key = gpu ? 'gpu' : 'cpu';
  let llama = llamas.get(key);
  if (!llama) {
    llama = lib.getLlama({
      gpu: gpu ? 'auto' : false,
      // Prebuilt binaries only: never compile or download at run time.
      build: 'never',
      // info: llama.cpp says there whether it turned flash attention on.
      logLevel: lib.LlamaLogLevel.info,
      logger: (level, message) => {
        const line = message.trim();
        if (line) logListener?.(String(level), line);
      },
    });
    llama.catch(() => llamas.delete(key));
    llamas.set(key, llama);
  }
  return llama;
}

export class LlamaCppBackend implements Backend {
  private readonly options: LlamaCppOptions;
  private readonly modelPath: string;
  private lib: NodeLlamaCpp | null = null;
  private llama: Llama | null = null;
  private model: LlamaModel | null = null;
  private embedding: LlamaEmbeddingContext | null = null;
  private context: BackendContext | null = null;
  private tokens: TokenAgreementAccumulator | null = null;
  private facts: Record<string, unknown> = {};
  private readonly logLines: string[] = [];
  private truncated = 0;
  private contextSize = 0;
  /** The threads the embedding context was created with. */
  private threads: number | null = null;
  /** What llama.cpp's log said about flash attention (e.g. "auto -> enabled"). */
  private flashAttentionUsed: string | null = null;
  private readonly listener = (level: string, line: string) => this.onLog(level, line);

  readonly name: string;

  constructor(spec: BackendSpec) {
    this.name = spec.name;
    this.options = parseLlamaCppOptions(spec);
    this.modelPath = isAbsolute(this.options.modelFile) ? this.options.modelFile : join(spec.modelDir, this.options.modelFile);
  }

  async availability(): Promise<Availability> {
    try {
      this.lib ??= (await import('node-llama-cpp')) as NodeLlamaCpp;
    } catch (error) {
      return { available: false, reason: `node-llama-cpp is not installed (${describeCause(error).split('\n')[0]}); install it with ${NODE_LLAMA_CPP_INSTALL}` };
    }
    if (!existsSync(this.modelPath)) return { available: false, reason: `GGUF file ${this.modelPath} not found (npm run models writes gguf/model-{f32,f16,q8_0}.gguf)` };
    return { available: true };
  }

  async open(context: BackendContext): Promise<void> {
    this.context = context;
    const lib = this.lib ?? ((await import('node-llama-cpp')) as NodeLlamaCpp);
    this.lib = lib;
    try {
      logListener = this.listener;
      this.llama = await sharedLlama(lib, this.options.gpu);
      this.model = await this.llama.loadModel({
        modelPath: this.modelPath,
        gpuLayers: this.options.gpu ? 'auto' : 0,
        defaultContextFlashAttention: this.options.flashAttention,
      });
      const contextSize = this.options.contextSize ?? this.model.trainContextSize;
      this.contextSize = contextSize;
      // The config's threads, else the command's share of the cores, else node-llama-cpp's default (one per core).
      this.threads = threadsFor(this.options.threads, context) ?? this.llama.cpuMathCores;
      this.embedding = await this.model.createEmbeddingContext({
        contextSize,
        batchSize: this.options.batchSize ?? contextSize,
        threads: this.threads,
      });
      this.facts = this.describeModel(contextSize);
    } catch (error) {
      throw new BackendError(this.name, `llama.cpp cannot load ${this.modelPath}: ${describeCause(error)}`, { cause: error });
    }
    // llama.cpp's log reaches JS through a queue: let what it said while loading arrive before the
    // listener can move to another backend (it stays on this one until then).
    await new Promise((resolve) => setTimeout(resolve, 50));
    this.tokens = new TokenAgreementAccumulator('llama.cpp', 'Hugging Face tokenizer');
  }

  /** llama.cpp's log while this backend loads: what it decided (flash attention) and what it warns about. */
  private onLog(level: string, line: string): void {
    const flash = /flash_attn\s*=\s*(.+)$|Flash Attention (enabled|disabled)/.exec(line);
    if (flash) this.flashAttentionUsed = this.flashAttentionUsed && flash[2] ? `${this.flashAttentionUsed} -> ${flash[2]}` : (flash[1] ?? flash[2]);
    if (level !== 'info' && level !== 'log' && level !== 'debug' && this.logLines.length < KEPT_LOG_LINES) this.logLines.push(`${level}: ${line}`);
  }

  /** What the GGUF says about itself and what llama.cpp will do with it. */
  private describeModel(contextSize: number): Record<string, unknown> {
    const model = this.model!;
    const lib = this.lib!;
    const metadata = model.fileInfo.metadata as unknown as Record<string, Record<string, unknown>>;
    const architecture = String(metadata.general?.architecture ?? 'unknown');
    const fileTypeId = metadata.general?.file_type as number | undefined;
    const poolingId = metadata[architecture]?.pooling_type as number | undefined;
    const pooling = poolingId === undefined ? 'unset (llama.cpp default)' : (POOLING_TYPES[poolingId] ?? `type ${poolingId}`);
    const spec = this.context!.model.pooling;
    const stMode = ST_MODE_OF[pooling];
    const promptExcluded = !spec.includePrompt && this.context!.tokenizer.prompt !== null;
    return {
      architecture,
      fileType: fileTypeId === undefined ? 'unknown' : (lib.GgufFileType[fileTypeId] ?? `type ${fileTypeId}`),
      vocabulary: model.vocabularyType,
      contextSize,
      trainContextSize: model.trainContextSize,
      pooling: {
        llamaCpp: pooling,
        model: spec.mode,
        // llama.cpp pools every token it evaluated; sentence-transformers may leave the prompt out.
        matches: stMode !== undefined && spec.modes.length === 1 && spec.modes[0] === stMode && !promptExcluded,
      },
    };
  }

  async embed(texts: readonly string[], rows?: readonly number[]): Promise<Matrix> {
    const ctx = this.context;
    const model = this.model;
    const embedding = this.embedding;
    if (!ctx || !model || !embedding) throw new BackendError(this.name, 'embed() called before open()');
    const ggufTokens = (model.fileInfo.metadata as unknown as { tokenizer?: { ggml?: { tokens?: readonly string[] } } }).tokenizer?.ggml?.tokens ?? [];
    const ours = (id: number) => ggufTokens[id] ?? `<id ${id}>`;
    const theirs = (id: number) => ctx.tokenizer.tokenText?.(id) ?? `<id ${id}>`;
    const [begin, end] = this.specialTokens();
    const spec = { normalize: ctx.model.pooling.normalize, truncateDim: ctx.model.truncateDim };
    let out: Float32Array | null = null;
    let width = 0;
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i];
      const row = rows?.[i] ?? i;
      // The prompt goes in front of the text, as sentence-transformers and the harness tokenizer put it.
      const pieces = model.tokenize((ctx.tokenizer.prompt ?? '') + text, false);
      const room = ctx.tokenizer.maxLength - (begin === null ? 0 : 1) - (end === null ? 0 : 1);
      const cut = this.options.truncate && pieces.length > room;
      if (cut) this.truncated++;
      const ids: Token[] = [...(begin === null ? [] : [begin]), ...(cut ? pieces.slice(0, room) : pieces), ...(end === null ? [] : [end])];
      this.tokens!.add(row, text, ids as unknown as number[], ctx.tokenizer.encode(text).ids, ours, theirs);
      // node-llama-cpp refuses a sequence that fills the context (it keeps one position back).
      if (ids.length >= this.contextSize) {
        throw new BackendError(
          this.name,
          `text ${row} is ${ids.length} tokens in llama.cpp's tokenization, more than its context of ${this.contextSize} takes: raise "contextSize" (the GGUF was trained with ${model.trainContextSize}) or leave "truncate" on`,
        );
      }
      const vector = (await embedding.getEmbeddingFor(ids)).vector;
      if (!out) {
        width = spec.truncateDim ? Math.min(spec.truncateDim, vector.length) : vector.length;
        out = new Float32Array(texts.length * width);
      }
      finishVector(Float64Array.from(vector), spec, out, i * width);
    }
    return { rows: texts.length, dim: width, data: out ?? new Float32Array(0) };
  }

  /**
   * The tokens llama.cpp wraps a text in, by node-llama-cpp's rule (utils/tokenizerUtils.js, after
   * llama_tokenize_impl in llama-vocab.cpp): WordPiece gets BOS ([CLS]) and SEP, others BOS/EOS as
   * the GGUF asks. Passed explicitly so the ids compared are the ids evaluated.
   */
  private specialTokens(): [Token | null, Token | null] {
    const model = this.model!;
    const t = model.tokens;
    const vocab = String(model.vocabularyType);
    if (vocab === 'rwkv') return [null, null];
    if (vocab === 'wpm') return [t.bos, t.sep];
    if (vocab === 'ugm') return [null, t.eos];
    return [t.shouldPrependBosToken ? t.bos : null, t.shouldAppendEosToken ? t.eos : null];
  }

  environment(): Record<string, unknown> {
    const tokens = this.tokens?.result();
    return {
      runtime: 'llama-cpp',
      nodeLlamaCpp: nodeLlamaCppVersion() ?? 'not installed',
      llamaCpp: this.llama ? { release: this.llama.llamaCppRelease.release, repo: this.llama.llamaCppRelease.repo, build: this.llama.buildType, cpu: this.llama.systemInfo.trim() } : undefined,
      gpu: this.llama ? this.llama.gpu : this.options.gpu ? 'auto' : false,
      threads: this.threads ?? (this.options.threads || 'default'),
      model: this.options.modelFile,
      modelSha256: existsSync(this.modelPath) ? sha256File(this.modelPath) : undefined,
      ...this.facts,
      flashAttention: { option: this.options.flashAttention, llamaCpp: this.flashAttentionUsed ?? 'not logged' },
      truncate: this.options.truncate ? { atMaxSeqLength: this.context?.tokenizer.maxLength, textsCut: this.truncated } : false,
      tokenizer: tokens ? { texts: tokens.texts, disagreeing: tokens.disagreeing, examples: tokens.examples, diagnosis: describeTokenAgreement(tokens) } : undefined,
      llamaCppLog: this.logLines.length ? [...this.logLines] : undefined,
    };
  }

  async close(): Promise<void> {
    if (logListener === this.listener) logListener = null;
    await this.embedding?.dispose();
    await this.model?.dispose();
    this.embedding = null;
    this.model = null;
    this.context = null;
  }
}

export const createLlamaCppBackend: BackendFactory = (spec) => new LlamaCppBackend(spec);
