/**
 * onnxruntime-web's WebGPU EP in headless Chromium (SwiftShader here), run once for all four WebGPU
 * backends so they share one browser, against the committed golden. The environment must prove
 * which kernels ran: FlashAttention with the subgroup variant gives wrong numbers on SwiftShader
 * (subgroup size 4, the shader assumes >= 8), the shared-memory variant matches.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackends } from '../../../src/backends/registry.js';
import { closeSharedBrowsers } from '../../../src/backends/webgpu/browser.js';
import { modelUsesFloat16 } from '../../../src/backends/webgpu/runner.js';
import { InputError } from '../../../src/errors.js';
import type { BackendReport, Report } from '../../../src/report/report.js';
import { runParity } from '../../../src/run/run.js';
import { ROOT, tempDir } from '../../support/helpers.js';
import { requireChromium } from '../../support/installs.js';

process.chdir(ROOT);

const chromium = requireChromium();
const NAMES = ['webgpu-fp32', 'webgpu-flash', 'webgpu-flash-nosubgroups', 'webgpu-fp16'];

let report: Report;
const byName: Record<string, BackendReport> = {};

interface FlashInfo {
  ran: boolean;
  dispatches: Record<string, number>;
  subgroupDispatches?: number;
  deviceHasSubgroups?: boolean;
  subgroupMinSize?: number | null;
  subgroupMaxSize?: number | null;
}

function summary(b: BackendReport): string {
  const env = b.environment as { timings?: Record<string, unknown>; flashAttention?: FlashInfo };
  const m = b.metrics;
  const metrics = m ? `max abs ${m.maxAbs.toExponential(3)}, cos Δ max ${m.cosineDeltaMax.toExponential(3)}` : b.reason;
  return `${b.name}: ${b.status} (${metrics}); timings ${JSON.stringify(env.timings ?? {})}; flash ${JSON.stringify(env.flashAttention ?? {})}`;
}

const MODEL_DIR = join(ROOT, 'fixtures/models/tiny-bert');
const spec = (options: Record<string, unknown>) => ({ name: 'wg', runtime: 'webgpu-browser', modelDir: MODEL_DIR, options });

describe('webgpu-browser without a browser', () => {
  it('rejects bad options with the key and the allowed values', () => {
    expect(() => createBackends([spec({ bundle: 'jsep' })])).toThrow(InputError);
    expect(() => createBackends([spec({ bundle: 'jsep' })])).toThrow(/"bundle" must be one of default, webgpu/);
    expect(() => createBackends([spec({ subgroups: 'no' })])).toThrow(/"subgroups" must be true or false/);
  });

  it('is skipped with the reason when Chromium is missing', async () => {
    const [b] = createBackends([spec({ executablePath: '/nonexistent/chromium' })]);
    expect(await b.availability()).toEqual({ available: false, reason: 'no browser at /nonexistent/chromium (from option "executablePath")' });
  });

  it('knows which fixture models are float16 (they need shader-f16)', () => {
    expect(modelUsesFloat16(join(MODEL_DIR, 'onnx/model.onnx'))).toBe(false);
    expect(modelUsesFloat16(join(MODEL_DIR, 'onnx/model_mha.onnx'))).toBe(false);
    expect(modelUsesFloat16(join(MODEL_DIR, 'onnx/model_fp16.onnx'))).toBe(true);
  });
});

describe.skipIf(!chromium.present)(chromium.title('webgpu-browser in Chromium'), () => {
  beforeAll(async () => {
    const started = performance.now();
    ({ report } = await runParity({ out: tempDir(), backends: NAMES }));
    for (const b of report.backends) byName[b.name] = b;
    console.log(`4 WebGPU backends in ${(performance.now() - started).toFixed(0)} ms`);
    for (const b of report.backends) console.log(summary(b));
  }, 540_000);

  afterAll(async () => {
    await closeSharedBrowsers();
  });

  it('webgpu-fp32 (default JSEP bundle) passes and reports the adapter, browser and bundle', () => {
    const b = byName['webgpu-fp32'];
    expect(b.status, b.reason ?? '').toBe('pass');
    expect(b.metrics!.maxAbs).toBeGreaterThan(0);
    const env = b.environment as Record<string, any>;
    expect(env.runtime).toBe('webgpu-browser');
    expect(env.graphOptimizationLevel).toBe('all');
    expect(env.bundle.import).toBe('onnxruntime-web');
    expect(env.ortFilesLoaded).toContain('ort-wasm-simd-threaded.jsep.wasm');
    expect(env.adapter.vendor).toBeTruthy();
    expect(env.browser.version).toBeTruthy();
    expect(env.browser.blockedRequests).toEqual([]);
    expect(env.console.webgpuValidationErrors).toBe(0);
    // The kernels really ran on the GPU device: WebGPU dispatches of ORT's programs.
    expect(env.kernels.MatMul).toBeGreaterThan(0);
    expect(env.flashAttention.ran).toBe(false);
  });

  it('webgpu-flash (native bundle, default device with subgroups) fails loudly, with the FlashAttention kernels it ran', () => {
    const b = byName['webgpu-flash'];
    const env = b.environment as Record<string, any>;
    expect(env.bundle.import).toBe('onnxruntime-web/webgpu');
    expect(env.ortFilesLoaded).toContain('ort-wasm-simd-threaded.asyncify.wasm');
    const flash = env.flashAttention as FlashInfo;
    expect(flash.ran).toBe(true);
    expect(flash.deviceHasSubgroups).toBe(true);
    expect(flash.dispatches.FlashAttention).toBeGreaterThan(0);
    // The dispatched FlashAttention shader is the subgroup variant (its WGSL calls subgroupShuffle).
    expect(env.kernelDetails.FlashAttention.subgroupDispatches).toBe(flash.dispatches.FlashAttention);
    // The shader assumes subgroups of at least 8 lanes; SwiftShader's are 4.
    const smallSubgroups = env.adapter.subgroupMinSize !== null && env.adapter.subgroupMinSize < 8;
    if (smallSubgroups) {
      // A later config change may mark this backend as an expected failure (xfail).
      expect(['fail', 'xfail']).toContain(b.status);
      // The wrong kernel races: max abs varies from run to run (0.067, 0.091, 0.177 measured), so
      // assert a floor that is a bug by three orders of magnitude over the 1e-5 tolerance, not a value.
      expect(b.metrics!.maxAbs).toBeGreaterThan(1e-2);
    } else {
      expect(b.metrics!.total).toBeGreaterThan(0);
    }
  });

  it('webgpu-flash-nosubgroups (own device without subgroups) passes through the shared-memory FlashAttention', () => {
    const b = byName['webgpu-flash-nosubgroups'];
    expect(b.status, b.reason ?? '').toBe('pass');
    const env = b.environment as Record<string, any>;
    const flash = env.flashAttention as FlashInfo;
    expect(flash.ran).toBe(true);
    expect(flash.deviceHasSubgroups).toBe(false);
    expect(flash.dispatches.FlashAttention).toBeGreaterThan(0);
    expect(env.kernelDetails.FlashAttention.subgroupDispatches).toBe(0);
    // Every kernel ran on the one device the page created, which lacks subgroups.
    expect(env.devices).toHaveLength(1);
    expect(env.devices[0].requestedBy).toBe('harness');
    expect(env.devices[0].features).not.toContain('subgroups');
  });

  it('webgpu-fp16 is skipped where the adapter lacks shader-f16, and runs for real where it has it', () => {
    const b = byName['webgpu-fp16'];
    const adapter = (byName['webgpu-fp32'].environment as Record<string, any>).adapter;
    if (adapter.features.includes('shader-f16')) {
      expect(['pass', 'fail']).toContain(b.status);
      expect(b.metrics!.total).toBeGreaterThan(0);
    } else {
      expect(b.status).toBe('skipped');
      expect(b.reason).toBe(`adapter ${adapter.vendor}/${adapter.architecture} lacks shader-f16 (model_fp16.onnx is float16)`);
    }
  });
});
