/**
 * `parity export --model DIR [--to ...]`: the runtime files of a checkpoint (model.safetensors or
 * pytorch_model.bin), made by python/export.py in the project's Python environment into a staging
 * folder beside DIR's, each checked against PyTorch (sentence-transformers in float64, parity's own
 * runner) on a few texts with parity's metrics and the tolerance `init` would give it, and only then
 * moved into DIR/onnx/. DIR/manifest.json records every file's sha256 and the tool versions; a re-run
 * with the same inputs rebuilds nothing, and an existing file that differs is replaced only with --force.
 * `npm run models` is this command on all-MiniLM-L6-v2.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createBackends } from '../backends/registry.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { compareMatrices } from '../compare/metrics.js';
import { judge } from '../compare/verdict.js';
import { loadCorpus } from '../corpus/corpus.js';
import { BackendError, InputError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { sha256File } from '../io/hash.js';
import { classifyOnnxFile } from '../init/inspect.js';
import { defaultTolerance } from '../init/init.js';
import { resolveModelRef } from '../model/hub-cache.js';
import { ModelContexts } from '../tokenize/model-context.js';
import { modelFileHashes } from '../model/model-files.js';
import type { Matrix } from '../numeric/matrix.js';
import { fmt } from '../numeric/format.js';
import { findPython, missingPythonModules, PYTHON_SETUP_HINT } from '../python/interpreter.js';
import { embedWithBackend } from '../run/embed-with-backend.js';

const EXPORTER = join(PACKAGE_ROOT, 'python', 'export.py');
/** The ONNX metadata scrub export.py imports: a change in it changes the files as well as one in export.py. */
const ONNX_SCRUB = join(PACKAGE_ROOT, 'python', 'onnx_scrub.py');
const GGUF_CONVERT = join(PACKAGE_ROOT, 'python', 'gguf_convert.py');
/** Where scripts/setup-gguf-converter.sh puts llama.cpp's converter, with the pin it took. */
const GGUF_CONVERTER_VERSION = join(PACKAGE_ROOT, 'vendor', 'gguf-converter', 'VERSION.json');

/** The converter's pin (llama-cpp-python version and sdist hash), part of what a GGUF depends on. */
function converterVersion(): Record<string, string> {
  return existsSync(GGUF_CONVERTER_VERSION) ? { 'vendor/gguf-converter/VERSION.json': sha256File(GGUF_CONVERTER_VERSION) } : {};
}
const CHECK_CORPUS = join(PACKAGE_ROOT, 'fixtures', 'corpus', 'default.jsonl');
/** How many of the example corpus's texts each file is checked on: short, long and multilingual ones. */
const CHECK_TEXTS = 8;
const MANIFEST = 'manifest.json';
const MANIFEST_VERSION = 2;

export const ONNX_TARGETS = ['onnx', 'onnx-fp16', 'onnx-int8', 'onnx-mha'] as const;
export const GGUF_TARGETS = ['gguf-f32', 'gguf-f16', 'gguf-q8_0'] as const;
export const DEFAULT_TARGETS = ['onnx', 'onnx-fp16', 'onnx-int8'];

export interface ExportOptions {
  model: string;
  revision?: string;
  /** Targets (default DEFAULT_TARGETS). */
  to?: string[];
  force?: boolean;
  log?: (line: string) => void;
}

export interface FileCheck {
  file: string;
  status: 'pass' | 'fail';
  maxAbs: number;
  cosineDeltaMax: number;
  tolerance: { atol: number; rtol: number; cosine?: number };
  /** kept: moved into the model folder (or already there, identical); rejected: failed the check. */
  outcome: 'written' | 'unchanged' | 'rejected';
}

export interface ExportResult {
  dir: string;
  upToDate: boolean;
  checks: FileCheck[];
  /** Targets this export does not build, each with why. */
  notBuilt: string[];
  verdict: 'pass' | 'fail';
}

function parseTargets(to: readonly string[]): { onnx: string[]; gguf: string[] } {
  const known = [...ONNX_TARGETS, ...GGUF_TARGETS] as readonly string[];
  const unknown = to.filter((t) => !known.includes(t));
  if (unknown.length) throw new InputError(`--to: unknown target${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${known.join(', ')})`);
  return { onnx: to.filter((t) => (ONNX_TARGETS as readonly string[]).includes(t)), gguf: to.filter((t) => (GGUF_TARGETS as readonly string[]).includes(t)) };
}

/** import … from './x.js', export … from '../y.js', import './z.js', import('./w.js'): the relative ones. */
const RELATIVE_IMPORT = /(?:\bfrom|^\s*import|\bimport\s*\()\s*['"](\.{1,2}\/[^'"]+)['"]/gm;

/** `entry` and every JavaScript module it loads through relative imports, transitively, sorted. */
export function moduleClosure(entry: string): string[] {
  const seen = new Set<string>();
  const todo = [resolve(entry)];
  while (todo.length) {
    const path = todo.pop()!;
    if (seen.has(path) || !existsSync(path)) continue;
    seen.add(path);
    for (const m of readFileSync(path, 'utf8').matchAll(RELATIVE_IMPORT)) todo.push(resolve(dirname(path), m[1]));
  }
  return [...seen].sort();
}

/** Everything the files depend on: when it and every file's hash are as recorded, nothing is rebuilt. */
function exportInputs(dir: string, python: string, targets: string[]): Record<string, unknown> {
  const code = 'import importlib.metadata as md, json, sys; print(json.dumps({n: md.version(n) for n in ("torch", "transformers", "onnx", "onnxruntime", "numpy", "safetensors")} | {"python": sys.version.split()[0]}))';
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new InputError(`${python} cannot report its package versions: ${(r.stderr || '').trim().split('\n').pop()}`);
  const source = Object.fromEntries(Object.entries(modelFileHashes(dir)).filter(([f]) => !f.startsWith('onnx/') && !f.startsWith('gguf/')));
  const mha = join(PACKAGE_ROOT, 'dist', 'fixtures', 'mha.js');
  return {
    manifestVersion: MANIFEST_VERSION,
    targets,
    source,
    tools: { ...JSON.parse(r.stdout.trim().split('\n').pop()!), node: process.version },
    scripts: {
      'python/export.py': sha256File(EXPORTER),
      'python/onnx_scrub.py': sha256File(ONNX_SCRUB),
      // bin/write-mha.js and every compiled module it loads, not only the two that write the graph: a
      // change in weights.js or safetensors.js changes model_mha.onnx just as well.
      ...(targets.includes('onnx-mha') && existsSync(mha) ? Object.fromEntries(moduleClosure(join(PACKAGE_ROOT, 'bin', 'write-mha.js')).map((f) => [relative(PACKAGE_ROOT, f), sha256File(f)])) : {}),
      ...(targets.some((t) => t.startsWith('gguf-')) ? { 'python/gguf_convert.py': sha256File(GGUF_CONVERT), ...converterVersion() } : {}),
    },
  };
}

function readManifest(dir: string): { inputs?: unknown; files?: Record<string, { sha256: string }> } | null {
  try {
    return JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8'));
  } catch {
    return null;
  }
}

export async function runExport(options: ExportOptions): Promise<ExportResult> {
  const log = options.log ?? (() => {});
  const { dir } = resolveModelRef(options.model, process.cwd(), options.revision);
  if (!existsSync(join(dir, 'config.json'))) throw new InputError(`${dir} has no config.json; --model must be a Hugging Face or sentence-transformers folder (or a model id in the Hugging Face cache)`);
  if (!['model.safetensors', 'pytorch_model.bin'].some((f) => existsSync(join(dir, f)))) {
    throw new InputError(`${dir} has no model.safetensors or pytorch_model.bin to export from`);
  }
  const to = options.to?.length ? options.to : DEFAULT_TARGETS;
  const targets = parseTargets(to);
  const notBuilt: string[] = [];
  const all = [...targets.onnx, ...targets.gguf];

  const python = findPython({ configDir: process.cwd() }).command;
  const missing = missingPythonModules(python, ['torch', 'transformers', 'onnx', 'onnxruntime', 'sentence_transformers']);
  if (missing === null || missing.length) {
    throw new InputError(`parity export needs Python with torch, transformers, onnx, onnxruntime and sentence-transformers: ${python} ${missing === null ? 'does not start' : `lacks ${missing.join(', ')}`} (${PYTHON_SETUP_HINT} in a clone of parity, or set PARITY_PYTHON)`);
  }
  const inputs = exportInputs(dir, python, all);
  const old = readManifest(dir);
  const oldFiles = old?.files ?? {};
  if (!options.force && old && JSON.stringify(old.inputs) === JSON.stringify(inputs) && Object.entries(oldFiles).every(([f, e]) => existsSync(join(dir, f)) && sha256File(join(dir, f)) === e.sha256)) {
    log(`${dir} is up to date (manifest.json matches; --force rebuilds)`);
    return { dir, upToDate: true, checks: [], notBuilt, verdict: 'pass' };
  }

  const staging = join(dir, `.parity-export-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  try {
    log(`exporting ${all.join(', ')} from ${dir} ...`);
    const r = spawnSync(python, [EXPORTER, '--model', dir, '--out', staging, '--to', all.join(',')], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      // PYTHONHASHSEED 0: the exporter's constant names follow set order (see python/export.py).
      env: { ...process.env, PYTHONHASHSEED: '0', PARITY_NODE: process.execPath, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' },
    });
    if (r.status === 3) throw new InputError((r.stderr.trim().split('\n').pop() ?? '').replace(/^parity export: /, ''));
    if (r.status !== 0) throw new BackendError('export', `python/export.py failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const made = JSON.parse(r.stdout.trim().split('\n').pop()!) as { files: string[] };

    const checks = await checkFiles(dir, staging, made.files, log);
    const kept = checks.filter((c) => c.status === 'pass');
    const conflicts = kept.filter((c) => existsSync(join(dir, c.file)) && sha256File(join(dir, c.file)) !== sha256File(join(staging, c.file)));
    if (conflicts.length && !options.force) {
      throw new InputError(`${conflicts.map((c) => join(dir, c.file)).join(', ')} already exist${conflicts.length === 1 ? 's' : ''} and differ${conflicts.length === 1 ? 's' : ''} from this export; nothing was written (pass --force to replace)`);
    }
    for (const c of checks) {
      if (c.status !== 'pass') continue;
      const target = join(dir, c.file);
      if (existsSync(target) && sha256File(target) === sha256File(join(staging, c.file))) c.outcome = 'unchanged';
      else {
        mkdirSync(dirname(target), { recursive: true });
        renameSync(join(staging, c.file), target);
        c.outcome = 'written';
      }
    }
    const files: Record<string, { sha256: string; bytes: number }> = {};
    for (const c of kept) files[c.file] = { sha256: sha256File(join(dir, c.file)), bytes: readFileSync(join(dir, c.file)).byteLength };
    if (kept.length === checks.length) writeFileAtomic(join(dir, MANIFEST), JSON.stringify({ inputs, files }, null, 2) + '\n');
    const verdict = kept.length === checks.length ? 'pass' : 'fail';
    return { dir, upToDate: false, checks, notBuilt, verdict };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * The tolerance a GGUF is held to, from what llama.cpp measured on all-MiniLM-L6-v2 (README, "llama.cpp"):
 * its CPU GELU is tanh through an fp16 table and flash attention keeps K/V in fp16, so even f32 is
 * ~5e-4 off; q8_0 quantizes weights and activations per block of 32.
 */
function ggufTolerance(file: string): { tolerance: { atol: number; rtol: number; cosine: number } } {
  return file.includes('q8_0') ? { tolerance: { atol: 0.025, rtol: 0, cosine: 5e-3 } } : { tolerance: { atol: 1e-3, rtol: 0, cosine: 1e-5 } };
}

/** Each staged file against PyTorch float64 (sentence-transformers), on the first texts of the example corpus. */
async function checkFiles(dir: string, staging: string, files: string[], log: (line: string) => void): Promise<FileCheck[]> {
  const texts = loadCorpus(CHECK_CORPUS).texts.slice(0, CHECK_TEXTS);
  const contexts = new ModelContexts();
  const embed = async (spec: Parameters<typeof createBackends>[0][number]): Promise<Matrix> => {
    const [backend] = createBackends([spec]);
    const outcome = await embedWithBackend({ backend, modelDir: dir, texts, batchSize: CHECK_TEXTS, timeoutMs: 600_000, contexts });
    if (outcome.status !== 'ok') throw new BackendError(spec.name, `cannot check the export: ${outcome.status === 'skipped' ? `skipped: ${outcome.reason}` : outcome.reason}`);
    return outcome.vectors;
  };
  const reference = await embed({ name: 'pytorch-fp64', runtime: 'sentence-transformers', modelDir: dir, options: { dtype: 'float64', device: 'cpu' } });
  const checks: FileCheck[] = [];
  for (const file of files) {
    const gguf = file.endsWith('.gguf');
    const vectors = await embed(
      gguf
        ? { name: file, runtime: 'llama-cpp', modelDir: dir, options: { model: join(staging, file), threads: 1 } }
        : { name: file, runtime: 'onnxruntime-node', modelDir: dir, options: { model: join(staging, file), device: 'cpu' } },
    );
    const { tolerance: t } = gguf ? ggufTolerance(file) : defaultTolerance(classifyOnnxFile(file));
    const tolerance = { ...t, mismatchRatio: 0 };
    const { metrics } = compareMatrices(reference, vectors, tolerance);
    const status = judge(metrics, tolerance).status;
    const check: FileCheck = { file, status, maxAbs: metrics.maxAbs, cosineDeltaMax: metrics.cosineDeltaMax, tolerance: t, outcome: status === 'pass' ? 'written' : 'rejected' };
    checks.push(check);
    log(
      `  ${file}: ${status} against PyTorch float64 on ${texts.length} texts: max abs ${fmt(metrics.maxAbs)}, cosine Δ ${fmt(metrics.cosineDeltaMax)} ` +
        `(atol ${fmt(t.atol)} rtol ${fmt(t.rtol)} cosine ${fmt(t.cosine ?? 0)})${status === 'pass' ? '' : ' — not kept'}`,
    );
  }
  return checks;
}
