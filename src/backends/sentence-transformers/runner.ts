/**
 * `sentence-transformers`: PyTorch as a backend. `SentenceTransformer(<model folder>, device=…)` in a
 * Python worker process (python/st_worker.py) that stays loaded for the whole run: one model load,
 * then one request per embed() call.
 *
 * Like `transformers.js`, it is compared AS IS: texts go in as strings and sentence-transformers'
 * own tokenizer, truncation (max_seq_length), pooling and Normalize module produce the vectors; the
 * harness tokenizer is not used. A float64 model returns float64 vectors, so `dtype: "float64"` on
 * the CPU is an oracle for any architecture transformers can load (the `reference` backend is BERT
 * only).
 *
 * The run's prompt and truncate_dim are passed on: encode(prompt_name=NAME), or prompt="" for no
 * prompt, since prompt_name=None would fall back to the model's default_prompt_name whatever the run
 * chose; the worker reads the prompt text back and open() refuses one the harness did not read.
 *
 * Local files only: HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE and local_files_only. Vectors come back as
 * binary frames (frames.ts), not JSON numbers, so float64 keeps every bit.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { endianness } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { packagePath } from '../../package-root.js';
import { BackendError } from '../../errors.js';
import { displayPath } from '../../io/display-path.js';
import { describePythonSource, findPython, missingPythonModules, PYTHON_SETUP_HINT, type PythonInterpreter } from '../../python/interpreter.js';
import { threadsFor, type Availability, type Backend, type BackendContext, type BackendFactory, type BackendSpec } from '../backend.js';
import type { Matrix } from '../../numeric/matrix.js';
import { parseSentenceTransformersOptions, type SentenceTransformersOptions } from './options.js';
import { awaitReady, lastTracebackLine, PythonWorker, type FrameVerdict, type WorkerStart } from './python-worker.js';
import type { Frame } from '../../process/frames.js';

/** Python modules the worker imports (import names, not pip names). */
export const ST_PYTHON_MODULES = ['torch', 'transformers', 'sentence_transformers', 'numpy'] as const;

/** python/st_worker.py of this package. */
export function stWorkerScript(): string {
  return packagePath('python', 'st_worker.py');
}

/** Python's view of the devices, for availability. */
export interface DeviceProbe {
  torch: string;
  cuda: boolean;
  cudaBuild: string | null;
  cudaDevices: number;
  mps: boolean;
  flashAttn: boolean;
}

/** What a probe is asked: "cuda" may answer from torch/version.py alone; "all" imports torch. */
export type ProbeQuestion = 'cuda' | 'all';

// `import torch` takes seconds (3 s warm, 11 s cold on the project's 2-core machine). A build made
// without CUDA or ROCm (torch.version.cuda and .hip both None: "+cpu", XPU) can never see an NVIDIA
// GPU, so the "cuda" question reads the build's own torch/version.py (what torch.version is, a file
// that imports only typing) and answers without importing torch; only a GPU build is asked the real
// torch.cuda.is_available(). mps is not answered on that path (false): only "all" is asked about MPS.
const DEVICE_PROBE = `
import importlib.util, json, os, sys
flash = importlib.util.find_spec("flash_attn") is not None
if sys.argv[1:] == ["cuda"]:
    try:
        origin = importlib.util.find_spec("torch").origin
        spec = importlib.util.spec_from_file_location("_parity_torch_version", os.path.join(os.path.dirname(origin), "version.py"))
        v = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(v)
        built = [getattr(v, k, None) for k in ("cuda", "hip", "rocm")]
    except Exception:
        built = None
    if built is not None and all(b is None for b in built):
        print(json.dumps({"torch": v.__version__, "cuda": False, "cudaBuild": None, "cudaDevices": 0, "mps": False, "flashAttn": flash}))
        sys.exit(0)
import torch
mps = getattr(torch.backends, "mps", None)
print(json.dumps({"torch": torch.__version__, "cuda": torch.cuda.is_available(), "cudaBuild": torch.version.cuda,
  "cudaDevices": torch.cuda.device_count() if torch.cuda.is_available() else 0,
  "mps": bool(mps and mps.is_available()), "flashAttn": flash}))
`;

export class SentenceTransformersBackend implements Backend {
  readonly name: string;
  readonly options: SentenceTransformersOptions;
  private readonly modelDir: string;
  private readonly configDir: string | undefined;
  private python: PythonInterpreter;
  private worker: PythonWorker | null = null;
  private workerEnvironment: Record<string, unknown> = {};
  private batchSize = 16;
  private requests = 0;

  constructor(spec: BackendSpec) {
    this.name = spec.name;
    this.options = parseSentenceTransformersOptions(spec);
    this.modelDir = resolve(spec.modelDir);
    this.configDir = spec.configDir;
    this.python = this.findInterpreter();
  }

  private findInterpreter(): PythonInterpreter {
    return findPython({ configured: this.options.python, configDir: this.configDir });
  }

  async availability(): Promise<Availability> {
    // Looked up again: PARITY_PYTHON or .venv may have appeared since the config was read.
    this.python = this.findInterpreter();
    const py = this.python;
    const where = `${py.command} (${describePythonSource(py)})`;
    const fix = `run \`${PYTHON_SETUP_HINT}\` (builds .venv from python/requirements.txt), or point "python" in the config or PARITY_PYTHON at an environment with torch and sentence-transformers`;
    if ((isAbsolute(py.command) || py.command.includes('/')) && !existsSync(py.command)) {
      return { available: false, reason: `Python interpreter ${where} does not exist; ${fix}` };
    }
    if (!existsSync(stWorkerScript())) {
      return { available: false, reason: `the worker script ${stWorkerScript()} is missing from this installation of parity` };
    }
    const missing = pythonFacts(py.command).missing();
    if (missing === null) return { available: false, reason: `Python interpreter ${where} does not start; install Python 3.10+ and ${fix}` };
    if (missing.length) return { available: false, reason: `Python ${where} cannot import ${missing.join(', ')}; ${fix}` };
    if (endianness() !== 'LE') return { available: false, reason: 'the worker sends little-endian floats and this machine is big-endian' };
    if (this.options.device === 'cpu') return { available: true };

    const probe = pythonFacts(py.command).devices(this.options.device === 'cuda' ? 'cuda' : 'all');
    if ('error' in probe) return { available: false, reason: `cannot ask torch in ${where} about devices: ${probe.error}` };
    if (this.options.device === 'cuda') {
      if (!probe.cuda) {
        const build = probe.cudaBuild ? `a CUDA ${probe.cudaBuild} build, but no usable NVIDIA GPU/driver` : 'a CPU-only build';
        return {
          available: false,
          reason:
            `no CUDA device: torch ${probe.torch} in ${where} is ${build} (torch.cuda.is_available() is False); ` +
            `on a machine with an NVIDIA GPU, install the CUDA build of the pinned torch into that environment ` +
            `(pip install torch==${probe.torch.split('+')[0]} --index-url https://download.pytorch.org/whl/cu126, the cuXXX matching your driver)`,
        };
      }
      if (this.options.attention === 'flash_attention_2' && !probe.flashAttn) {
        return { available: false, reason: `attention "flash_attention_2" needs the flash-attn package in ${where}: pip install flash-attn --no-build-isolation` };
      }
    }
    if (this.options.device === 'mps' && !probe.mps) {
      return { available: false, reason: `no MPS device: torch ${probe.torch} in ${where} reports torch.backends.mps.is_available() False (MPS needs Apple silicon and macOS 12.3+)` };
    }
    return { available: true };
  }

  async open(context: BackendContext): Promise<void> {
    await this.close();
    this.batchSize = this.options.batchSize ?? context.batchSize;
    const workerOptions = {
      modelDir: this.modelDir,
      device: this.options.device,
      dtype: this.options.dtype,
      attention: this.options.attention ?? null,
      batchSize: this.batchSize,
      threads: threadsFor(this.options.threads, context) ?? null,
      // The run's prompt and truncate_dim, applied by encode() (the registry declares them "runtime").
      embedding: context.model ? { promptName: context.model.prompt?.name ?? null, truncateDim: context.model.truncateDim } : null,
    };
    const env = { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', PYTHONUNBUFFERED: '1' };
    const worker = new PythonWorker(this.python.command, ['-B', stWorkerScript(), JSON.stringify(workerOptions)], env);
    this.worker = worker;
    this.requests = 0;
    let start: WorkerStart;
    try {
      start = await awaitReady(worker);
    } catch (error) {
      this.worker = null;
      worker.kill();
      throw new BackendError(this.name, `sentence-transformers worker did not load ${displayPath(this.modelDir)}: ${(error as Error).message}`, { cause: error });
    }
    if ('loadError' in start) {
      this.worker = null;
      await worker.close();
      throw new BackendError(this.name, `SentenceTransformer(${displayPath(this.modelDir)}, device=${this.options.device}, dtype=${this.options.dtype}) failed: ${start.loadError}`);
    }
    const ready = start.ready;
    this.workerEnvironment = ready;
    const prompt = (ready as { prompt?: { text?: unknown } | null }).prompt;
    const expected = context.model?.prompt?.text ?? '';
    if (context.model && (prompt?.text ?? '') !== expected) {
      await this.close();
      throw new BackendError(
        this.name,
        `SentenceTransformer prepends ${JSON.stringify(prompt?.text ?? '')} for prompt ${JSON.stringify(context.model.prompt?.name ?? null)}, but ${context.model.sources.prompt} gives ${JSON.stringify(expected)}`,
      );
    }
  }

  async embed(texts: readonly string[]): Promise<Matrix> {
    const worker = this.worker;
    if (!worker) throw new BackendError(this.name, 'embed() called before open()');
    if (texts.length === 0) return { rows: 0, dim: 0, data: new Float32Array(0) };
    const id = ++this.requests;
    let out: Float32Array | Float64Array | null = null;
    let dim = 0;
    let received = 0;
    let failure: string | null = null;
    const onFrame = ({ header, payload }: Frame): FrameVerdict => {
      if (header.id !== id) throw new BackendError(this.name, `worker answered request ${String(header.id)} while ${id} was in flight`);
      if (header.type === 'error') {
        failure = `${String(header.message)}${lastTracebackLine(header.traceback)}`;
        return 'done';
      }
      if (header.type === 'done') {
        if (header.rows !== texts.length || received !== texts.length) {
          throw new BackendError(this.name, `worker finished after ${received} of ${texts.length} rows`);
        }
        return 'done';
      }
      if (header.type !== 'vectors') throw new BackendError(this.name, `unexpected ${JSON.stringify(header.type)} frame`);
      const { start, rows, dtype } = header as unknown as { start: number; rows: number; dtype: string };
      const width = dtype === '<f8' ? 8 : dtype === '<f4' ? 4 : 0;
      if (!width) throw new BackendError(this.name, `unsupported vector dtype ${JSON.stringify(dtype)}`);
      // Rows must arrive in corpus order and without gaps: anything else would silently misalign.
      if (start !== received) throw new BackendError(this.name, `frame starts at row ${start}, expected ${received}`);
      if (!out) {
        dim = header.dim as number;
        out = width === 8 ? new Float64Array(texts.length * dim) : new Float32Array(texts.length * dim);
      }
      if (header.dim !== dim || out.BYTES_PER_ELEMENT !== width) throw new BackendError(this.name, `frame shape/dtype changed mid-request (${dim} dims ${out.BYTES_PER_ELEMENT * 8}-bit, then ${String(header.dim)} ${dtype})`);
      if (start + rows > texts.length || payload.length !== rows * dim * width) {
        throw new BackendError(this.name, `frame of ${rows} rows × ${dim} (${payload.length} bytes) does not fit texts ${start}..${texts.length - 1}`);
      }
      // Byte copy into the typed array: the payload may sit at any offset of a pooled Buffer.
      new Uint8Array(out.buffer, out.byteOffset + start * dim * width, payload.length).set(payload);
      received += rows;
      return 'more';
    };
    try {
      await worker.request({ op: 'embed', id, texts, batchSize: this.batchSize }, onFrame);
    } catch (error) {
      if (error instanceof BackendError) {
        worker.kill(); // a worker that breaks the protocol is not trusted with the next block
        throw error;
      }
      throw new BackendError(this.name, `sentence-transformers worker failed while embedding ${texts.length} texts (${received} rows received): ${(error as Error).message}`, { cause: error });
    }
    if (failure !== null) throw new BackendError(this.name, `encode() failed on a block of ${texts.length} texts: ${failure}`);
    return { rows: texts.length, dim, data: out ?? new Float32Array(0) };
  }

  environment(): Record<string, unknown> {
    return {
      runtime: 'sentence-transformers',
      pythonCommand: this.python.command,
      pythonSource: this.python.source,
      requested: { device: this.options.device, dtype: this.options.dtype, attention: this.options.attention ?? null, batchSize: this.options.batchSize ?? null, threads: this.options.threads ?? null },
      model: displayPath(this.modelDir),
      ...this.workerEnvironment,
      ...(this.worker && !this.worker.alive ? { workerDied: this.worker.deathReason } : {}),
    };
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.close();
  }
}

/** Asks `python` about its devices (one short process; see DEVICE_PROBE). */
export function probeDevices(python: string, question: ProbeQuestion): DeviceProbe | { error: string } {
  const r = spawnSync(python, ['-c', DEVICE_PROBE, question], { encoding: 'utf8', timeout: 120_000 });
  if (r.error || r.status !== 0) return { error: (r.error?.message ?? r.stderr.trim().split('\n').pop()) || `exit ${r.status}` };
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as DeviceProbe;
  } catch {
    return { error: `unexpected output ${JSON.stringify(r.stdout.slice(0, 200))}` };
  }
}

/** What one interpreter can import and which devices it sees, each asked at most once. */
export interface PythonFacts {
  missing(): string[] | null;
  devices(question: ProbeQuestion): DeviceProbe | { error: string };
}

const factsByInterpreter = new Map<string, PythonFacts>();

/**
 * The answers for `python`, asked once per process: where several sentence-transformers backends
 * open in one process (`"isolation": "none"`, `parity bench`, the bisect), five entries of one config
 * would otherwise start five import checks and, for the two CUDA entries, two torch imports, all with
 * the same answer. (`parity run` gives each backend a worker process of its own, run/worker-group.ts:
 * there the CPU-only build's quick answer from torch/version.py is what saves the time.) An interpreter is its command path: another path (PARITY_PYTHON, a .venv that appeared)
 * is asked anew.
 */
export function pythonFacts(python: string): PythonFacts {
  let facts = factsByInterpreter.get(python);
  if (!facts) {
    let missing: string[] | null | undefined;
    const devices = new Map<ProbeQuestion, DeviceProbe | { error: string }>();
    facts = {
      missing: () => (missing === undefined ? (missing = missingPythonModules(python, ST_PYTHON_MODULES)) : missing),
      devices: (question) => {
        let answer = devices.get(question) ?? devices.get('all');
        if (!answer) {
          answer = probeDevices(python, question);
          devices.set(question, answer);
        }
        return answer;
      },
    };
    factsByInterpreter.set(python, facts);
  }
  return facts;
}

export const createSentenceTransformersBackend: BackendFactory = (spec) => new SentenceTransformersBackend(spec);
