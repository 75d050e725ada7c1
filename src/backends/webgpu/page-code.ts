/**
 * JavaScript that runs inside the Chromium page, kept as source strings because it executes in the
 * browser, not in Node (and the WebGPU types are not part of this project's TypeScript libs).
 *
 * INSTRUMENT_SCRIPT is installed with addInitScript, so it runs before any page script and before
 * onnxruntime-web loads. It proves which kernels actually ran:
 *   - GPUAdapter.requestDevice is wrapped to number every device and record its features
 *     (whether ORT created it, or the harness did without `subgroups`);
 *   - GPUDevice.createShaderModule is wrapped to read each module's label (the native EP's
 *     program name, e.g. "FlashAttention") and whether its WGSL calls subgroup builtins;
 *   - GPUDevice.createComputePipeline(Async) are wrapped to map each pipeline to its kernel name
 *     (pipeline label as JSEP sets it, else its module's label) and to its device;
 *   - GPUComputePassEncoder.setPipeline/dispatchWorkgroups(Indirect) are wrapped to count the
 *     dispatches per kernel, and how many of them ran a shader that uses subgroups.
 *
 * HARNESS_MODULE is an ES module served from the loopback server; the runner drives it with
 * page.evaluate: probe() reads the adapter, init() loads the ORT bundle and creates the session
 * (with the backend's graphOptimizationLevel, echoed back for the environment),
 * run() runs one padded batch (plain int arrays in, the output's raw bytes back as base64).
 */

export const INSTRUMENT_SCRIPT = String.raw`(() => {
  if (globalThis.__parityGpu || typeof GPUDevice === 'undefined') return;
  // kernels[label] = { pipelines, dispatches, devices: [device ids], subgroupShaders, subgroupDispatches }
  const stats = { devices: [], kernels: {} };
  globalThis.__parityGpu = stats;
  const deviceIds = new WeakMap();
  const moduleInfo = new WeakMap();
  const pipelineInfo = new WeakMap();
  const passPipeline = new WeakMap();
  const deviceId = (device) => {
    let id = deviceIds.get(device);
    if (id === undefined) {
      id = stats.devices.length;
      deviceIds.set(device, id);
      stats.devices.push({ id, requestedBy: 'unknown', features: [...device.features].sort() });
    }
    return id;
  };
  const kernel = (label) => (stats.kernels[label] ??= { pipelines: 0, dispatches: 0, devices: [], subgroupShaders: 0, subgroupDispatches: 0 });
  const A = GPUAdapter.prototype;
  const requestDevice = A.requestDevice;
  A.requestDevice = async function (descriptor) {
    const device = await requestDevice.call(this, descriptor);
    const id = deviceId(device);
    stats.devices[id].requestedBy = globalThis.__parityHarnessRequesting ? 'harness' : 'onnxruntime-web';
    stats.devices[id].requiredFeatures = [...(descriptor?.requiredFeatures ?? [])].sort();
    return device;
  };
  const D = GPUDevice.prototype;
  // ONNX Runtime's native WebGPU EP labels the shader module with the program name (the pipeline
  // only in debug builds); JSEP labels the pipeline. The WGSL source says which variant it is:
  // it calls subgroupShuffle/subgroupAdd/... (with the feature on, the native EP adds
  // "enable subgroups;" and the subgroup builtins to every shader, so those prove nothing).
  const createShaderModule = D.createShaderModule;
  D.createShaderModule = function (descriptor) {
    const module = createShaderModule.call(this, descriptor);
    const code = String(descriptor?.code ?? '');
    moduleInfo.set(module, { label: descriptor?.label || '', subgroups: /\bsubgroup[A-Z]\w*\s*\(/.test(code) });
    return module;
  };
  const remember = (device, descriptor, pipeline) => {
    const mod = moduleInfo.get(descriptor?.compute?.module) ?? { label: '', subgroups: false };
    const label = descriptor?.label || mod.label || pipeline.label || '(unlabelled)';
    const dev = deviceId(device);
    pipelineInfo.set(pipeline, { label, dev, subgroups: mod.subgroups });
    const k = kernel(label);
    k.pipelines++;
    if (mod.subgroups) k.subgroupShaders++;
    if (!k.devices.includes(dev)) k.devices.push(dev);
    return pipeline;
  };
  const createComputePipeline = D.createComputePipeline;
  D.createComputePipeline = function (descriptor) {
    return remember(this, descriptor, createComputePipeline.call(this, descriptor));
  };
  const createComputePipelineAsync = D.createComputePipelineAsync;
  D.createComputePipelineAsync = async function (descriptor) {
    return remember(this, descriptor, await createComputePipelineAsync.call(this, descriptor));
  };
  const E = GPUComputePassEncoder.prototype;
  const setPipeline = E.setPipeline;
  E.setPipeline = function (pipeline) {
    passPipeline.set(this, pipelineInfo.get(pipeline) ?? { label: pipeline?.label || '(created before instrumentation)', dev: -1, subgroups: false });
    return setPipeline.call(this, pipeline);
  };
  const count = (pass) => {
    const info = passPipeline.get(pass) ?? { label: '(no pipeline set)', dev: -1, subgroups: false };
    const k = kernel(info.label);
    k.dispatches++;
    if (info.subgroups) k.subgroupDispatches++;
  };
  const dispatchWorkgroups = E.dispatchWorkgroups;
  E.dispatchWorkgroups = function (...args) {
    count(this);
    return dispatchWorkgroups.apply(this, args);
  };
  const dispatchWorkgroupsIndirect = E.dispatchWorkgroupsIndirect;
  E.dispatchWorkgroupsIndirect = function (...args) {
    count(this);
    return dispatchWorkgroupsIndirect.apply(this, args);
  };
})();`;

export const HARNESS_MODULE = String.raw`
let ort = null;
let session = null;
let adapter = null;

const KEY_LIMITS = [
  'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY', 'maxComputeWorkgroupSizeZ', 'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage',
];

function limitsObject(limits) {
  const out = {};
  for (const key in limits) {
    const v = limits[key];
    if (typeof v === 'number') out[key] = v;
  }
  return out;
}

function message(e) {
  return e && e.message ? e.message : String(e);
}

export async function probe() {
  if (!globalThis.isSecureContext) return { ok: false, reason: 'the page is not a secure context (WebGPU needs one)' };
  if (!navigator.gpu) return { ok: false, reason: 'navigator.gpu is undefined (WebGPU is not exposed in this browser)' };
  try {
    adapter = await navigator.gpu.requestAdapter();
  } catch (e) {
    return { ok: false, reason: 'navigator.gpu.requestAdapter() threw: ' + message(e) };
  }
  if (!adapter) return { ok: false, reason: 'navigator.gpu.requestAdapter() returned null' };
  const info = adapter.info ?? {};
  const limits = limitsObject(adapter.limits);
  const keyLimits = {};
  for (const k of KEY_LIMITS) if (k in limits) keyLimits[k] = limits[k];
  return {
    ok: true,
    adapter: {
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      device: info.device ?? '',
      description: info.description ?? '',
      isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? null,
      subgroupMinSize: info.subgroupMinSize ?? null,
      subgroupMaxSize: info.subgroupMaxSize ?? null,
      features: [...adapter.features].sort(),
      keyLimits,
    },
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    userAgent: navigator.userAgent,
  };
}

export async function init({ bundleUrl, wasmPrefix, modelUrl, subgroups, numThreads, logLevel, graphOptimizationLevel }) {
  if (!adapter) {
    const p = await probe();
    if (!p.ok) throw new Error(p.reason);
  }
  ort = await import(bundleUrl);
  ort.env.wasm.wasmPaths = wasmPrefix;
  ort.env.wasm.numThreads = numThreads;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = logLevel;
  let ep = 'webgpu';
  let ownDevice = null;
  if (!subgroups) {
    // 'subgroup-size-control' (and any other subgroup feature) implicitly enables 'subgroups'.
    const requiredFeatures = [...adapter.features].filter((f) => !/^(chromium-experimental-)?subgroup/.test(f));
    globalThis.__parityHarnessRequesting = true;
    try {
      ownDevice = await adapter.requestDevice({ requiredFeatures, requiredLimits: limitsObject(adapter.limits) });
    } finally {
      globalThis.__parityHarnessRequesting = false;
    }
    ownDevice.addEventListener?.('uncapturederror', (ev) => console.error('WebGPU uncaptured error: ' + message(ev.error)));
    ep = { name: 'webgpu', device: ownDevice };
  }
  const sessionOptions = { executionProviders: [ep], graphOptimizationLevel };
  session = await ort.InferenceSession.create(modelUrl, sessionOptions);
  return {
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
    outputMetadata: (session.outputMetadata ?? []).map((m) => ({ name: m.name, isTensor: m.isTensor, shape: m.isTensor ? [...m.shape] : null })),
    versions: { ...(ort.env.versions ?? {}) },
    ownDevice: ownDevice ? { features: [...ownDevice.features].sort() } : null,
    numThreads: ort.env.wasm.numThreads,
    graphOptimizationLevel: sessionOptions.graphOptimizationLevel,
  };
}

export async function run(feeds, dims, outputName) {
  const tensors = {};
  for (const [name, values] of Object.entries(feeds)) {
    tensors[name] = new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
  }
  const started = performance.now();
  const result = await session.run(tensors, [outputName]);
  const ms = performance.now() - started;
  const out = result[outputName];
  // The output's raw bytes as base64: bit-exact and ~5x smaller than a JSON array of numbers.
  // float16 comes back as Uint16Array bits (or a Float16Array over the same bits); both are sent
  // as bits and decoded in Node.
  const data = out.data;
  if (out.type !== 'float32' && out.type !== 'float16') {
    return { type: out.type, dims: out.dims.map(Number), base64: '', ms };
  }
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  const reply = { type: out.type, dims: out.dims.map(Number), base64: btoa(binary), ms };
  out.dispose?.();
  return reply;
}

export function gpuStats() {
  return JSON.parse(JSON.stringify(globalThis.__parityGpu ?? null));
}

export async function release() {
  await session?.release();
  session = null;
}
`;

export const INDEX_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>parity webgpu</title></head>
<body>parity WebGPU harness</body></html>
`;
