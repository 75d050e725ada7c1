/**
 * `openvino`: Intel's OpenVINO runtime, CPU plugin, reading the same ONNX file as onnxruntime-node.
 * It runs in the Python worker (python/st_worker.py loading python/openvino_runner.py): the `openvino`
 * wheel on PyPI installs offline, while openvino-node on npm downloads its runtime in a postinstall
 * script, which cannot work without the network.
 *
 * Tokenization, batching, pooling, Normalize and truncateDim stay in the harness (HiddenStateBackend),
 * exactly as for onnxruntime-node: the worker gets padded int64 batches and returns the token vectors,
 * so this backend and cpu-fp32 differ only in the runtime that runs the graph.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { endianness } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { PaddedBatch } from '../../embed/batches.js';
import { BackendError, describeCause } from '../../errors.js';
import { displayPath } from '../../io/display-path.js';
import { sha256File } from '../../io/hash.js';
import { describePythonSource, findPython, missingPythonModules, PYTHON_SETUP_HINT, type PythonInterpreter } from '../../python/interpreter.js';
import { threadsFor, type Availability, type BackendContext, type BackendFactory, type BackendSpec } from '../backend.js';
import { HiddenStateBackend, type HiddenState } from '../hidden-state-backend.js';
import { modelFeeds } from '../ort-io.js';
import { checkOutputDims, chooseModelOutput, type ModelOutput } from '../output-choice.js';
import { awaitReady, PythonWorker, lastTracebackLine } from '../sentence-transformers/python-worker.js';
import { stWorkerScript } from '../sentence-transformers/runner.js';
import { OPENVINO_CAPABILITY, parseOpenVinoOptions, type OpenVinoOptions } from './options.js';

/** Python modules the OpenVINO worker imports (import names). */
export const OPENVINO_PYTHON_MODULES = ['openvino', 'numpy'] as const;

/** python/openvino_runner.py, beside the worker script that loads it. */
export function openVinoRunnerScript(): string {
  return resolve(dirname(stWorkerScript()), 'openvino_runner.py');
}

const CAPABILITY_PROBE = `
import json, openvino as ov
c = ov.Core()
print(json.dumps({"version": ov.__version__, "device": c.get_property("CPU", "FULL_DEVICE_NAME"),
  "capabilities": list(c.get_property("CPU", "OPTIMIZATION_CAPABILITIES"))}))
`;

interface CapabilityProbe {
  version: string;
  device: string;
  capabilities: string[];
}

export class OpenVinoBackend extends HiddenStateBackend {
  readonly options: OpenVinoOptions;
  private readonly modelPath: string;
  private readonly configDir: string | undefined;
  private python: PythonInterpreter;
  private worker: PythonWorker | null = null;
  private workerEnvironment: Record<string, unknown> = {};
  private output: ModelOutput | null = null;
  private inputNames: string[] = [];
  private modelHash = '';
  private lastPooledByModel: boolean | null = null;
  private requests = 0;

  constructor(spec: BackendSpec) {
    super(spec.name);
    this.options = parseOpenVinoOptions(spec);
    this.modelPath = resolve(spec.modelDir, this.options.modelFile);
    this.configDir = spec.configDir;
    this.python = findPython({ configured: this.options.python, configDir: this.configDir });
  }

  async availability(): Promise<Availability> {
    this.python = findPython({ configured: this.options.python, configDir: this.configDir });
    const py = this.python;
    const where = `${py.command} (${describePythonSource(py)})`;
    const fix = `run \`${PYTHON_SETUP_HINT}\` (installs the pinned openvino from python/requirements.txt into .venv), or point "python" in the config or PARITY_PYTHON at an environment with openvino`;
    if (!existsSync(this.modelPath)) return { available: false, reason: `model file ${this.modelPath} not found` };
    if ((isAbsolute(py.command) || py.command.includes('/')) && !existsSync(py.command)) {
      return { available: false, reason: `Python interpreter ${where} does not exist; ${fix}` };
    }
    if (!existsSync(openVinoRunnerScript())) return { available: false, reason: `the worker script ${openVinoRunnerScript()} is missing from this installation of parity` };
    const missing = missingPythonModules(py.command, OPENVINO_PYTHON_MODULES);
    if (missing === null) return { available: false, reason: `Python interpreter ${where} does not start; install Python 3.10+ and ${fix}` };
    if (missing.length) return { available: false, reason: `Python ${where} cannot import ${missing.join(', ')}; ${fix}` };
    if (endianness() !== 'LE') return { available: false, reason: 'the worker sends little-endian floats and this machine is big-endian' };
    if (this.options.inferencePrecision === 'f32') return { available: true };
    // bf16/f16: the CPU plugin compiles them anyway and silently runs f32 where the CPU lacks them.
    const probe = probeCapabilities(py.command);
    if ('error' in probe) return { available: false, reason: `cannot ask OpenVINO in ${where} about the CPU: ${probe.error}` };
    const wanted = OPENVINO_CAPABILITY[this.options.inferencePrecision];
    if (!probe.capabilities.includes(wanted)) {
      return {
        available: false,
        reason: `inferencePrecision ${this.options.inferencePrecision} needs ${wanted} in the CPU plugin's OPTIMIZATION_CAPABILITIES; OpenVINO ${probe.version} on ${probe.device} lists ${probe.capabilities.join(', ')}`,
      };
    }
    return { available: true };
  }

  protected async load(context: BackendContext): Promise<void> {
    await this.stopWorker();
    const workerOptions = {
      runner: 'openvino',
      modelFile: this.modelPath,
      inferencePrecision: this.options.inferencePrecision,
      // The config's threads, else the command's share of the cores, else the plugin's default.
      threads: threadsFor(this.options.threads, context) ?? null,
    };
    const env = { ...process.env, PYTHONUNBUFFERED: '1' };
    const worker = new PythonWorker(this.python.command, ['-B', stWorkerScript(), JSON.stringify(workerOptions)], env);
    this.worker = worker;
    this.requests = 0;
    const what = `OpenVINO CPU (${this.options.inferencePrecision}) on ${displayPath(this.modelPath)}`;
    let start;
    try {
      start = await awaitReady(worker);
    } catch (error) {
      this.worker = null;
      worker.kill();
      throw new BackendError(this.name, `the OpenVINO worker did not start ${what}: ${describeCause(error)}`, { cause: error });
    }
    if ('loadError' in start) {
      this.worker = null;
      await worker.close();
      throw new BackendError(this.name, `${what} failed to compile: ${start.loadError}`);
    }
    this.workerEnvironment = start.ready;
    this.inputNames = (start.ready.inputs as string[]) ?? [];
    // Chosen as for onnxruntime-node, by conventional name or as the only output (the worker reports names only).
    this.output = chooseModelOutput(this.name, ((start.ready.outputs as string[]) ?? []).map((name) => ({ name, shape: null })), null);
    this.modelHash = sha256File(this.modelPath);
  }

  protected async forward(batch: PaddedBatch): Promise<HiddenState> {
    const worker = this.worker;
    const output = this.output;
    if (!worker || !output) throw new BackendError(this.name, 'forward() before the model was compiled');
    const inputs = modelFeeds(this.name, this.inputNames, batch, (data) => Array.from(data, Number));
    const id = ++this.requests;
    let result: { dims: number[]; data: Float32Array } | null = null;
    let failure: string | null = null;
    try {
      await worker.request({ op: 'forward', id, batch: batch.batch, seq: batch.seq, output: output.name, inputs }, ({ header, payload }) => {
        if (header.id !== id) throw new BackendError(this.name, `worker answered request ${String(header.id)} while ${id} was in flight`);
        if (header.type === 'error') {
          failure = `${String(header.message)}${lastTracebackLine(header.traceback)}`;
          return 'done';
        }
        if (header.type !== 'hidden' || header.dtype !== '<f4') throw new BackendError(this.name, `unexpected ${JSON.stringify(header.type)} frame (dtype ${String(header.dtype)})`);
        const dims = (header.dims as number[]).map(Number);
        const count = dims.reduce((a, b) => a * b, 1);
        if (payload.length !== count * 4) throw new BackendError(this.name, `output of dims [${dims}] came with ${payload.length} bytes`);
        // Byte copy into an aligned array: the payload may sit at any offset of a pooled Buffer.
        const data = new Float32Array(count);
        new Uint8Array(data.buffer).set(payload);
        result = { dims, data };
        return 'done';
      });
    } catch (error) {
      if (error instanceof BackendError) {
        worker.kill(); // a worker that breaks the protocol is not trusted with the next batch
        throw error;
      }
      throw new BackendError(this.name, `the OpenVINO worker failed on a batch of ${batch.batch}×${batch.seq}: ${describeCause(error)}`, { cause: error });
    }
    if (failure !== null) throw new BackendError(this.name, `infer() failed on a batch of ${batch.batch}×${batch.seq}: ${failure}`);
    const { dims, data } = result!;
    if (dims[0] !== batch.batch) throw new BackendError(this.name, `output "${output.name}" has ${dims[0]} rows for a batch of ${batch.batch}`);
    const tokens = checkOutputDims(this.name, output, dims);
    this.lastPooledByModel = !tokens;
    return tokens ? { data, seq: dims[1], dim: dims[2] } : { data, seq: 1, dim: dims[1], pooled: true };
  }

  environment(): Record<string, unknown> {
    return {
      runtime: 'openvino',
      pythonCommand: this.python.command,
      pythonSource: this.python.source,
      requested: { inferencePrecision: this.options.inferencePrecision, threads: this.options.threads ?? null },
      ...this.workerEnvironment,
      model: displayPath(this.modelPath),
      modelSha256: this.modelHash,
      output: this.output?.name ?? '',
      pooledByModel: this.lastPooledByModel,
      ...(this.worker && !this.worker.alive ? { workerDied: this.worker.deathReason } : {}),
    };
  }

  private async stopWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.close();
  }

  override async close(): Promise<void> {
    await this.stopWorker();
    await super.close();
  }
}

function probeCapabilities(python: string): CapabilityProbe | { error: string } {
  const r = spawnSync(python, ['-c', CAPABILITY_PROBE], { encoding: 'utf8', timeout: 120_000 });
  if (r.error || r.status !== 0) return { error: (r.error?.message ?? r.stderr.trim().split('\n').pop()) || `exit ${r.status}` };
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as CapabilityProbe;
  } catch {
    return { error: `unexpected output ${JSON.stringify(r.stdout.slice(0, 200))}` };
  }
}

export const createOpenVinoBackend: BackendFactory = (spec) => new OpenVinoBackend(spec);
