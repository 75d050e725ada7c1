/**
 * Runs kernel.wat (WebAssembly SIMD) for ComparisonAccumulator on float32 rows. One instance per
 * thread, shared by every accumulator: `add` copies its rows in, runs, and takes its state back out
 * before returning, so nothing stays behind between calls. Null where WebAssembly SIMD is missing
 * (the JavaScript kernel in scalar-kernel.ts is used then) or when PARITY_NO_WASM is set.
 */
import { KERNEL_WASM_BASE64 } from './wasm-kernel-bytes.js';

/** Fixed addresses (bytes), as documented at the top of kernel.wat. */
export const P_ATOL = 0;
export const P_RTOL = 1;
export const P_CUT = 2;
export const P_MAX_REL = 3;
export const P_MIN_ATOL = 4;
const MISMATCHES_AT = 40;
const HIST_AT = 1024;
const STARTS_AT = 2048;
const CELLS_AT = 4096;
const CELLS_BYTES = 131072;
const FREE_AT = CELLS_AT + CELLS_BYTES;
/** Elements per block: golden and actual blocks of 64 KiB each stay in the L2 cache. */
const BLOCK_ELEMENTS = 16384;

export interface WasmLayout {
  blockRows: number;
  dimMax: number;
  out: number;
  rare: number;
  golden: number;
  actual: number;
  staging: number;
}

export class WasmKernel {
  private readonly memory: WebAssembly.Memory;
  private readonly rowsFn: (g: number, a: number, rows: number, dim: number, dimMax: number, out: number, rare: number) => number;
  /** Views, renewed when the memory grows. */
  f64!: Float64Array;
  f32!: Float32Array;
  i32!: Int32Array;
  u32!: Uint32Array;

  constructor(starts: Float64Array, cells: Uint8Array) {
    const bytes = Buffer.from(KERNEL_WASM_BASE64, 'base64');
    this.memory = new WebAssembly.Memory({ initial: 4 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: this.memory } });
    this.rowsFn = instance.exports.rows as WasmKernel['rowsFn'];
    this.views();
    this.f64.set(starts.subarray(0, 64), STARTS_AT / 8);
    new Uint8Array(this.memory.buffer).set(cells, CELLS_AT);
  }

  private views(): void {
    const b = this.memory.buffer;
    this.f64 = new Float64Array(b);
    this.f32 = new Float32Array(b);
    this.i32 = new Int32Array(b);
    this.u32 = new Uint32Array(b);
  }

  /** Float32 elements of the staging area (see `staging`); only grows. */
  private stagingElements = 0;

  /**
   * Addresses for rows of `dim` values (dim a multiple of 4), growing the memory if needed — which
   * detaches every view on the old memory, staging views included.
   */
  layout(dim: number): WasmLayout {
    const blockRows = Math.max(1, Math.floor(BLOCK_ELEMENTS / dim));
    const align = (n: number) => Math.ceil(n / 16) * 16;
    const dimMax = FREE_AT;
    const out = align(dimMax + dim * 8);
    const rare = align(out + blockRows * 40);
    const golden = align(rare + ((blockRows * dim) / 4) * 4);
    const actual = align(golden + blockRows * dim * 4);
    const staging = align(actual + blockRows * dim * 4);
    const end = staging + 2 * this.stagingElements * 4;
    if (end > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((end - this.memory.buffer.byteLength) / 65536));
      this.views();
    }
    return { blockRows, dimMax, out, rare, golden, actual, staging };
  }

  /**
   * Two float32 areas of `elements` each inside the kernel's memory (golden, actual): rows put
   * there are compared in place, without a copy. Valid until the memory grows (a larger request,
   * or a layout for a larger dim).
   */
  staging(dim: number, elements: number): { golden: Float32Array; actual: Float32Array } {
    if (elements > this.stagingElements) this.stagingElements = Math.ceil(elements / 4) * 4;
    const l = this.layout(dim);
    const at = l.staging / 4;
    return {
      golden: this.f32.subarray(at, at + elements),
      actual: this.f32.subarray(at + this.stagingElements, at + this.stagingElements + elements),
    };
  }

  /** Whether `view` lies in the kernel's (current) memory. */
  holds(view: Float32Array): boolean {
    return view.buffer === this.memory.buffer;
  }

  /** Clears the histogram counters and the mismatch count. */
  reset(): void {
    this.u32.fill(0, HIST_AT / 4, HIST_AT / 4 + 256);
    this.i32[MISMATCHES_AT / 4] = 0;
    this.i32[MISMATCHES_AT / 4 + 1] = 0;
  }

  /** Runs the kernel over `rows` rows at byte addresses `golden` and `actual`. */
  run(l: WasmLayout, golden: number, actual: number, rows: number, dim: number): number {
    return this.rowsFn(golden, actual, rows, dim, l.dimMax, l.out, l.rare);
  }

  /** Mismatches counted since `reset` (an i64 in memory; far below 2^53). */
  mismatches(): number {
    return this.u32[MISMATCHES_AT / 4] + this.u32[MISMATCHES_AT / 4 + 1] * 2 ** 32;
  }

  /** Adds the histogram counts (4 ways × 64) into `totals`. */
  addHistogram(totals: Float64Array): void {
    for (let w = 0; w < 4; w++) {
      for (let b = 0; b < totals.length; b++) totals[b] += this.u32[HIST_AT / 4 + w * 64 + b];
    }
  }
}

let kernel: WasmKernel | null | undefined;

/** The thread's kernel, built on first use; null when WebAssembly SIMD is unavailable or disabled. */
export function wasmKernel(starts: Float64Array, cells: Uint8Array): WasmKernel | null {
  if (kernel === undefined) {
    try {
      kernel = process.env.PARITY_NO_WASM ? null : new WasmKernel(starts, cells);
    } catch {
      kernel = null;
    }
  }
  return kernel;
}
