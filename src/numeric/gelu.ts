/**
 * The GELU forms models and runtimes compute, in float64:
 * - erf: x·Φ(x), BERT's "gelu" (PyTorch nn.GELU(), what sentence-transformers runs);
 * - tanh: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), "gelu_new" / "gelu_pytorch_tanh";
 * - ggml-cpu: what llama.cpp's CPU backend computes for ggml_gelu (ggml-cpu/vec.h
 *   ggml_vec_gelu_f32 under GGML_GELU_FP16, on by default): the input rounded to fp16, looked up in
 *   a table of tanh-GELU values that are themselves rounded to fp16 (ggml-cpu.c fills
 *   ggml_table_gelu_f16), with 0 at or below -10 and x at or above 10. The reference takes it only
 *   to measure how much of llama.cpp's difference this one op explains (README, "llama.cpp").
 */
import { erf } from './erf.js';
import { float16BitsToFloat32, float32ToFloat16Bits } from './float16.js';

export type GeluForm = 'erf' | 'tanh' | 'ggml-cpu';
export const GELU_FORMS: readonly GeluForm[] = ['erf', 'tanh', 'ggml-cpu'];

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

export function geluErf(x: number): number {
  return 0.5 * x * (1 + erf(x * Math.SQRT1_2));
}

export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * x * (1 + 0.044715 * x * x)));
}

let ggmlTable: Float64Array | null = null;

export function geluGgmlCpu(x: number): number {
  if (x <= -10) return 0;
  if (x >= 10) return x;
  if (!ggmlTable) {
    ggmlTable = new Float64Array(65536);
    for (let t = 0; t < 65536; t++) ggmlTable[t] = float16BitsToFloat32(float32ToFloat16Bits(geluTanh(float16BitsToFloat32(t))));
  }
  return ggmlTable[float32ToFloat16Bits(x)];
}

export function geluOf(form: GeluForm): (x: number) => number {
  return form === 'erf' ? geluErf : form === 'tanh' ? geluTanh : geluGgmlCpu;
}
