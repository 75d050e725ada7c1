/**
 * The reference's weights in float64, once, in one SharedArrayBuffer that every worker thread reads:
 * a thread's BertFloat64 takes float64 tensors as they are (no copy), so the embedding tables and
 * LayerNorms exist once per process, and only what a thread must own (its WebAssembly memory with the
 * packed Linear weights, wasm-products.ts) is per thread. Converting float32 to float64 is exact, so
 * a thread computes with the same values as BertFloat64 built from readSafetensors' tensors.
 */
import type { SafeTensor } from '../../model/safetensors.js';
import type { BertWeight } from './bert-f64.js';

/** What crosses to a worker (structured clone shares the SharedArrayBuffer, it does not copy it). */
export interface SharedWeights {
  buffer: SharedArrayBuffer;
  /** Each tensor's shape and where its values start in `buffer`, in float64 elements. */
  tensors: { name: string; shape: number[]; offset: number; length: number }[];
}

export function shareWeights(tensors: ReadonlyMap<string, SafeTensor>): SharedWeights {
  const index: SharedWeights['tensors'] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    index.push({ name, shape: [...t.shape], offset, length: t.data.length });
    offset += t.data.length;
  }
  const buffer = new SharedArrayBuffer(offset * 8);
  const all = new Float64Array(buffer);
  for (const entry of index) all.set(tensors.get(entry.name)!.data, entry.offset);
  return { buffer, tensors: index };
}

/** Float64 views on the shared buffer, in the shape BertFloat64 takes. */
export function sharedWeightViews(shared: SharedWeights): Map<string, BertWeight> {
  return new Map(shared.tensors.map((t) => [t.name, { shape: t.shape, data: new Float64Array(shared.buffer, t.offset * 8, t.length) }]));
}
