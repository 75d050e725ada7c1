/** Config options of the `webgpu-browser` runtime. */
import { resolve } from 'node:path';
import { InputError } from '../../errors.js';
import type { BackendSpec } from '../backend.js';
import { parseGraphOptimizationLevel, type GraphOptimizationLevel } from '../ort-io.js';
import { OUTPUT_OPTION_KEYS } from '../output-choice.js';
import { findChromium, type ChromiumChoice } from './find-chromium.js';

export const WEBGPU_OPTION_KEYS = ['model', 'bundle', 'subgroups', 'executablePath', 'graphOptimizationLevel', ...OUTPUT_OPTION_KEYS] as const;

/**
 * onnxruntime-web bundles, as the extern-wasm builds in its dist folder (each fetches its own
 * wasm + glue from env.wasm.wasmPaths, which points at the loopback server):
 *   default: `import 'onnxruntime-web'` in a browser, the JSEP WebGPU EP (TypeScript kernels);
 *   webgpu:  `import 'onnxruntime-web/webgpu'`, the native C++ WebGPU EP compiled to wasm.
 */
export const BUNDLES = {
  default: { file: 'ort.min.mjs', importName: 'onnxruntime-web' },
  webgpu: { file: 'ort.webgpu.min.mjs', importName: 'onnxruntime-web/webgpu' },
} as const;
export type BundleName = keyof typeof BUNDLES;

export interface WebGpuOptions {
  /** ONNX file relative to the model folder. */
  modelFile: string;
  bundle: BundleName;
  /** false: the page creates its own GPUDevice without the `subgroups` feature and hands it to ORT. */
  subgroups: boolean;
  /**
   * The session's graphOptimizationLevel, default 'all'. 'basic' keeps the JSEP bundle off the
   * SkipLayerNormalization fusion it cannot run for a LayerNorm without bias (ModernBERT).
   */
  graphOptimizationLevel: GraphOptimizationLevel;
  /** The browser: the option, PARITY_CHROMIUM/CHROME_PATH, or the first of the usual places (find-chromium.ts). */
  chromium: ChromiumChoice;
}

export function parseWebGpuOptions(spec: BackendSpec): WebGpuOptions {
  const o = spec.options;
  const where = `backend "${spec.name}"`;
  const modelFile = o.model ?? 'onnx/model.onnx';
  if (typeof modelFile !== 'string' || modelFile === '') throw new InputError(`${where}: "model" must be a path string`);
  const bundle = o.bundle ?? 'default';
  if (typeof bundle !== 'string' || !(bundle in BUNDLES)) {
    throw new InputError(`${where}: "bundle" must be one of ${Object.keys(BUNDLES).join(', ')}, got ${JSON.stringify(o.bundle)}`);
  }
  const subgroups = o.subgroups ?? true;
  if (typeof subgroups !== 'boolean') throw new InputError(`${where}: "subgroups" must be true or false, got ${JSON.stringify(o.subgroups)}`);
  const executablePath = o.executablePath;
  if (executablePath !== undefined && (typeof executablePath !== 'string' || executablePath === '')) {
    throw new InputError(`${where}: "executablePath" must be the path of a Chromium or Chrome binary`);
  }
  // Resolved relative to the config file like every other path in it.
  const configured = executablePath === undefined ? undefined : resolve(spec.configDir ?? process.cwd(), executablePath);
  const graphOptimizationLevel = parseGraphOptimizationLevel(spec, 'all');
  return { modelFile, bundle: bundle as BundleName, subgroups, graphOptimizationLevel, chromium: findChromium(configured) };
}
