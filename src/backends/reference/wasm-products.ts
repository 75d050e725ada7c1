/**
 * The reference's matrix products on gemm.wat (WebAssembly SIMD, f64x2): the same sums in the same
 * order as the plain loops of products.ts, so bit-identical to them, and an order of magnitude
 * faster (bench/reference-bench.mjs). One instance per model: its memory holds the packed Linear
 * weights for the model's lifetime, and above them a scratch area that each call reuses.
 */
import { GEMM_WASM_BASE64 } from './gemm-wasm-bytes.js';
import type { LinearWeights, Products } from './products.js';

interface PackedWeights extends LinearWeights {
  /** Byte address of the packed panels (see gemm.wat). */
  at: number;
  /** Byte address of the bias, `cols` values. */
  bias: number;
  /** `out` rounded up to 4: the kernel's column count (the extra columns have zero weights). */
  cols: number;
}

type GemmFn = (x: number, w: number, bias: number, y: number, rows: number, k: number, n: number) => void;

const PAGE_BYTES = 65536;
/** wasm32's limit: 65536 pages of 64 KiB (4 GiB). */
const MAX_PAGES = 65536;

const roundUp4 = (n: number) => Math.ceil(n / 4) * 4;

let compiled: WebAssembly.Module | null = null;

export class WasmProducts implements Products {
  private readonly memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES });
  private readonly gemm: GemmFn;
  /** A view on the memory, renewed whenever it grows (growing detaches the old one). */
  private f64 = new Float64Array(this.memory.buffer);
  /** First free byte above the packed weights: every call's scratch starts here. */
  private top = 0;

  constructor() {
    compiled ??= new WebAssembly.Module(Buffer.from(GEMM_WASM_BASE64, 'base64'));
    const instance = new WebAssembly.Instance(compiled, { env: { memory: this.memory } });
    this.gemm = instance.exports.gemm as GemmFn;
  }

  linearWeights(w: Float64Array, b: Float64Array, out: number, inp: number): LinearWeights {
    const cols = roundUp4(out);
    const at = this.top;
    const bias = at + inp * cols * 8;
    this.reserve(bias + cols * 8);
    this.pack(w, out, inp, at);
    this.f64.fill(0, bias / 8, bias / 8 + cols);
    this.f64.set(b.subarray(0, out), bias / 8);
    this.top = bias + cols * 8;
    const weights: PackedWeights = { at, bias, cols, out, inp };
    return weights;
  }

  linear(x: Float64Array, rows: number, weights: LinearWeights): Float64Array {
    const L = weights as PackedWeights;
    return this.run(x, rows, L.inp, L.at, L.bias, L.cols, L.out, this.top);
  }

  product(a: Float64Array, rows: number, k: number, b: Float64Array, n: number): Float64Array {
    // b packed into scratch with a zero bias after it, then the usual call above them.
    const cols = roundUp4(n);
    const at = this.top;
    const bias = at + k * cols * 8;
    const free = bias + cols * 8;
    this.reserve(free);
    this.pack(b, n, k, at);
    this.f64.fill(0, bias / 8, bias / 8 + cols);
    return this.run(a, rows, k, at, bias, cols, n, free);
  }

  /** w [out, inp] into panels of 4 rows of w at byte `at`; rows past `out` are zeros. */
  private pack(w: Float64Array, out: number, inp: number, at: number): void {
    const f = this.f64;
    let p = at / 8;
    for (let o = 0; o < out; o += 4) {
      for (let i = 0; i < inp; i++) {
        for (let c = 0; c < 4; c++) f[p++] = o + c < out ? w[(o + c) * inp + i] : 0;
      }
    }
  }

  /** x [rows, k] copied in at `free` (rows padded to 4 with zeros), the kernel run, y [rows, n] copied out. */
  private run(x: Float64Array, rows: number, k: number, w: number, bias: number, cols: number, n: number, free: number): Float64Array {
    const padded = roundUp4(rows);
    const xAt = free;
    const yAt = xAt + padded * k * 8;
    this.reserve(yAt + padded * cols * 8);
    const f = this.f64;
    f.set(x.subarray(0, rows * k), xAt / 8);
    f.fill(0, xAt / 8 + rows * k, yAt / 8);
    this.gemm(xAt, w, bias, yAt, padded, k, cols);
    if (cols === n) return f.slice(yAt / 8, yAt / 8 + rows * n);
    const y = new Float64Array(rows * n);
    for (let r = 0; r < rows; r++) y.set(f.subarray(yAt / 8 + r * cols, yAt / 8 + r * cols + n), r * n);
    return y;
  }

  /** Grows the memory to hold `bytes`. */
  private reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = Math.ceil((bytes - have) / PAGE_BYTES);
    if (have / PAGE_BYTES + pages > MAX_PAGES) {
      throw new RangeError(`the float64 reference needs ${(bytes / 2 ** 30).toFixed(1)} GiB of WebAssembly memory; wasm32 allows 4 GiB`);
    }
    this.memory.grow(pages);
    this.f64 = new Float64Array(this.memory.buffer);
  }
}
