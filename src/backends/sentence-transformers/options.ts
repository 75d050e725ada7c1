/**
 * Config keys of the `sentence-transformers` runtime, validated when the config loads: a typo or a
 * combination that can never run (flash attention on a CPU, in float64) is an InputError naming the
 * backend and the key, not a skip discovered minutes into a run.
 */
import { InputError } from '../../errors.js';
import type { BackendSpec } from '../backend.js';

export const ST_OPTION_KEYS = ['device', 'dtype', 'attention', 'batchSize', 'threads', 'python'] as const;

export const ST_DEVICES = ['cpu', 'cuda', 'mps'] as const;
export const ST_DTYPES = ['float64', 'float32', 'float16', 'bfloat16'] as const;
/** transformers' `attn_implementation` values parity knows how to check for. */
export const ST_ATTENTION = ['eager', 'sdpa', 'flash_attention_2'] as const;

export type StDevice = (typeof ST_DEVICES)[number];
export type StDtype = (typeof ST_DTYPES)[number];
export type StAttention = (typeof ST_ATTENTION)[number];

export interface SentenceTransformersOptions {
  device: StDevice;
  /** torch dtype the model is loaded in (`model_kwargs={"dtype": ...}`). */
  dtype: StDtype;
  /** undefined: whatever transformers picks (sdpa where available); the report reads back what ran. */
  attention?: StAttention;
  /** Texts per forward pass; default: the config's batchSize. */
  batchSize?: number;
  /** torch.set_num_threads; default: the command's share of the cores, else torch's own (one per core). */
  threads?: number;
  /** Interpreter: config key `python`, else PARITY_PYTHON, else .venv/bin/python, else python3. */
  python?: string;
}

export function parseSentenceTransformersOptions(spec: BackendSpec): SentenceTransformersOptions {
  const o = spec.options;
  const fail = (key: string, expected: string): never => {
    throw new InputError(`backend "${spec.name}": "${key}" must be ${expected}, got ${JSON.stringify(o[key])}`);
  };
  const oneOf = <T extends string>(key: string, values: readonly T[], fallback: T | undefined): T | undefined => {
    const v = o[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !values.includes(v as T)) fail(key, `one of ${values.join(', ')}`);
    return v as T;
  };
  const device = oneOf('device', ST_DEVICES, 'cpu')!;
  const dtype = oneOf('dtype', ST_DTYPES, 'float32')!;
  const attention = oneOf('attention', ST_ATTENTION, undefined);
  let batchSize: number | undefined;
  if (o.batchSize !== undefined) {
    if (typeof o.batchSize !== 'number' || !Number.isInteger(o.batchSize) || o.batchSize < 1) fail('batchSize', 'an integer >= 1');
    batchSize = o.batchSize as number;
  }
  let threads: number | undefined;
  if (o.threads !== undefined) {
    if (typeof o.threads !== 'number' || !Number.isInteger(o.threads) || o.threads < 1) fail('threads', 'an integer >= 1 (torch.set_num_threads)');
    threads = o.threads as number;
  }
  let python: string | undefined;
  if (o.python !== undefined) {
    if (typeof o.python !== 'string' || o.python.trim() === '') fail('python', 'a Python interpreter (path relative to the config file, absolute, or a command on the PATH)');
    python = (o.python as string).trim();
  }
  if (attention === 'flash_attention_2') {
    // transformers refuses FA2 outside CUDA and in float32/float64: such an entry can never run.
    if (device !== 'cuda') fail('attention', `"eager" or "sdpa" on device "${device}" (flash_attention_2 runs only on CUDA)`);
    if (dtype !== 'float16' && dtype !== 'bfloat16') fail('attention', `"eager" or "sdpa" with dtype "${dtype}" (flash_attention_2 runs only in float16/bfloat16)`);
  }
  if (device === 'mps' && dtype === 'float64') fail('dtype', 'float32, float16 or bfloat16 on device "mps" (MPS has no float64)');
  return { device, dtype, ...(attention ? { attention } : {}), ...(batchSize ? { batchSize } : {}), ...(threads ? { threads } : {}), ...(python ? { python } : {}) };
}

/** The precision class (default tolerance) an entry gets when it sets no `precision`. */
export function sentenceTransformersPrecision(options: Record<string, unknown>): 'fp64' | 'fp32' | 'fp16' {
  if (options.dtype === 'float64') return 'fp64';
  if (options.dtype === 'float16' || options.dtype === 'bfloat16') return 'fp16';
  return 'fp32';
}
