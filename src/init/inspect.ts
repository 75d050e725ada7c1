/**
 * What `parity init` looks at: the model folder (config.json's model_type, which ONNX files exist and
 * in which precision, tokenizer, sentence-transformers modules and prompts, weights for the float64
 * oracles) and this machine (a browser for WebGPU, a Python with torch + sentence-transformers, CUDA).
 * Everything here only reads; nothing is downloaded or started except one short Python probe.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cudaAvailability } from '../backends/onnxruntime-node/cuda.js';
import { ortNodePackageDir } from '../backends/onnxruntime-node/runner.js';
import { ST_PYTHON_MODULES } from '../backends/sentence-transformers/runner.js';
import { findChromium, type ChromiumChoice } from '../backends/webgpu/find-chromium.js';
import type { Precision } from '../config/config.js';
import { decodeModel } from '../onnx/onnx-graph.js';
import type { DeclaredValue } from '../backends/output-choice.js';
import { InputError } from '../errors.js';
import { readJson } from '../io/read-json.js';
import { loadModelInfo } from '../model/model-folder.js';
import { findPython, missingPythonModules, PYTHON_SETUP_HINT } from '../python/interpreter.js';

/** How an ONNX file's name maps to its numerics (the names transformers.js / Optimum export). */
export interface OnnxVariant {
  /** Path relative to the model folder, e.g. "onnx/model_fp16.onnx". */
  file: string;
  /** Short name used in backend names: fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4, or the file's own suffix. */
  variant: string;
  /** The config precision (picks default tolerances): quantized files keep fp32 or fp16 activations. */
  precision: Precision;
  /** Weights quantized to 8 or 4 bits: elementwise error is far above float rounding. */
  quantized: false | 8 | 4;
  /** Fused ops from ONNX Runtime's com.microsoft domain (MultiHeadAttention, …); not every EP bundle takes them. */
  contribOps?: string[];
  /** The file's outputs and declared shapes, for choosing the one to compare. */
  outputs?: DeclaredValue[];
}

/**
 * What init reads from an ONNX file (decoding reads the whole file once; its external data is not
 * read): the com.microsoft ops it uses, and its outputs with their declared shapes. null when it is
 * not readable ONNX.
 */
export function readOnnxFacts(path: string): { contribOps: string[]; outputs: DeclaredValue[] } | null {
  try {
    const model = decodeModel(readFileSync(path));
    const ops = [...new Set((model.graph?.node ?? []).filter((n) => n.domain === 'com.microsoft').map((n) => String(n.opType)))].sort();
    const outputs = (model.graph?.output ?? []).map((o): DeclaredValue => {
      const dims = o.type?.tensorType?.shape?.dim;
      return {
        name: String(o.name),
        shape: dims ? dims.map((d) => (d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : d.dimParam || null)) : null,
      };
    });
    return { contribOps: ops, outputs };
  } catch {
    return null;
  }
}

const KNOWN_VARIANTS: Record<string, Omit<OnnxVariant, 'file' | 'variant'>> = {
  '': { precision: 'fp32', quantized: false },
  fp32: { precision: 'fp32', quantized: false },
  fp16: { precision: 'fp16', quantized: false },
  quantized: { precision: 'fp32', quantized: 8 },
  int8: { precision: 'fp32', quantized: 8 },
  uint8: { precision: 'fp32', quantized: 8 },
  q8: { precision: 'fp32', quantized: 8 },
  q4: { precision: 'fp32', quantized: 4 },
  q4f16: { precision: 'fp16', quantized: 4 },
  bnb4: { precision: 'fp32', quantized: 4 },
};

export function classifyOnnxFile(file: string): OnnxVariant {
  const base = file.split('/').pop()!.replace(/\.onnx$/, '');
  const suffix = base === 'model' ? '' : base.replace(/^model_?/, '');
  const known = KNOWN_VARIANTS[suffix];
  if (known) {
    const variant = suffix === '' ? 'fp32' : suffix === 'quantized' ? 'q8' : suffix;
    return { file, variant, ...known };
  }
  // An unknown suffix (model_mha.onnx, model_O4.onnx): name it after the suffix; its float width from the name.
  const variant = suffix.replace(/[^A-Za-z0-9._-]/g, '-') || base;
  return { file, variant, precision: /f16|fp16|half/i.test(suffix) ? 'fp16' : 'fp32', quantized: false };
}

export interface ModelInspection {
  dir: string;
  modelType: string;
  /** config.json's hidden_size (what an output's last dim must be), or null. */
  hiddenSize: number | null;
  architectures: string[];
  onnx: OnnxVariant[];
  /** model.safetensors (or pytorch_model.bin) for the float64 oracles. */
  weights: string | null;
  tokenizer: boolean;
  pooling: string;
  normalize: boolean;
  maxSeqLength: number;
  /** sentence-transformers prompts (config_sentence_transformers.json), e.g. {query: "query: "}. */
  prompts: Record<string, string>;
  defaultPrompt: string | null;
  /** Problems that stop some backends (said in init's output). */
  warnings: string[];
}

function listOnnx(dir: string): string[] {
  const found: string[] = [];
  for (const sub of ['', 'onnx']) {
    const d = join(dir, sub);
    if (!existsSync(d) || !statSync(d).isDirectory()) continue;
    for (const name of readdirSync(d).sort()) {
      if (name.endsWith('.onnx') && statSync(join(d, name)).isFile()) found.push(relative(dir, join(d, name)));
    }
  }
  // model.onnx first, then by name: the plain fp32 export is the usual golden for ONNX-only folders.
  return found.sort((a, b) => Number(classifyOnnxFile(b).variant === 'fp32') - Number(classifyOnnxFile(a).variant === 'fp32') || a.localeCompare(b));
}

export function inspectModel(dir: string): ModelInspection {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError(`model folder ${dir} does not exist; pass --model DIR (a Hugging Face folder with config.json and onnx/model.onnx)`);
  }
  if (!existsSync(join(dir, 'config.json'))) {
    throw new InputError(`${dir} has no config.json; --model must be a Hugging Face model folder (config.json, tokenizer.json, onnx/model.onnx)`);
  }
  const config = readJson<Record<string, unknown>>(join(dir, 'config.json'), 'model config.json');
  const warnings: string[] = [];
  const onnx = listOnnx(dir).map((file) => {
    const facts = readOnnxFacts(join(dir, file));
    return { ...classifyOnnxFile(file), contribOps: facts?.contribOps ?? [], ...(facts ? { outputs: facts.outputs } : {}) };
  });
  // (init adds the exact `parity export` command when the folder has weights to export from)
  if (!onnx.length) warnings.push(`no .onnx file in ${dir} or ${join(dir, 'onnx')}: only the Python and file backends can run it`);
  // A BERT folder with vocab.txt + tokenizer_config.json tokenizes as BertTokenizer (wordpiece-json.ts).
  const tokenizer = existsSync(join(dir, 'tokenizer.json')) || (existsSync(join(dir, 'vocab.txt')) && existsSync(join(dir, 'tokenizer_config.json')));
  if (!tokenizer) warnings.push(`no tokenizer.json (nor a BERT vocab.txt + tokenizer_config.json) in ${dir}: the harness tokenizes with it (save one with AutoTokenizer.from_pretrained(...).save_pretrained(dir))`);
  const weights = ['model.safetensors', 'pytorch_model.bin'].find((f) => existsSync(join(dir, f))) ?? null;
  let pooling = 'mean';
  let normalize = true;
  let maxSeqLength = typeof config.max_position_embeddings === 'number' ? config.max_position_embeddings : 512;
  try {
    const info = loadModelInfo(dir);
    pooling = info.pooling.mode;
    normalize = info.pooling.normalize;
    maxSeqLength = info.maxSeqLength;
  } catch (error) {
    warnings.push(`cannot read the model's pooling and sequence length: ${error instanceof Error ? error.message : String(error)}`);
  }
  let prompts: Record<string, string> = {};
  let defaultPrompt: string | null = null;
  const stConfig = join(dir, 'config_sentence_transformers.json');
  if (existsSync(stConfig)) {
    const st = readJson<{ prompts?: Record<string, string>; default_prompt_name?: string | null }>(stConfig, 'config_sentence_transformers.json');
    if (st.prompts && typeof st.prompts === 'object') prompts = st.prompts;
    defaultPrompt = typeof st.default_prompt_name === 'string' ? st.default_prompt_name : null;
  }
  return {
    dir,
    modelType: typeof config.model_type === 'string' ? config.model_type : 'unknown',
    hiddenSize: typeof config.hidden_size === 'number' ? config.hidden_size : null,
    architectures: Array.isArray(config.architectures) ? config.architectures.map(String) : [],
    onnx,
    weights,
    tokenizer,
    pooling,
    normalize,
    maxSeqLength,
    prompts,
    defaultPrompt,
    warnings,
  };
}

export interface MachineInspection {
  chromium: ChromiumChoice;
  /** Python with torch and sentence-transformers: the command, or why not. */
  python: { command: string; source: string; ok: boolean; reason?: string };
  cuda: { available: boolean; reason?: string };
}

export function inspectMachine(configDir: string, { probePython = true }: { probePython?: boolean } = {}): MachineInspection {
  const chromium = findChromium();
  const py = findPython({ configDir });
  let python: MachineInspection['python'] = { command: py.command, source: py.source, ok: false, reason: 'not checked' };
  if (probePython) {
    // The modules the sentence-transformers runtime itself checks, so init adds only backends that will run.
    const missing = missingPythonModules(py.command, ST_PYTHON_MODULES, 30_000);
    python =
      missing === null
        ? { ...python, reason: `no Python at ${py.command} (${py.source}); ${PYTHON_SETUP_HINT} in a clone of parity, or set PARITY_PYTHON` }
        : missing.length
          ? { ...python, reason: `${py.command} (${py.source}) lacks ${missing.join(', ')} (${PYTHON_SETUP_HINT} in a clone of parity, or pip install torch sentence-transformers)` }
          : { command: py.command, source: py.source, ok: true };
  }
  let cuda: MachineInspection['cuda'];
  try {
    const a = cudaAvailability(ortNodePackageDir());
    cuda = a.available ? { available: true } : { available: false, reason: a.reason };
  } catch (error) {
    cuda = { available: false, reason: `onnxruntime-node not found: ${error instanceof Error ? error.message : String(error)}` };
  }
  return { chromium, python, cuda };
}
