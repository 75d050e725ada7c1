/**
 * `webgpu-browser`: onnxruntime-web's WebGPU execution provider in headless Chromium, driven by
 * playwright-core, on the harness's padded batches (HiddenStateBackend), so it differs from the
 * other ONNX Runtime backends only in its kernels.
 *
 * - One Chromium per run, shared by every WebGPU backend (browser.ts); one page, one GPUDevice and
 *   one ORT session per backend for the whole corpus.
 * - The page is served from a loopback server (server.ts) with onnxruntime-web's own dist files;
 *   every other request is aborted.
 * - The page instruments WebGPU before ORT loads (page-code.ts) and environment() reports the
 *   kernels that actually ran, with dispatch counts, and on which device (with or without
 *   `subgroups`): a FlashAttention claim in a report is proven, not assumed.
 * - fp16 models need the adapter's `shader-f16`: without it the default bundle returns all zeros
 *   with no error and the webgpu bundle throws, so availability() skips such a backend up front.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import type { Page } from 'playwright-core';
import { BackendError, describeCause } from '../../errors.js';
import type { PaddedBatch } from '../../embed/batches.js';
import { displayPath } from '../../io/display-path.js';
import { sha256File } from '../../io/hash.js';
import { fromFloat16Bits } from '../../numeric/float16.js';
import type { Availability, BackendContext, BackendFactory, BackendSpec } from '../backend.js';
import { modelFeeds } from '../ort-io.js';
import { checkOutputDims, chooseModelOutput, parseOutputChoice, type ModelOutput, type OutputChoice } from '../output-choice.js';
import { HiddenStateBackend, type HiddenState } from '../hidden-state-backend.js';
import { ortWebPackage } from '../onnxruntime-web/runner.js';
import { acquireBrowser, CHROMIUM_ARGS, type BrowserLease } from './browser.js';
import { chromiumMissingReason } from './find-chromium.js';
import { BUNDLES, parseWebGpuOptions, type WebGpuOptions } from './options.js';
import { INSTRUMENT_SCRIPT } from './page-code.js';


const { onnx } = onnxProto;
const FLOAT16 = 10;
const MAX_MESSAGES = 10;

interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean | null;
  subgroupMinSize: number | null;
  subgroupMaxSize: number | null;
  features: string[];
  keyLimits: Record<string, number>;
}
type ProbeResult = { ok: false; reason: string } | { ok: true; adapter: AdapterInfo; crossOriginIsolated: boolean; userAgent: string };
interface InitResult {
  inputNames: string[];
  outputNames: string[];
  /** The session's outputMetadata (shape null for a non-tensor), for the output choice. */
  outputMetadata?: { name: string; isTensor: boolean; shape: (number | string)[] | null }[];
  versions: Record<string, string>;
  ownDevice: { features: string[] } | null;
  numThreads: number;
  /** The level the page created the session with. */
  graphOptimizationLevel: string;
}
interface KernelStats {
  pipelines: number;
  dispatches: number;
  /** Ids into GpuStats.devices. */
  devices: number[];
  /** Pipelines / dispatches whose WGSL calls subgroup builtins (the subgroup variant of a kernel). */
  subgroupShaders: number;
  subgroupDispatches: number;
}
interface GpuStats {
  devices: { id: number; requestedBy: string; features: string[]; requiredFeatures?: string[] }[];
  kernels: Record<string, KernelStats>;
}
interface RunReply {
  type: string;
  dims: number[];
  /** Raw little-endian bytes of the output (float32, or float16 bits). */
  base64: string;
  ms: number;
  stats: GpuStats | null;
}

/** True when the ONNX file has float16 initializers, inputs, outputs or value_info. */
export function modelUsesFloat16(path: string): boolean {
  const model = onnx.ModelProto.decode(readFileSync(path));
  const g = model.graph;
  if (!g) return false;
  if (g.initializer?.some((t) => t.dataType === FLOAT16)) return true;
  const typed = [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])];
  return typed.some((v) => v.type?.tensorType?.elemType === FLOAT16);
}

/**
 * Every batch must make WebGPU dispatches: onnxruntime-web can run a session on its CPU (wasm)
 * kernels when the WebGPU EP is not taken, and vectors from that are not WebGPU's, however close.
 * `seen`: the page's dispatch count after the previous batch (its counters only grow). Returns the new count.
 */
export function newDispatches(backend: string, stats: Pick<GpuStats, 'kernels'> | null, seen: number, batch: Pick<PaddedBatch, 'batch' | 'seq'>): number {
  const total = Object.values(stats?.kernels ?? {}).reduce((n, k) => n + k.dispatches, 0);
  if (total <= seen) {
    throw new BackendError(
      backend,
      `session.run on a batch of ${batch.batch}×${batch.seq} made no WebGPU dispatch: the model ran without the GPU (a CPU fallback is not WebGPU) — ` +
        'check that Chromium found a WebGPU adapter (environment.adapter) and that the bundle took the WebGPU execution provider',
    );
  }
  return total;
}

export class WebGpuBackend extends HiddenStateBackend {
  private readonly options: WebGpuOptions;
  private readonly modelPath: string;
  private lease: BrowserLease | null = null;
  private page: Page | null = null;
  private probeResult: ProbeResult | null = null;
  private init: InitResult | null = null;
  private stats: GpuStats | null = null;
  private usesFloat16: boolean | null = null;
  private modelHash = '';
  private output: ModelOutput | null = null;
  private readonly outputChoice: OutputChoice;
  private lastOutputType = '';
  private readonly messages: string[] = [];
  private messageCount = 0;
  private validationErrors = 0;
  private readonly pageErrors: string[] = [];
  private readonly ortFilesLoaded: string[] = [];
  private readonly timings: Record<string, number | boolean> = {};
  private batches = 0;
  /** WebGPU dispatches the page had made after the last batch (its counters only grow). */
  private dispatchesSeen = 0;
  private gpuRunMs = 0;

  constructor(spec: BackendSpec) {
    super(spec.name);
    this.options = parseWebGpuOptions(spec);
    this.outputChoice = parseOutputChoice(spec);
    this.modelPath = resolve(spec.modelDir, this.options.modelFile);
  }

  async availability(): Promise<Availability> {
    const missing = chromiumMissingReason(this.options.chromium);
    if (missing) return { available: false, reason: missing };
    if (!existsSync(this.modelPath)) return { available: false, reason: `model file ${this.modelPath} not found` };
    let dist: string;
    try {
      const pkg = ortWebPackage();
      dist = pkg.dist;
      const bundle = BUNDLES[this.options.bundle];
      if (!existsSync(join(dist, bundle.file))) {
        return { available: false, reason: `onnxruntime-web ${pkg.version} has no dist/${bundle.file} (bundle "${this.options.bundle}")` };
      }
    } catch (error) {
      return { available: false, reason: `onnxruntime-web is not installed: ${describeCause(error)}` };
    }
    try {
      await import('playwright-core');
    } catch (error) {
      return { available: false, reason: `playwright-core does not load (npm install playwright-core): ${describeCause(error)}` };
    }
    try {
      this.usesFloat16 = modelUsesFloat16(this.modelPath);
    } catch (error) {
      return { available: false, reason: `cannot read ${this.modelPath} as ONNX: ${describeCause(error)}` };
    }
    // The check holds the browser only while it runs: `parity backends` calls availability() on
    // every backend and never close(), so nothing may stay open past this point. The browser
    // lingers briefly (browser.ts) for the open() that follows in `parity run`.
    let probe: ProbeResult;
    try {
      probe = await this.openPage(dist, 'probe');
    } catch (error) {
      return { available: false, reason: `headless Chromium (${this.options.chromium.path}, ${this.options.chromium.source}) did not start a WebGPU page: ${describeCause(error)}` };
    } finally {
      await this.releasePage();
    }
    if (!probe.ok) return { available: false, reason: probe.reason };
    if (this.usesFloat16 && !probe.adapter.features.includes('shader-f16')) {
      return {
        available: false,
        reason: `adapter ${probe.adapter.vendor}/${probe.adapter.architecture} lacks shader-f16 (${basename(this.modelPath)} is float16)`,
      };
    }
    return { available: true };
  }

  /**
   * Takes a lease on the shared browser, opens a page on the loopback server with the WebGPU
   * instrumentation installed, loads the harness and reads the adapter. A 'session' page also
   * records its console, errors and the ORT files it fetched for environment().
   */
  private async openPage(dist: string, purpose: 'probe' | 'session'): Promise<ProbeResult> {
    const t0 = performance.now();
    const missing = chromiumMissingReason(this.options.chromium);
    if (missing) throw new BackendError(this.name, missing);
    this.lease = await acquireBrowser(this.options.chromium.path!, dist);
    const t1 = performance.now();
    if (purpose === 'session' || this.timings.browserLaunchMs === undefined) {
      this.timings.browserLaunchMs = round(this.lease.browser.launchMs);
      this.timings.browserLaunchedByThisBackend = this.lease.launched || this.timings.browserLaunchedByThisBackend === true;
      this.timings.browserWaitMs = round(t1 - t0);
    }
    const page = await this.lease.browser.context.newPage();
    this.page = page;
    this.dispatchesSeen = 0;
    if (purpose === 'session') {
      page.on('console', (msg) => {
        const type = msg.type();
        if (type !== 'error' && type !== 'warning') return;
        this.messageCount++;
        if (type === 'error' && /WebGPU validation error/i.test(msg.text())) this.validationErrors++;
        if (this.messages.length < MAX_MESSAGES) this.messages.push(`${type}: ${stripAnsi(msg.text()).slice(0, 500)}`);
      });
      page.on('pageerror', (error) => {
        if (this.pageErrors.length < MAX_MESSAGES) this.pageErrors.push(describeCause(error).slice(0, 500));
      });
      page.on('requestfinished', (request) => {
        const url = new URL(request.url());
        if (url.pathname.startsWith('/ort/')) this.ortFilesLoaded.push(url.pathname.slice('/ort/'.length));
      });
      await page.addInitScript(INSTRUMENT_SCRIPT);
    }
    await page.goto(`${this.lease.browser.server.origin}/`);
    await page.evaluate(async () => {
      // Runs in the page; the module's exports become the global the other callbacks use.
      (globalThis as unknown as HarnessGlobal).__parityHarness = (await import('/parity/harness.mjs' as string)) as Harness;
    });
    this.probeResult = (await page.evaluate(() => (globalThis as unknown as HarnessGlobal).__parityHarness.probe())) as ProbeResult;
    this.timings[purpose === 'probe' ? 'probeMs' : 'pageAndAdapterMs'] = round(performance.now() - t1);
    return this.probeResult;
  }

  private async releasePage(): Promise<void> {
    const page = this.page;
    this.page = null;
    if (page) await page.close().catch(() => undefined);
    this.lease?.release();
    this.lease = null;
  }

  protected async load(context: BackendContext): Promise<void> {
    const dist = ortWebPackage().dist;
    if (this.page) await this.releasePage();
    let probe: ProbeResult;
    try {
      probe = await this.openPage(dist, 'session');
    } catch (error) {
      throw new BackendError(this.name, `headless Chromium did not start a WebGPU page: ${describeCause(error)}`, { cause: error });
    }
    if (!probe.ok) throw new BackendError(this.name, probe.reason);
    const page = this.page!;
    const origin = this.lease!.browser.server.origin;
    const modelUrl = this.lease!.browser.server.registerDir(dirname(this.modelPath)) + encodeURIComponent(basename(this.modelPath));
    const args = {
      bundleUrl: `${origin}/ort/${BUNDLES[this.options.bundle].file}`,
      wasmPrefix: `${origin}/ort/`,
      modelUrl,
      subgroups: this.options.subgroups,
      numThreads: 1,
      logLevel: 'warning',
      graphOptimizationLevel: this.options.graphOptimizationLevel,
    };
    const t0 = performance.now();
    try {
      this.init = (await page.evaluate((a) => (globalThis as unknown as HarnessGlobal).__parityHarness.init(a), args)) as InitResult;
    } catch (error) {
      throw new BackendError(
        this.name,
        `cannot create an onnxruntime-web WebGPU session (${this.options.bundle} bundle) for ${displayPath(this.modelPath)}: ${pageMessage(error)}${this.consoleHint()}`,
        { cause: error },
      );
    }
    this.timings.sessionCreateMs = round(performance.now() - t0);
    this.modelHash = sha256File(this.modelPath);
    const meta = this.init.outputMetadata ?? [];
    const outputs = this.init.outputNames.map((name) => ({ name, shape: meta.find((m) => m.name === name)?.shape ?? null }));
    const hidden = typeof context.model.config.hidden_size === 'number' ? context.model.config.hidden_size : null;
    this.output = chooseModelOutput(this.name, outputs, hidden, this.outputChoice);
  }

  protected async forward(batch: PaddedBatch): Promise<HiddenState> {
    const page = this.page;
    const output = this.output;
    if (!page || !this.init || !output) throw new BackendError(this.name, 'forward() before the session was created');
    // Plain numbers cross into the page; it rebuilds the int64 tensors there (every feed is [batch, seq]).
    const feeds = modelFeeds(this.name, this.init.inputNames, batch, (data) => Array.from(data, Number));
    const t0 = performance.now();
    let reply: RunReply;
    try {
      reply = (await page.evaluate(
        async ([f, d, o]) => {
          const h = (globalThis as unknown as HarnessGlobal).__parityHarness;
          const r = await h.run(f, d, o);
          r.stats = h.gpuStats();
          return r;
        },
        [feeds, [batch.batch, batch.seq], output.name] as const,
      )) as unknown as RunReply;
    } catch (error) {
      throw new BackendError(this.name, `session.run failed on a batch of ${batch.batch}×${batch.seq}: ${pageMessage(error)}${this.consoleHint()}`, {
        cause: error,
      });
    }
    if (this.batches === 0) this.timings.firstRunMs = round(performance.now() - t0);
    this.batches++;
    this.gpuRunMs += reply.ms;
    this.stats = reply.stats;
    this.lastOutputType = reply.type;
    this.dispatchesSeen = newDispatches(this.name, this.stats, this.dispatchesSeen, batch);
    this.checkDevice();
    const tokens = checkOutputDims(this.name, output, reply.dims);
    if (reply.type !== 'float32' && reply.type !== 'float16') {
      throw new BackendError(this.name, `output "${output.name}" has type ${reply.type}; expected float32 or float16`);
    }
    const bytes = Buffer.from(reply.base64, 'base64');
    const elements = reply.dims.reduce((a, b) => a * b, 1);
    const width = reply.type === 'float16' ? 2 : 4;
    if (bytes.byteLength !== elements * width) {
      throw new BackendError(this.name, `output "${output.name}" has ${bytes.byteLength} bytes for dims [${reply.dims}] of ${reply.type}`);
    }
    const aligned = new Uint8Array(bytes).buffer; // a fresh, aligned copy
    const data = reply.type === 'float16' ? fromFloat16Bits(new Uint16Array(aligned)) : new Float32Array(aligned);
    return tokens ? { data, seq: reply.dims[1], dim: reply.dims[2] } : { data, seq: 1, dim: reply.dims[1], pooled: true };
  }

  /** With subgroups: false, every dispatch must have run on the harness's device without `subgroups`. */
  private checkDevice(): void {
    if (this.options.subgroups || !this.stats) return;
    const wrong = this.dispatchDevices().filter((d) => d.features.includes('subgroups'));
    if (wrong.length) {
      throw new BackendError(
        this.name,
        `"subgroups": false, but kernels ran on device(s) ${wrong.map((d) => `#${d.id} (created by ${d.requestedBy})`).join(', ')} with the "subgroups" feature ` +
          '(onnxruntime-web ignored the GPUDevice passed in executionProviders, or another requested feature implied "subgroups")',
      );
    }
  }

  /** Devices that kernels were dispatched on (optionally only kernels matching `label`). */
  private dispatchDevices(label?: RegExp): GpuStats['devices'] {
    const stats = this.stats;
    if (!stats) return [];
    const ids = new Set<number>();
    for (const [name, k] of Object.entries(stats.kernels)) {
      if (k.dispatches > 0 && (!label || label.test(name))) k.devices.forEach((id) => ids.add(id));
    }
    return stats.devices.filter((d) => ids.has(d.id));
  }

  private consoleHint(): string {
    const lines = [...this.pageErrors, ...this.messages];
    return lines.length ? ` (page console: ${lines.slice(0, 3).join(' | ')})` : '';
  }

  /** Which FlashAttention kernels ran, how often, on which device, and which variant of the shader. */
  private flashAttention(): Record<string, unknown> {
    const stats = this.stats;
    const adapter = this.probeResult?.ok ? this.probeResult.adapter : null;
    if (!stats) return { ran: false };
    const FLASH = /flashattention/i;
    const dispatches: Record<string, number> = {};
    let subgroupDispatches = 0;
    for (const [name, k] of Object.entries(stats.kernels)) {
      if (!FLASH.test(name) || k.dispatches === 0) continue;
      dispatches[name] = k.dispatches;
      subgroupDispatches += k.subgroupDispatches;
    }
    const ran = Object.keys(dispatches).length > 0;
    if (!ran) return { ran, dispatches };
    const deviceHasSubgroups = this.dispatchDevices(FLASH).some((d) => d.features.includes('subgroups'));
    return {
      ran,
      dispatches,
      deviceHasSubgroups,
      subgroupDispatches,
      variant: subgroupDispatches > 0 ? 'subgroups (WGSL calls subgroup builtins)' : 'shared memory (no subgroup builtins in the WGSL)',
      subgroupMinSize: adapter?.subgroupMinSize ?? null,
      subgroupMaxSize: adapter?.subgroupMaxSize ?? null,
    };
  }

  environment(): Record<string, unknown> {
    let ortVersion = 'unknown';
    let dist = '';
    try {
      const pkg = ortWebPackage();
      ortVersion = pkg.version;
      dist = pkg.dist;
    } catch {
      /* reported as unknown */
    }
    const bundle = BUNDLES[this.options.bundle];
    const bundlePath = dist ? join(dist, bundle.file) : '';
    const browser = this.lease?.browser;
    const adapter = this.probeResult?.ok ? this.probeResult.adapter : null;
    const stats = this.stats;
    return {
      runtime: 'webgpu-browser',
      executionProvider: 'webgpu',
      onnxruntimeWeb: this.init?.versions.web ?? ortVersion,
      bundle: {
        name: this.options.bundle,
        import: bundle.importName,
        file: bundlePath ? displayPath(bundlePath) : bundle.file,
        sha256: bundlePath && existsSync(bundlePath) ? sha256File(bundlePath) : null,
      },
      ortFilesLoaded: [...new Set(this.ortFilesLoaded)],
      numThreads: this.init?.numThreads ?? null,
      graphOptimizationLevel: this.init?.graphOptimizationLevel ?? this.options.graphOptimizationLevel,
      browser: {
        executablePath: this.options.chromium.path,
        executablePathSource: this.options.chromium.source,
        version: browser?.version ?? null,
        playwrightCore: browser?.playwrightVersion ?? null,
        headless: true,
        args: CHROMIUM_ARGS,
        crossOriginIsolated: this.probeResult?.ok ? this.probeResult.crossOriginIsolated : null,
        blockedRequests: browser?.blocked ?? [],
      },
      adapter,
      subgroupsRequested: this.options.subgroups,
      device: this.options.subgroups
        ? 'default (created by onnxruntime-web)'
        : 'created by the page without "subgroups", passed as executionProviders[0].device',
      devices: stats?.devices ?? [],
      kernels: Object.fromEntries(Object.entries(stats?.kernels ?? {}).map(([name, k]) => [name, k.dispatches])),
      kernelDetails: stats?.kernels ?? {},
      flashAttention: this.flashAttention(),
      model: displayPath(this.modelPath),
      modelSha256: this.modelHash,
      modelUsesFloat16: this.usesFloat16,
      output: this.output?.name ?? '',
      outputType: this.lastOutputType,
      timings: { ...this.timings, batches: this.batches, gpuRunMs: round(this.gpuRunMs) },
      console: { count: this.messageCount, webgpuValidationErrors: this.validationErrors, first: [...this.messages] },
      pageErrors: [...this.pageErrors],
    };
  }

  override async close(): Promise<void> {
    const page = this.page;
    if (page && this.init) await page.evaluate(() => (globalThis as unknown as HarnessGlobal).__parityHarness.release()).catch(() => undefined);
    this.init = null;
    await this.releasePage();
    await super.close();
  }
}

/** The harness module inside the page (page-code.ts), as the page.evaluate callbacks see it. */
interface Harness {
  probe(): Promise<unknown>;
  init(a: unknown): Promise<unknown>;
  run(f: unknown, d: unknown, o: unknown): Promise<Record<string, unknown>>;
  gpuStats(): unknown;
  release(): Promise<void>;
}
type HarnessGlobal = { __parityHarness: Harness };

function pageMessage(error: unknown): string {
  // Playwright prefixes "page.evaluate: " and may append a call log; keep the page's own message.
  return describeCause(error).replace(/^page\.evaluate:\s*/, '').split('\nCall log:')[0].trim();
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export const createWebGpuBackend: BackendFactory = (spec) => new WebGpuBackend(spec);

function stripAnsi(text: string): string {
  // ORT-web colours its log lines; reports want plain text.
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
