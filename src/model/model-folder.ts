/**
 * Reads a model folder in Hugging Face / sentence-transformers layout (config.json, tokenizer files,
 * modules.json, 1_Pooling/config.json, sentence_bert_config.json, onnx/*.onnx). Nothing here is
 * specific to the fixture: a downloaded Xenova/all-MiniLM-L6-v2 folder loads through the same code.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { BertConfig } from './bert-config.js';
import { readJson } from '../io/read-json.js';

export type PoolingMode = 'mean' | 'cls' | 'max' | 'mean_sqrt_len';

export interface PoolingConfig {
  mode: PoolingMode;
  /** From modules.json: a sentence_transformers.models.Normalize module follows pooling. */
  normalize: boolean;
}

export interface ModelInfo {
  dir: string;
  config: BertConfig;
  pooling: PoolingConfig;
  /** sentence-transformers max_seq_length (overrides tokenizer.json truncation), capped by positions. */
  maxSeqLength: number;
  /** Where each of these came from, for the report. */
  sources: { pooling: string; maxSeqLength: string };
}

interface StModule {
  type?: string;
  path?: string;
}

function readPooling(dir: string): { pooling: PoolingConfig; source: string } {
  const modulesPath = join(dir, 'modules.json');
  if (!existsSync(modulesPath)) {
    // Plain transformers folder without sentence-transformers files: mean pooling + normalize is
    // what the popular embedding models use; say so in the report rather than guess silently.
    return { pooling: { mode: 'mean', normalize: true }, source: 'default (no modules.json): mean + normalize' };
  }
  const modules = readJson<StModule[]>(modulesPath, 'modules.json');
  if (!Array.isArray(modules)) throw new InputError(`modules.json at ${modulesPath} must be a JSON array of modules`);
  const normalize = modules.some((m) => m.type?.endsWith('.Normalize'));
  const poolingModule = modules.find((m) => m.type?.endsWith('.Pooling'));
  if (!poolingModule) {
    return { pooling: { mode: 'cls', normalize }, source: `${modulesPath}: no Pooling module, CLS token` };
  }
  const poolingPath = join(dir, poolingModule.path ?? '1_Pooling', 'config.json');
  const cfg = readJson<Record<string, unknown>>(poolingPath, 'pooling config');
  let mode: PoolingMode;
  if (cfg.pooling_mode_mean_tokens) mode = 'mean';
  else if (cfg.pooling_mode_cls_token) mode = 'cls';
  else if (cfg.pooling_mode_max_tokens) mode = 'max';
  else if (cfg.pooling_mode_mean_sqrt_len_tokens) mode = 'mean_sqrt_len';
  else throw new InputError(`${poolingPath}: no supported pooling_mode_* is true (mean, cls, max, mean_sqrt_len)`);
  return { pooling: { mode, normalize }, source: poolingPath };
}

export function loadModelInfo(modelDir: string): ModelInfo {
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
  return { dir, config, pooling, maxSeqLength, sources: { pooling: source, maxSeqLength: maxSource } };
}
