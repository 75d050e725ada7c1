/**
 * `onnxruntime-web`: ONNX Runtime's WebAssembly build (the `wasm` execution provider) running in
 * Node, on the same padded batches as onnxruntime-node, so the two differ only in their kernels
 * (MLAS compiled to WASM SIMD128 vs native AVX/NEON).
 *
 * Making sure the WASM kernels really run:
 * - `import('onnxruntime-web')` resolves (exports "." → node → import) to dist/ort.node.min.mjs,
 *   which registers only "cpu" and "wasm" backends on the ESM build of onnxruntime-common.
 *   onnxruntime-node is CommonJS and registers its native "cpu" on the CJS build, a separate module
 *   instance, so the two registries never meet; we still request "wasm" (never "cpu") so the name
 *   alone could not select the native binding even if they did.
 * - The WASM binary is read here from the package's own dist folder and handed over as
 *   env.wasm.wasmBinary, and env.wasm.wasmPaths points the glue (.mjs) at the same folder, so no CDN
 *   or other copy can be picked up, and environment() names the exact file and its hash.
 * - ORT-web initialises its WebAssembly module once per process (first session wins): numThreads
 *   is fixed then, and a later backend asking for a different thread count is an error, not a
 *   silent mislabel.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decodeModel, externalDataFiles } from '../../onnx/onnx-graph.js';
import { BackendError, describeCause, InputError } from '../../errors.js';
import { displayPath } from '../../io/display-path.js';
import { sha256 } from '../../io/hash.js';
import type { Availability, BackendFactory, BackendSpec } from '../backend.js';
import { parseGraphOptimizationLevel, type GraphOptimizationLevel } from '../ort-io.js';
import { OrtSessionBackend, type OrtSessionLike, type OrtTensorLike } from '../ort-session-backend.js';

type OrtWeb = typeof import('onnxruntime-web');
type WebTensor = InstanceType<OrtWeb['Tensor']>;

const require = createRequire(import.meta.url);

/** The default (non-JSEP, non-JSPI) build: CPU kernels only, which is what the `wasm` EP runs. */
export const ORT_WEB_WASM_FILE = 'ort-wasm-simd-threaded.wasm';
export const ORT_WEB_GLUE_FILE = 'ort-wasm-simd-threaded.mjs';

export interface OrtWebPackage {
  dir: string;
  version: string;
  /** The file `import('onnxruntime-web')` loads in Node (exports "." → "node" → "import"). */
  entry: string;
  dist: string;
}

/** onnxruntime-web does not export its package.json; find it from the CommonJS entry instead. */
export function ortWebPackage(): OrtWebPackage {
  let dir = dirname(require.resolve('onnxruntime-web'));
  for (let i = 0; i < 4; i++) {
    const pkgPath = join(dir, 'package.json');
    if (existsSync(pkgPath)) {
      const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { name?: string; version: string; exports?: Record<string, unknown> };
      if (pkg.name === 'onnxruntime-web') {
        const dot = pkg.exports?.['.'] as { node?: { import?: string } } | undefined;
        const entry = dot?.node?.import ?? './dist/ort.node.min.mjs';
        return { dir, version: pkg.version, entry: join(dir, entry), dist: join(dir, 'dist') };
      }
    }
    dir = dirname(dir);
  }
  throw new Error('cannot find onnxruntime-web/package.json above its resolved entry');
}

export interface OrtWebOptions {
  /** ONNX file relative to the model folder. */
  modelFile: string;
  /** env.wasm.numThreads: 1 (default) runs the kernels on the calling thread only. */
  numThreads: number;
  /** Default 'all' (ONNX Runtime's own default). */
  graphOptimizationLevel: GraphOptimizationLevel;
}

export function parseOrtWebOptions(spec: BackendSpec): OrtWebOptions {
  const o = spec.options;
  const modelFile = o.model ?? 'onnx/model.onnx';
  if (typeof modelFile !== 'string') throw new InputError(`backend "${spec.name}": "model" must be a path string`);
  const threads = o.threads ?? 1;
  if (!Number.isInteger(threads) || (threads as number) < 1) {
    throw new InputError(`backend "${spec.name}": "threads" must be a positive integer (env.wasm.numThreads), got ${JSON.stringify(o.threads)}`);
  }
  return { modelFile, numThreads: threads as number, graphOptimizationLevel: parseGraphOptimizationLevel(spec, 'all') };
}

/** What the one per-process WebAssembly initialisation used; set by the first session created. */
interface WasmInit {
  numThreads: number;
  wasmFile: string;
  wasmSha256: string;
  wasmBytes: number;
  glueFile: string;
  simd: string;
}

let ortModule: Promise<OrtWeb> | undefined;
let wasmInit: WasmInit | undefined;

function importOrtWeb(): Promise<OrtWeb> {
  ortModule ??= import('onnxruntime-web') as Promise<OrtWeb>;
  return ortModule;
}

export class OrtWebBackend extends OrtSessionBackend<WebTensor> {
  private ort: OrtWeb | null = null;
  private readonly options: OrtWebOptions;

  constructor(spec: BackendSpec) {
    const options = parseOrtWebOptions(spec);
    super(spec, options.modelFile, options.graphOptimizationLevel);
    this.options = options;
  }

  protected async runtimeAvailability(): Promise<Availability> {
    try {
      const pkg = ortWebPackage();
      if (!existsSync(join(pkg.dist, ORT_WEB_WASM_FILE))) {
        return { available: false, reason: `onnxruntime-web ${pkg.version} has no dist/${ORT_WEB_WASM_FILE}` };
      }
      this.ort = await importOrtWeb();
    } catch (error) {
      return { available: false, reason: `onnxruntime-web does not load: ${describeCause(error)}` };
    }
    if (typeof WebAssembly !== 'object') return { available: false, reason: 'this JavaScript runtime has no WebAssembly' };
    return { available: true };
  }

  /** Points ORT-web at the package's own WASM files; a no-op after the first session of the process. */
  private configureWasm(ort: OrtWeb): void {
    const wanted = this.options.numThreads;
    if (wasmInit) {
      if (wasmInit.numThreads !== wanted) {
        throw new BackendError(
          this.name,
          `onnxruntime-web's WebAssembly module was already initialised in this process with numThreads ${wasmInit.numThreads}; ` +
            `it cannot be re-initialised with ${wanted} (run this backend in a separate \`parity run\`)`,
        );
      }
      return;
    }
    const dist = ortWebPackage().dist;
    const wasmFile = join(dist, ORT_WEB_WASM_FILE);
    const glueFile = join(dist, ORT_WEB_GLUE_FILE);
    const binary = readFileSync(wasmFile);
    ort.env.wasm.numThreads = wanted;
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmPaths = { mjs: pathToFileURL(glueFile), wasm: pathToFileURL(wasmFile) };
    ort.env.wasm.wasmBinary = new Uint8Array(binary.buffer, binary.byteOffset, binary.byteLength);
    wasmInit = {
      numThreads: wanted,
      wasmFile,
      wasmSha256: sha256(binary),
      wasmBytes: binary.byteLength,
      glueFile,
      simd: ort.env.wasm.simd === 'relaxed' ? 'relaxed SIMD' : 'fixed-width SIMD128 (the only CPU build; init fails without it)',
    };
  }

  /** External data files of the model (model.onnx_data), read only when a file beside it could be one. */
  private externalDataFiles(): string[] {
    const base = basename(this.modelPath);
    const beside = readdirSync(dirname(this.modelPath)).filter((f) => f !== base && f.startsWith(base.replace(/\.onnx$/, '')) && !f.endsWith('.onnx'));
    return beside.length ? externalDataFiles(decodeModel(readFileSync(this.modelPath))) : [];
  }

  protected async createSession(): Promise<OrtSessionLike<WebTensor>> {
    const ort = (this.ort ??= await importOrtWeb());
    this.configureWasm(ort);
    const externalData = this.externalDataFiles();
    let session;
    try {
      session = await ort.InferenceSession.create(this.modelPath, {
        executionProviders: ['wasm'],
        graphOptimizationLevel: this.graphOptimizationLevel,
        // The WebAssembly build reads no file by itself: external weights are handed over as bytes.
        ...(externalData.length
          ? { externalData: externalData.map((path) => ({ path, data: new Uint8Array(readFileSync(join(dirname(this.modelPath), path))) })) }
          : {}),
      });
    } catch (error) {
      throw new BackendError(this.name, `cannot create an onnxruntime-web session for ${this.modelPath} on the wasm EP: ${describeCause(error)}`, {
        cause: error,
      });
    }
    // The flags ORT-web actually ran with (it resets numThreads to 1 where threads are unsupported).
    if (wasmInit && ort.env.wasm.numThreads !== wasmInit.numThreads) {
      await session.release();
      throw new BackendError(this.name, `asked for numThreads ${wasmInit.numThreads}, onnxruntime-web runs ${ort.env.wasm.numThreads}`);
    }
    return session as unknown as OrtSessionLike<WebTensor>;
  }

  protected int32Tensor(data: Int32Array, dims: number[]): WebTensor {
    return new this.ort!.Tensor('int32', data, dims);
  }

  protected int64Tensor(data: BigInt64Array, dims: number[]): WebTensor {
    return new this.ort!.Tensor('int64', data, dims);
  }

  protected outputValues(out: OrtTensorLike): ArrayLike<number> {
    if (out.type !== 'float32') {
      throw new BackendError(this.name, `output "${this.output?.name}" has type ${out.type}; this runner reads float32 only`);
    }
    return out.data as Float32Array;
  }

  environment(): Record<string, unknown> {
    let pkg: OrtWebPackage | null = null;
    try {
      pkg = ortWebPackage();
    } catch {
      /* reported as unknown */
    }
    const env = this.ort?.env;
    return {
      runtime: 'onnxruntime-web',
      version: env?.versions?.web ?? pkg?.version ?? 'unknown',
      onnxruntimeCommon: env?.versions?.common ?? 'unknown',
      entry: pkg ? displayPath(pkg.entry) : 'unknown',
      executionProviders: ['wasm'],
      wasmFile: wasmInit ? displayPath(wasmInit.wasmFile) : null,
      wasmSha256: wasmInit?.wasmSha256 ?? null,
      wasmBytes: wasmInit?.wasmBytes ?? null,
      glueFile: wasmInit ? displayPath(wasmInit.glueFile) : null,
      numThreads: env?.wasm.numThreads ?? this.options.numThreads,
      simd: wasmInit?.simd ?? null,
      ...this.modelEnvironment(),
    };
  }
}

export const createOrtWebBackend: BackendFactory = (spec) => new OrtWebBackend(spec);
