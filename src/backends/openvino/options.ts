/**
 * Config keys of the `openvino` runtime, validated when the config loads, so a typo is an InputError
 * naming the backend and the key rather than something found minutes into a run.
 */
import { InputError } from '../../errors.js';
import type { BackendSpec } from '../backend.js';

export const OPENVINO_OPTION_KEYS = ['model', 'inferencePrecision', 'threads', 'python'] as const;

/** The CPU plugin's INFERENCE_PRECISION_HINT values parity can ask for. */
export const OPENVINO_PRECISIONS = ['f32', 'bf16', 'f16'] as const;
export type OpenVinoPrecision = (typeof OPENVINO_PRECISIONS)[number];

/** The name the CPU plugin gives each precision in OPTIMIZATION_CAPABILITIES. */
export const OPENVINO_CAPABILITY: Record<OpenVinoPrecision, string> = { f32: 'FP32', bf16: 'BF16', f16: 'FP16' };

export interface OpenVinoOptions {
  /** ONNX file relative to the model folder. */
  modelFile: string;
  /** Default f32, always set explicitly: the plugin's own default is bf16 on CPUs that have it. */
  inferencePrecision: OpenVinoPrecision;
  /** INFERENCE_NUM_THREADS; undefined or 0: the command's share of the cores (BackendContext.threads), else the plugin's default. */
  threads?: number;
  /** Interpreter: config key `python`, else PARITY_PYTHON, else .venv/bin/python, else python3. */
  python?: string;
}

export function parseOpenVinoOptions(spec: BackendSpec): OpenVinoOptions {
  const o = spec.options;
  const fail = (key: string, expected: string): never => {
    throw new InputError(`backend "${spec.name}": "${key}" must be ${expected}, got ${JSON.stringify(o[key])}`);
  };
  const modelFile = o.model ?? 'onnx/model.onnx';
  if (typeof modelFile !== 'string' || modelFile.trim() === '') fail('model', 'an ONNX file path relative to the model folder');
  const precision = o.inferencePrecision ?? 'f32';
  if (typeof precision !== 'string' || !(OPENVINO_PRECISIONS as readonly string[]).includes(precision)) fail('inferencePrecision', `one of ${OPENVINO_PRECISIONS.join(', ')}`);
  if (o.threads !== undefined && (typeof o.threads !== 'number' || !Number.isInteger(o.threads) || o.threads < 0)) fail('threads', 'a non-negative integer (0: as if unset)');
  if (o.python !== undefined && (typeof o.python !== 'string' || o.python.trim() === '')) fail('python', 'a Python interpreter (path relative to the config file, absolute, or a command on the PATH)');
  return {
    modelFile: modelFile as string,
    inferencePrecision: precision as OpenVinoPrecision,
    ...(o.threads ? { threads: o.threads as number } : {}),
    ...(o.python ? { python: (o.python as string).trim() } : {}),
  };
}

/** The precision class (default tolerance) of an entry that sets no `precision`. */
export function openVinoPrecision(options: Record<string, unknown>): 'fp32' | 'fp16' {
  return options.inferencePrecision === 'bf16' || options.inferencePrecision === 'f16' ? 'fp16' : 'fp32';
}
