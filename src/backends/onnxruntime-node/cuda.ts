/**
 * Whether onnxruntime-node's CUDA execution provider can run here. The npm package holds only the CPU
 * library; its postinstall downloads the CUDA provider from NuGet, which this project skips so that
 * `npm ci` works offline. The reason returned says exactly what is missing and how to get it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Availability } from '../backend.js';

export const CUDA_INSTALL_HINT =
  'with internet access run `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install` ' +
  '(needs CUDA 12 and cuDNN 9 libraries on the library path)';

export function cudaProviderLibrary(ortDir: string): string {
  return join(ortDir, 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so');
}

export function nvidiaGpuPresent(): boolean {
  if (existsSync('/proc/driver/nvidia/version')) return true;
  try {
    return readdirSync('/dev').some((f) => /^nvidia\d+$/.test(f));
  } catch {
    return false;
  }
}

export function cudaAvailability(ortDir: string): Availability {
  if (process.platform !== 'linux' && process.platform !== 'win32') {
    return { available: false, reason: `onnxruntime-node has no CUDA provider on ${process.platform}` };
  }
  const gpu = nvidiaGpuPresent();
  const lib = cudaProviderLibrary(ortDir);
  const hasLib = existsSync(lib);
  if (!gpu && !hasLib) {
    return { available: false, reason: `no NVIDIA GPU (no /proc/driver/nvidia/version) and no CUDA provider library (${lib}); ${CUDA_INSTALL_HINT}` };
  }
  if (!gpu) return { available: false, reason: 'no NVIDIA GPU on this machine (no /proc/driver/nvidia/version, no /dev/nvidia*)' };
  if (!hasLib) return { available: false, reason: `CUDA provider library not installed (${lib} missing); ${CUDA_INSTALL_HINT}` };
  return { available: true };
}
