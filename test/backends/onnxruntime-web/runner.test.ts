/**
 * onnxruntime-web's wasm execution provider in Node, against the committed golden, and proof that
 * it really ran WebAssembly kernels and not onnxruntime-node's native CPU provider (both register a
 * backend called "cpu" on onnxruntime-common, so a mix-up would be silent and pass every tolerance).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORT_WEB_WASM_FILE, ortWebPackage } from '../../../src/backends/onnxruntime-web/runner.js';
import { loadConfig } from '../../../src/config/config.js';
import { readNpy } from '../../../src/npy/npy.js';
import type { BackendReport, Report } from '../../../src/report/report.js';
import { runParity } from '../../../src/run/run.js';
import { ROOT, tempDir } from '../../support/helpers.js';

process.chdir(ROOT);

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Every WebAssembly module instantiated from bytes in this process while the spy is on. */
const instantiated: { sha256: string; bytes: number }[] = [];
const originalInstantiate = WebAssembly.instantiate;

let out: string;
let report: Report;
let wasm: BackendReport;
let cpu: BackendReport;

beforeAll(async () => {
  // onnxruntime-node loads first, so its native "cpu" backend is registered before ORT-web's.
  await import('onnxruntime-node');
  (WebAssembly as { instantiate: unknown }).instantiate = function (source: unknown, imports?: WebAssembly.Imports) {
    if (ArrayBuffer.isView(source) || source instanceof ArrayBuffer) {
      const bytes = ArrayBuffer.isView(source) ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength) : new Uint8Array(source);
      instantiated.push({ sha256: sha256(bytes), bytes: bytes.byteLength });
    }
    return (originalInstantiate as (s: unknown, i?: WebAssembly.Imports) => Promise<unknown>).call(WebAssembly, source, imports);
  };
  out = tempDir();
  // In this process: the test watches WebAssembly.instantiate here.
  ({ report } = await runParity({ out, backends: ['cpu-fp32', 'wasm-fp32'], isolation: 'none' }));
  [cpu, wasm] = report.backends;
  const m = wasm.metrics!;
  console.log(
    `wasm-fp32: max abs ${m.maxAbs.toExponential(3)}, cos Δ max ${m.cosineDeltaMax.toExponential(3)}, min atol ${m.minPassingAtol?.toExponential(3)}; ` +
      `open ${wasm.timing!.openMs.toFixed(0)} ms, embed ${wasm.timing!.embedMs.toFixed(0)} ms; ` +
      `vs cpu-fp32 max abs ${report.pairwise.maxAbs[1][2].toExponential(3)}`,
  );
}, 120_000);

afterAll(() => {
  WebAssembly.instantiate = originalInstantiate;
});

describe('wasm-fp32 (onnxruntime-web, wasm EP)', () => {
  it('passes against the golden with the configured tolerance', () => {
    const spec = loadConfig(join(ROOT, 'parity.config.json')).backends.find((b) => b.name === 'wasm-fp32')!;
    expect(wasm.name).toBe('wasm-fp32');
    expect(wasm.status).toBe('pass');
    expect(wasm.tolerance).toEqual(spec.tolerance);
    const m = wasm.metrics!;
    expect(m.shape).toEqual(report.golden.shape);
    expect(m.mismatches).toBe(0);
    expect(m.nonFinite).toBe(0);
    // fp32 kernels vs a float64 golden: rounding noise, nowhere near the 1e-5 atol.
    expect(m.maxAbs).toBeGreaterThan(0);
    expect(m.maxAbs).toBeLessThan(5e-6);
    expect(m.cosineDeltaMax).toBeLessThan(1e-9);
  });

  it('reports the ORT-web build, the wasm EP and the exact wasm file it loaded', () => {
    const pkg = ortWebPackage();
    const wasmPath = join(pkg.dist, ORT_WEB_WASM_FILE);
    const env = wasm.environment;
    expect(env.runtime).toBe('onnxruntime-web');
    expect(env.version).toBe(pkg.version);
    expect(env.entry).toMatch(/onnxruntime-web\/dist\/ort\.node\.min\.mjs$/);
    expect(env.executionProviders).toEqual(['wasm']);
    expect(env.numThreads).toBe(1);
    expect(env.graphOptimizationLevel).toBe('all');
    expect(env.wasmFile).toMatch(/onnxruntime-web\/dist\/ort-wasm-simd-threaded\.wasm$/);
    expect(env.wasmSha256).toBe(sha256(readFileSync(wasmPath)));
    expect(env.simd).toMatch(/SIMD/);
    expect(env.outputType).toBe('float32');
  });

  it('really ran WebAssembly: the ORT wasm binary was instantiated, and its vectors are not onnxruntime-node bits', () => {
    // Hard proof 1: exactly the package's ort-wasm-simd-threaded.wasm was instantiated in this process.
    expect(instantiated.map((i) => i.sha256)).toContain(wasm.environment.wasmSha256);
    // Hard proof 2: the native provider and the WASM build round differently (AVX/FMA vs SIMD128
    // kernels), so identical bits everywhere would mean the same kernels ran twice.
    expect(cpu.status).toBe('pass');
    const a = readNpy(join(out, wasm.vectors!));
    const b = readNpy(join(out, cpu.vectors!));
    expect([a.rows, a.dim]).toEqual([b.rows, b.dim]);
    let differing = 0;
    for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) differing++;
    console.log(`wasm-fp32 vs cpu-fp32: ${differing} / ${a.data.length} elements differ in bits`);
    expect(differing).toBeGreaterThan(0);
    const pairMax = report.pairwise.maxAbs[report.pairwise.names.indexOf('wasm-fp32')][report.pairwise.names.indexOf('cpu-fp32')];
    expect(pairMax).toBeGreaterThan(0);
    expect(pairMax).toBeLessThan(5e-6);
  });
});
