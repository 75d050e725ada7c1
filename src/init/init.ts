/**
 * `parity init`: writes a parity.config.json for the user's own model folder — one backend per runtime
 * this machine can run × ONNX file in the folder, default tolerances by precision, a note on each
 * saying where its numbers come from — and prints the next commands. It never overwrites a config,
 * and it copies the shipped example corpus only when the user has none.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { writeNewFileAtomic } from '../io/atomic-write.js';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { packagePath } from '../package-root.js';
import { DEFAULT_CONFIG_FILE, parseConfig, type Precision } from '../config/config.js';
import { fmt } from '../numeric/format.js';
import { InputError } from '../errors.js';
import { chooseModelOutput } from '../backends/output-choice.js';
import { resolveModelRef, type HubModel } from '../model/hub-cache.js';
import { inspectMachine, inspectModel, type MachineInspection, type ModelInspection, type OnnxVariant } from './inspect.js';

export interface InitOptions {
  /** The model folder (default: the one Hugging Face model folder found under the working directory). */
  model?: string;
  /** A branch, tag or commit of the model id given as `model` (default: the cache's refs/main). */
  revision?: string;
  /** The corpus (.jsonl or .txt); default: the shipped example copied to parity/corpus.jsonl. */
  corpus?: string;
  /** Which backend makes the golden (default: pytorch-fp64, else reference for BERT, else cpu-fp32). */
  goldenBackend?: string;
  /** Config file to write (default parity.config.json in the working directory). */
  config?: string;
  /** Skip the Python probe (tests; it is one short process otherwise). */
  machine?: MachineInspection;
}

export interface PlannedBackend {
  name: string;
  runtime: string;
  precision: Precision;
  tolerance: { atol: number; rtol: number; cosine: number };
  note: string;
  [option: string]: unknown;
}

export interface InitResult {
  configPath: string;
  config: Record<string, unknown>;
  goldenBackend: string;
  /** Runtimes or files left out, each with the reason. */
  notAdded: string[];
  /** The example corpus was copied here (the user had none). */
  copiedCorpus: string | null;
  model: ModelInspection;
  machine: MachineInspection;
  /** What to run next, in order. */
  next: string[];
  /** Human-readable summary (what the CLI prints). */
  text: string;
}

/** Where the package's own files are: two levels above this module in src/ and in dist/. */
export const EXAMPLE_CORPUS = packagePath('fixtures', 'corpus', 'default.jsonl');
export const EXAMPLE_MODEL = packagePath('fixtures', 'models', 'tiny-bert');

/**
 * Default tolerances by precision, all against a float64 (or fp32) golden. fp32: torch.testing's
 * float32 defaults, which fp32 ONNX Runtime meets with ~10x room on the shipped fixture (max abs 1.1e-6);
 * cosine 1e-6 catches a wrong text or pooling long before elementwise noise would. fp16: rounding the
 * weights alone is 2^-11 relative; measured max abs 2.1e-3 on the fixture, so atol 5e-3. Quantized
 * weights are not rounding at all: those are starting points to tighten after the first run.
 */
export function defaultTolerance(v: { precision: Precision; quantized: false | 8 | 4 }): { tolerance: PlannedBackend['tolerance']; why: string } {
  if (v.quantized === 8) {
    return {
      tolerance: { atol: 0.1, rtol: 0, cosine: 0.08 },
      why: '8-bit weights: measured on the real all-MiniLM-L6-v2 (dynamic int8, per-channel, as transformers.js q8 ships): max abs 0.042-0.047, cosine Δ up to 0.037 against PyTorch float64, so atol 0.1 / cosine 0.08 pass a healthy q8 file while a broken one (cosine Δ near 1) fails; tighten to the report\'s "min atol" after the first run.',
    };
  }
  if (v.quantized === 4) {
    return {
      tolerance: { atol: 0.2, rtol: 0, cosine: 0.15 },
      why: '4-bit weights: a starting point, not a measurement (no 4-bit model was measured), set looser than the 8-bit figures measured on all-MiniLM-L6-v2; tighten to the report\'s "min atol" after the first run.',
    };
  }
  if (v.precision === 'fp16') {
    return {
      tolerance: { atol: 5e-3, rtol: 1e-3, cosine: 1e-4 },
      why: 'fp16: rounding the weights alone is 2^-11 relative; the shipped tiny-bert measures max abs 2.1e-3 (cosine Δ 4.9e-6), so atol 5e-3 leaves ~2.5x room while a masking or overflow bug (>= 1e-2) still fails.',
    };
  }
  if (v.precision === 'fp64') {
    return { tolerance: { atol: 1e-7, rtol: 1e-7, cosine: 1e-10 }, why: 'float64 against a float64 golden: only summation order may differ.' };
  }
  return {
    tolerance: { atol: 1e-5, rtol: 1.3e-6, cosine: 1e-6 },
    why: "fp32: torch.testing's float32 defaults (fp32 ONNX Runtime measures max abs 1.1e-6 against the float64 reference on the shipped tiny-bert); cosine 1e-6 catches a wrong text or pooling long before elementwise noise would.",
  };
}

function backendFor(runtime: string, name: string, v: OnnxVariant, options: Record<string, unknown>, what: string): PlannedBackend {
  const { tolerance, why } = defaultTolerance(v);
  return { name, runtime, ...options, precision: v.precision, tolerance, note: `${what} on ${v.file}. ${why}` };
}

/** Finds the user's model folder when --model is not given: config.json beside ONNX files, at most two levels down. */
export function findModelFolders(root: string): string[] {
  const found: string[] = [];
  const skip = new Set(['node_modules', '.git', 'reports', 'dist']);
  const visit = (dir: string, depth: number) => {
    if (existsSync(join(dir, 'config.json')) && (existsSync(join(dir, 'onnx')) || readdirSync(dir).some((f) => f.endsWith('.onnx')))) {
      found.push(dir);
      return;
    }
    if (depth === 0) return;
    for (const name of readdirSync(dir).sort()) {
      if (skip.has(name) || name.startsWith('.')) continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) visit(p, depth - 1);
    }
  };
  visit(root, 2);
  return found;
}

/** A path as written into the config: relative to the config's folder, with forward slashes. */
function configPath(configDir: string, path: string): string {
  const rel = relative(configDir, path);
  return (rel === '' ? '.' : rel).split(sep).join('/');
}

export function planBackends(model: ModelInspection, machine: MachineInspection): { backends: PlannedBackend[]; notAdded: string[] } {
  const backends: PlannedBackend[] = [];
  const notAdded: string[] = [];

  // Float64 oracles first: they make the best golden.
  if (!model.weights) notAdded.push('pytorch-fp64/pytorch-fp32 (sentence-transformers): no model.safetensors or pytorch_model.bin in the model folder');
  else if (!machine.python.ok) notAdded.push(`pytorch-fp64/pytorch-fp32 (sentence-transformers): ${machine.python.reason}`);
  else {
    for (const [name, dtype, precision] of [['pytorch-fp64', 'float64', 'fp64'], ['pytorch-fp32', 'float32', 'fp32']] as const) {
      const { tolerance, why } = defaultTolerance({ precision, quantized: false });
      backends.push({
        name,
        runtime: 'sentence-transformers',
        dtype,
        device: 'cpu',
        precision,
        tolerance,
        note: `SentenceTransformer(model) in PyTorch ${dtype} on CPU (${machine.python.command}): what the model's authors ran. ${why}`,
      });
    }
  }
  if (model.modelType === 'bert' && model.weights === 'model.safetensors') {
    const { tolerance, why } = defaultTolerance({ precision: 'fp64', quantized: false });
    backends.push({
      name: 'reference',
      runtime: 'reference',
      precision: 'fp64',
      tolerance,
      note: `parity's float64 BertModel in TypeScript from model.safetensors: plain loops, each text alone, no ONNX Runtime. ${why}`,
    });
  } else {
    notAdded.push(
      model.modelType === 'bert'
        ? 'reference: needs model.safetensors (the float64 TypeScript BertModel reads only safetensors)'
        : `reference: the float64 TypeScript oracle is BERT-only and this model is "${model.modelType}"`,
    );
  }

  // Which output each file is compared on: a file whose outputs do not say is left out with the
  // error that lists them; one chosen by shape gets its "output" key, so the config says it.
  const outputKey = new Map<string, Record<string, unknown>>();
  const onnxFiles: OnnxVariant[] = [];
  for (const v of model.onnx) {
    if (!v.outputs) {
      onnxFiles.push(v);
      continue;
    }
    try {
      const chosen = chooseModelOutput(v.file, v.outputs, model.hiddenSize);
      outputKey.set(v.file, chosen.by === 'shape' ? { output: chosen.name } : {});
      onnxFiles.push(v);
    } catch (error) {
      notAdded.push(`${v.file}: ${error instanceof Error ? error.message.replace(`${v.file}: `, '') : String(error)}`);
    }
  }
  for (const v of onnxFiles) {
    backends.push(backendFor('onnxruntime-node', `cpu-${v.variant}`, v, { device: 'cpu', model: v.file, ...outputKey.get(v.file) }, "ONNX Runtime's native CPU provider"));
  }
  if (machine.cuda.available) {
    for (const v of onnxFiles) backends.push(backendFor('onnxruntime-node', `cuda-${v.variant}`, v, { device: 'cuda', model: v.file, ...outputKey.get(v.file) }, "ONNX Runtime's CUDA provider"));
  } else if (onnxFiles.length) {
    notAdded.push(`cuda-*: ${machine.cuda.reason}`);
  }
  for (const v of onnxFiles) {
    // The WebAssembly build has no fp16 arithmetic worth testing: it upcasts, slowly.
    if (v.precision === 'fp16') continue;
    backends.push(backendFor('onnxruntime-web', `wasm-${v.variant}`, v, { model: v.file, threads: 1, ...outputKey.get(v.file) }, "ONNX Runtime's WebAssembly build in Node (1 thread)"));
  }
  if (machine.chromium.path) {
    for (const v of onnxFiles) {
      // Measured on the shipped model_mha.onnx: the default (JSEP) bundle rejects com.microsoft.MultiHeadAttention's
      // attention_bias ("Expect attention_bias shape"), and the native bundle's flash kernel is wrong on
      // adapters with subgroups under 8 (README). Neither is a first-run default; the user opts in.
      const fused = (v.contribOps ?? []).filter((op) => /Attention/.test(op));
      if (fused.length) {
        notAdded.push(
          `webgpu-${v.variant}: ${v.file} uses com.microsoft.${fused.join(', com.microsoft.')}, which the default WebGPU bundle rejects; ` +
            'add it by hand with "bundle": "webgpu" (the native bundle; see the README on its flash-attention kernel and small subgroups)',
        );
        continue;
      }
      backends.push(
        backendFor('webgpu-browser', `webgpu-${v.variant}`, v, { model: v.file, bundle: 'default', ...outputKey.get(v.file) }, `onnxruntime-web's WebGPU provider in headless Chromium (${machine.chromium.path})`),
      );
    }
  } else if (onnxFiles.length) {
    notAdded.push('webgpu-*: no Chromium or Google Chrome found (install one, or set PARITY_CHROMIUM to the browser binary, then run init again)');
  }
  if (onnxFiles.some((v) => v.file.endsWith('model.onnx'))) {
    notAdded.push(
      'transformers.js: not added by default — it tokenizes, truncates and pools by itself, and 4.3.1 drops the final [SEP] of texts over max_seq_length tokens; ' +
        'to compare what a JS app ships, add {"name": "transformersjs-fp32", "runtime": "transformers.js", "dtype": "fp32", "precision": "fp32"}',
    );
  }
  return { backends, notAdded };
}

export function chooseGolden(backends: readonly PlannedBackend[], requested?: string): string {
  if (requested) {
    if (!backends.some((b) => b.name === requested)) {
      throw new InputError(`--golden-backend "${requested}" is not one of the backends init can write here: ${backends.map((b) => b.name).join(', ')}`);
    }
    return requested;
  }
  for (const name of ['pytorch-fp64', 'reference', 'cpu-fp32']) if (backends.some((b) => b.name === name)) return name;
  return backends[0].name;
}

export function initProject(options: InitOptions = {}): InitResult {
  const configFile = resolve(options.config ?? DEFAULT_CONFIG_FILE);
  const configDir = dirname(configFile);
  if (existsSync(configFile)) {
    throw new InputError(`${configFile} already exists; parity init never overwrites a config (edit it, or pass --config OTHER.json)`);
  }
  let modelDir: string;
  let hub: HubModel | null = null;
  if (options.model) ({ dir: modelDir, hub } = resolveModelRef(options.model, process.cwd(), options.revision));
  else {
    const found = findModelFolders(process.cwd());
    if (found.length !== 1) {
      throw new InputError(
        (found.length
          ? `found ${found.length} model folders (${found.map((f) => relative(process.cwd(), f) || '.').join(', ')}); pass --model DIR`
          : `no model folder (config.json beside onnx/*.onnx) under ${process.cwd()}; pass --model DIR`) +
          ` — or try the shipped example: --model ${relative(process.cwd(), EXAMPLE_MODEL)}`,
      );
    }
    modelDir = found[0];
  }
  const model = inspectModel(modelDir);
  const machine = options.machine ?? inspectMachine(configDir);
  let exportCommand: string | null = null;
  if (!model.onnx.length && model.weights) {
    // The folder has weights but no runtime files: the command that makes them, then init again for their backends.
    const ref = hub ? hub.id : relative(process.cwd(), modelDir) || '.';
    exportCommand = `npx parity export --model ${ref}${hub && options.revision ? ` --revision ${options.revision}` : ''}`;
    model.warnings.push(`it has ${model.weights}: make its ONNX files with \`${exportCommand}\`, then run init again (with --config OTHER.json) for their backends`);
  }
  const { backends, notAdded } = planBackends(model, machine);
  if (!backends.length) {
    throw new InputError(`nothing in ${modelDir} can run here: ${[...model.warnings, ...notAdded].join('; ')}`);
  }
  const goldenBackend = chooseGolden(backends, options.goldenBackend);
  const golden = backends.find((b) => b.name === goldenBackend)!;
  golden.note = `Makes the golden (npx parity golden --backend ${goldenBackend}); compared to its own golden, anything but 0 means the model files or the golden changed. ${golden.note}`;

  let corpus: string;
  let copiedCorpus: string | null = null;
  if (options.corpus) {
    corpus = resolve(options.corpus);
    if (!existsSync(corpus)) throw new InputError(`corpus ${corpus} does not exist (--corpus takes a .jsonl of {"id","text"} or a .txt with one text per line)`);
  } else {
    corpus = join(configDir, 'parity', 'corpus.jsonl');
    if (!existsSync(corpus)) {
      mkdirSync(dirname(corpus), { recursive: true });
      copyFileSync(EXAMPLE_CORPUS, corpus);
      copiedCorpus = corpus;
    }
  }
  const config = {
    // A model id stays an id (resolved in the Hugging Face cache by every command), so the config travels.
    model: hub ? hub.id : configPath(configDir, modelDir),
    ...(hub && options.revision ? { revision: options.revision } : {}),
    corpus: configPath(configDir, corpus),
    golden: 'parity/golden.npy',
    batchSize: 16,
    backends,
  };
  // The same validation `run` does: init never writes a config that run would reject.
  parseConfig(JSON.parse(JSON.stringify(config)), configFile);
  try {
    writeNewFileAtomic(configFile, JSON.stringify(config, null, 2) + '\n');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new InputError(`${configFile} already exists; nothing was written (edit it, or pass --config OTHER.json)`, { cause: error });
    }
    throw error;
  }

  const cfgFlag = configFile === resolve(DEFAULT_CONFIG_FILE) ? '' : ` --config ${relative(process.cwd(), configFile)}`;
  const next = [...(exportCommand ? [exportCommand] : []), `npx parity golden --backend ${goldenBackend}${cfgFlag}`, `npx parity run${cfgFlag}`];
  const text = renderInit({ configFile, model, machine, backends, notAdded, goldenBackend, corpus, copiedCorpus, next });
  return { configPath: configFile, config, goldenBackend, notAdded, copiedCorpus, model, machine, next, text };
}

function renderInit(r: {
  configFile: string;
  model: ModelInspection;
  machine: MachineInspection;
  backends: PlannedBackend[];
  notAdded: string[];
  goldenBackend: string;
  corpus: string;
  copiedCorpus: string | null;
  next: string[];
}): string {
  const rel = (p: string) => relative(process.cwd(), p) || '.';
  const m = r.model;
  const lines = [
    `model ${rel(m.dir)}: ${m.modelType}${m.architectures.length ? ` (${m.architectures.join(', ')})` : ''}, ${m.pooling} pooling${m.normalize ? ' + normalize' : ''}, max_seq_length ${m.maxSeqLength}`,
    `  ONNX files: ${m.onnx.length ? m.onnx.map((v) => `${v.file} (${v.variant})`).join(', ') : 'none'}; weights: ${m.weights ?? 'none'}; tokenizer.json: ${m.tokenizer ? 'yes' : 'MISSING'}`,
  ];
  const promptNames = Object.keys(m.prompts);
  if (promptNames.length) {
    lines.push(
      `  prompts: ${promptNames.map((k) => `${k} = ${JSON.stringify(m.prompts[k])}`).join(', ')}${m.defaultPrompt ? ` (default: ${m.defaultPrompt})` : ''} — ` +
        `every backend embeds ${m.defaultPrompt ? `the "${m.defaultPrompt}" prompt + each text` : 'the texts without a prompt'}, as encode() does; ` +
        `choose another with "promptName" in the config or --prompt-name NAME ("" for none); keep the corpus texts without it`,
    );
  }
  for (const w of m.warnings) lines.push(`  warning: ${w}`);
  lines.push(
    `machine: browser ${r.machine.chromium.path ?? 'none'}; Python ${r.machine.python.ok ? `${r.machine.python.command} with torch + sentence-transformers` : 'without torch/sentence-transformers'}; CUDA ${r.machine.cuda.available ? 'yes' : 'no'}`,
    '',
    `wrote ${rel(r.configFile)} with ${r.backends.length} backends (golden from ${r.goldenBackend}):`,
  );
  for (const b of r.backends) lines.push(`  ${b.name.padEnd(16)} ${b.runtime.padEnd(22)} ${b.precision}  atol ${fmt(b.tolerance.atol)} rtol ${fmt(b.tolerance.rtol)} cosine ${fmt(b.tolerance.cosine)}`);
  if (r.notAdded.length) {
    lines.push('not added:');
    for (const n of r.notAdded) lines.push(`  ${n}`);
  }
  lines.push(
    r.copiedCorpus
      ? `corpus: you gave none, so the example corpus (short, long, multilingual, code and edge-case texts) was copied to ${rel(r.copiedCorpus)}; replace it with texts like your users' (--corpus FILE)`
      : `corpus: ${rel(r.corpus)}`,
    '',
    'next:',
    ...r.next.map((c) => `  ${c}`),
    '',
  );
  return lines.join('\n');
}
