/**
 * Reads a model folder in Hugging Face / sentence-transformers layout (config.json, tokenizer files,
 * modules.json, 1_Pooling/config.json, sentence_bert_config.json, onnx/*.onnx). Nothing here is
 * specific to the fixture: a downloaded Xenova/all-MiniLM-L6-v2 folder loads through the same code.
 */
import { similarityName, type SimilarityName } from '../numeric/similarity.js';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { BertConfig } from './bert-config.js';
import { readJson } from '../io/read-json.js';

/** sentence-transformers' pooling modes (models/Pooling.py), `mean_sqrt_len_tokens` named `mean_sqrt_len`. */
export type PoolingMode = 'cls' | 'mean' | 'max' | 'mean_sqrt_len' | 'weightedmean' | 'lasttoken';
export const POOLING_MODES: readonly PoolingMode[] = ['cls', 'max', 'mean', 'mean_sqrt_len', 'weightedmean', 'lasttoken'];

export interface PoolingConfig {
  /** The modes joined with "+" (e.g. "mean", "max+mean_sqrt_len"), for reports and golden metas. */
  mode: string;
  /** One or more modes; the pooled vectors are concatenated in this order, as sentence-transformers does. */
  modes: PoolingMode[];
  /** From modules.json: a sentence_transformers.models.Normalize module follows pooling. */
  normalize: boolean;
  /** Pooling's include_prompt: false leaves the prompt's tokens out of the pooled positions. */
  includePrompt: boolean;
}

/** A prompt from config_sentence_transformers.json, prepended to every text. */
export interface Prompt {
  name: string;
  text: string;
}

/** Per-run choices that change what sentence-transformers' encode() returns. */
export interface EmbeddingChoices {
  /** A key of the model's prompts; undefined: the model's default_prompt_name; null or "": no prompt. */
  promptName?: string | null;
  /** Matryoshka: keep the first N dimensions (sentence-transformers' truncate_dim). */
  truncateDim?: number | null;
}

/**
 * The choices as resolved against the model folder: the prompt that applies by name (null: none,
 * whether chosen or for want of a default_prompt_name) and truncateDim (null: every dimension).
 * Loading the model folder with these gives the same prompt and width as the choices did.
 */
export interface ResolvedEmbedding {
  promptName: string | null;
  truncateDim: number | null;
}

export function resolvedEmbedding(model: Pick<ModelInfo, 'prompt' | 'truncateDim'>): ResolvedEmbedding {
  return { promptName: model.prompt?.name ?? null, truncateDim: model.truncateDim };
}

export interface ModelInfo {
  dir: string;
  /** config.json; only the BERT reference reads more than the sizes. */
  config: BertConfig;
  pooling: PoolingConfig;
  /** sentence-transformers max_seq_length (overrides tokenizer.json truncation), capped by positions. */
  maxSeqLength: number;
  /** config_sentence_transformers.json's prompts (name → text) and default_prompt_name. */
  prompts: Record<string, string>;
  defaultPromptName: string | null;
  /** The prompt this run uses (the choice, else the default), or null. */
  prompt: Prompt | null;
  /** Keep the first N dimensions of every vector (after the Normalize module, which ST does not redo); null: all. */
  truncateDim: number | null;
  /** config_sentence_transformers.json's similarity_fn_name (cosine, dot, euclidean, manhattan); null when absent or another. */
  similarity: SimilarityName | null;
  /** Where each of these came from, for the report. */
  sources: { pooling: string; maxSeqLength: string; prompt: string };
}

interface StModule {
  type?: string;
  path?: string;
}

const ST_POOLING_NAMES: Record<string, PoolingMode> = {
  cls: 'cls',
  max: 'max',
  mean: 'mean',
  mean_sqrt_len_tokens: 'mean_sqrt_len',
  weightedmean: 'weightedmean',
  lasttoken: 'lasttoken',
};

/** The legacy booleans, in the order sentence-transformers concatenates them. */
const LEGACY_POOLING_KEYS: [string, PoolingMode][] = [
  ['pooling_mode_cls_token', 'cls'],
  ['pooling_mode_max_tokens', 'max'],
  ['pooling_mode_mean_tokens', 'mean'],
  ['pooling_mode_mean_sqrt_len_tokens', 'mean_sqrt_len'],
  ['pooling_mode_weightedmean_tokens', 'weightedmean'],
  ['pooling_mode_lasttoken', 'lasttoken'],
];

/**
 * 1_Pooling/config.json in either layout sentence-transformers reads: `pooling_mode` (a name or a
 * list, >= 6.0) or the `pooling_mode_*` booleans (every published model), where several true modes
 * are concatenated and none true means mean (its _convert_legacy_pooling_kwargs).
 */
export function parsePoolingModes(cfg: Record<string, unknown>, where: string): PoolingMode[] {
  if (cfg.pooling_mode !== undefined) {
    const raw = Array.isArray(cfg.pooling_mode) ? cfg.pooling_mode : [cfg.pooling_mode];
    if (raw.length === 0) throw new InputError(`${where}: "pooling_mode" is an empty list`);
    return raw.map((m) => {
      const mode = typeof m === 'string' ? ST_POOLING_NAMES[m] : undefined;
      if (!mode) throw new InputError(`${where}: pooling_mode ${JSON.stringify(m)} is not one of ${Object.keys(ST_POOLING_NAMES).join(', ')}`);
      return mode;
    });
  }
  const modes = LEGACY_POOLING_KEYS.filter(([key]) => cfg[key] === true).map(([, mode]) => mode);
  return modes.length ? modes : ['mean'];
}

function readPooling(dir: string): { pooling: PoolingConfig; source: string } {
  const modulesPath = join(dir, 'modules.json');
  const make = (modes: PoolingMode[], normalize: boolean, includePrompt = true): PoolingConfig => ({ mode: modes.join('+'), modes, normalize, includePrompt });
  if (!existsSync(modulesPath)) {
    // Plain transformers folder without sentence-transformers files: mean pooling + normalize is
    // what the popular embedding models use; say so in the report rather than guess silently.
    return { pooling: make(['mean'], true), source: 'default (no modules.json): mean + normalize' };
  }
  const modules = readJson<StModule[]>(modulesPath, 'modules.json');
  if (!Array.isArray(modules)) throw new InputError(`modules.json at ${modulesPath} must be a JSON array of modules`);
  const normalize = modules.some((m) => m.type?.endsWith('.Normalize'));
  const poolingModule = modules.find((m) => m.type?.endsWith('.Pooling'));
  if (!poolingModule) {
    return { pooling: make(['cls'], normalize), source: `${modulesPath}: no Pooling module, CLS token` };
  }
  const poolingPath = join(dir, poolingModule.path ?? '1_Pooling', 'config.json');
  const cfg = readJson<Record<string, unknown>>(poolingPath, 'pooling config');
  const includePrompt = cfg.include_prompt === undefined ? true : cfg.include_prompt;
  if (typeof includePrompt !== 'boolean') throw new InputError(`${poolingPath}: "include_prompt" must be true or false`);
  return { pooling: make(parsePoolingModes(cfg, poolingPath), normalize, includePrompt), source: poolingPath };
}

interface StConfig {
  prompts?: Record<string, unknown>;
  default_prompt_name?: unknown;
  similarity_fn_name?: unknown;
}

/**
 * similarity_fn_name when it is one of the four that rank single vectors; null when absent or when it
 * is another (maxsim scores token matrices): downstream impact then ranks by cosine, unless the
 * parity config's checks.similarity says otherwise.
 */
function readSimilarity(dir: string): SimilarityName | null {
  const path = join(dir, 'config_sentence_transformers.json');
  if (!existsSync(path)) return null;
  return similarityName(readJson<StConfig>(path, 'config_sentence_transformers.json').similarity_fn_name);
}

function readPrompts(dir: string): { prompts: Record<string, string>; defaultPromptName: string | null; path: string | null } {
  const path = join(dir, 'config_sentence_transformers.json');
  if (!existsSync(path)) return { prompts: {}, defaultPromptName: null, path: null };
  const cfg = readJson<StConfig>(path, 'config_sentence_transformers.json');
  const prompts: Record<string, string> = {};
  for (const [name, text] of Object.entries(cfg.prompts ?? {})) {
    if (typeof text !== 'string') throw new InputError(`${path}: prompts.${name} must be a string`);
    prompts[name] = text;
  }
  const def = cfg.default_prompt_name ?? null;
  if (def !== null && (typeof def !== 'string' || !(def in prompts))) {
    throw new InputError(`${path}: default_prompt_name ${JSON.stringify(def)} is not one of its prompts (${Object.keys(prompts).join(', ') || 'none'})`);
  }
  return { prompts, defaultPromptName: def, path };
}

/** The prompt encode() would use: the choice, else default_prompt_name (sentence-transformers' _resolve_prompt). */
function resolvePrompt(
  dir: string,
  found: ReturnType<typeof readPrompts>,
  choice: string | null | undefined,
): { prompt: Prompt | null; source: string } {
  const where = found.path ?? join(dir, 'config_sentence_transformers.json');
  if (choice === undefined) {
    if (found.defaultPromptName === null) return { prompt: null, source: found.path ? `${where}: no default_prompt_name` : 'no config_sentence_transformers.json' };
    const name = found.defaultPromptName;
    return { prompt: { name, text: found.prompts[name] }, source: `${where} default_prompt_name` };
  }
  if (choice === null || choice === '') return { prompt: null, source: 'promptName: none chosen for this run' };
  if (!(choice in found.prompts)) {
    const known = Object.keys(found.prompts);
    throw new InputError(`prompt name "${choice}" is not in ${where} (${known.length ? `its prompts: ${known.join(', ')}` : 'it has no prompts'})`);
  }
  return { prompt: { name: choice, text: found.prompts[choice] }, source: 'promptName chosen for this run' };
}

export function loadModelInfo(modelDir: string, choices: EmbeddingChoices = {}): ModelInfo {
  const dir = resolve(modelDir);
  if (!existsSync(dir)) {
    throw new InputError(`model folder ${dir} does not exist (set "model" in parity.config.json to your model folder, relative to the config file)`);
  }
  const config = readJson<BertConfig>(join(dir, 'config.json'), 'model config.json');
  for (const key of ['hidden_size', 'num_attention_heads', 'max_position_embeddings'] as const) {
    if (typeof config[key] !== 'number') throw new InputError(`${join(dir, 'config.json')}: "${key}" must be a number`);
  }
  const { pooling, source } = readPooling(dir);

  let maxSeqLength = config.max_position_embeddings;
  let maxSource = 'config.json max_position_embeddings';
  const stPath = join(dir, 'sentence_bert_config.json');
  if (existsSync(stPath)) {
    const st = readJson<{ max_seq_length?: number }>(stPath, 'sentence_bert_config.json');
    if (typeof st.max_seq_length === 'number') {
      maxSeqLength = Math.min(st.max_seq_length, config.max_position_embeddings);
      maxSource = `${stPath} max_seq_length ${st.max_seq_length}, capped by max_position_embeddings ${config.max_position_embeddings}`;
    }
  } else {
    const tokCfgPath = join(dir, 'tokenizer_config.json');
    if (existsSync(tokCfgPath)) {
      const tc = readJson<{ model_max_length?: number }>(tokCfgPath, 'tokenizer_config.json');
      if (typeof tc.model_max_length === 'number' && tc.model_max_length < maxSeqLength) {
        maxSeqLength = tc.model_max_length;
        maxSource = `${tokCfgPath} model_max_length`;
      }
    }
  }
  const found = readPrompts(dir);
  const { prompt, source: promptSource } = resolvePrompt(dir, found, choices.promptName);
  const truncateDim = choices.truncateDim ?? null;
  if (truncateDim !== null && (!Number.isInteger(truncateDim) || truncateDim < 1)) {
    throw new InputError(`truncateDim must be a positive integer, got ${JSON.stringify(truncateDim)}`);
  }
  return {
    dir,
    config,
    pooling,
    maxSeqLength,
    prompts: found.prompts,
    defaultPromptName: found.defaultPromptName,
    prompt,
    truncateDim,
    similarity: readSimilarity(dir),
    sources: { pooling: source, maxSeqLength: maxSource, prompt: promptSource },
  };
}
