/**
 * safetensors: 8-byte little-endian header length, a JSON header
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then raw little-endian data.
 * Float tensors (F32, F64, F16, BF16) are read as float32. Integer tensors are buffers, not weights
 * (transformers saves BertEmbeddings' `position_ids`, an I64 arange, in checkpoints such as
 * sentence-transformers/all-MiniLM-L6-v2): they are skipped, since a forward pass recomputes them.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { fromFloat16Bits } from '../numeric/float16.js';

export interface SafeTensor {
  shape: number[];
  data: Float32Array;
}

const DTYPE_BYTES: Record<string, number> = { F16: 2, BF16: 2, F32: 4, F64: 8 };
const INTEGER_DTYPES = new Set(['BOOL', 'U8', 'I8', 'U16', 'I16', 'U32', 'I32', 'U64', 'I64']);

/** Serializes tensors as F32 in name order; the header is padded with spaces to 8 bytes like the Python library. */
export function encodeSafetensors(tensors: Map<string, SafeTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const bytes = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors.get(name)!;
    for (let i = 0; i < t.data.length; i++, pos += 4) out.writeFloatLE(t.data[i], pos);
  }
  return out;
}

/** Reads every float tensor as Float32Array (F16, BF16 and F64 are converted); integer buffers are skipped. */
export function readSafetensors(path: string): Map<string, SafeTensor> {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (error) {
    throw new InputError(`cannot read weights ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`, { cause: error });
  }
  if (buf.length < 8) throw new InputError(`${path} is not a safetensors file (shorter than its 8-byte header length)`);
  const headerLength = Number(buf.readBigUInt64LE(0));
  if (headerLength > buf.length - 8) throw new InputError(`${path} is not a safetensors file (header length ${headerLength} past end of file)`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + headerLength).toString('utf8'));
  } catch (error) {
    throw new InputError(`${path}: safetensors header is not JSON`, { cause: error });
  }
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, SafeTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__' || INTEGER_DTYPES.has(entry.dtype)) continue;
    const size = DTYPE_BYTES[entry.dtype];
    if (!size) throw new InputError(`${path}: tensor ${name} has dtype ${entry.dtype}; only F16, BF16, F32, F64 (and integer buffers, skipped) are supported`);
    const [begin, end] = entry.data_offsets;
    const count = (end - begin) / size;
    const expected = entry.shape.reduce((a, b) => a * b, 1);
    if (count !== expected) throw new InputError(`${path}: tensor ${name} has ${count} values for shape [${entry.shape}]`);
    // Copy into an aligned buffer: offsets inside the file need not be aligned for typed arrays.
    const bytes = new Uint8Array(buf.subarray(dataStart + begin, dataStart + end));
    let data: Float32Array;
    if (entry.dtype === 'F32') data = new Float32Array(bytes.buffer, bytes.byteOffset, count);
    else if (entry.dtype === 'F64') data = Float32Array.from(new Float64Array(bytes.buffer, bytes.byteOffset, count));
    else if (entry.dtype === 'BF16') data = fromBfloat16Bits(new Uint16Array(bytes.buffer, bytes.byteOffset, count));
    else data = fromFloat16Bits(new Uint16Array(bytes.buffer, bytes.byteOffset, count));
    tensors.set(name, { shape: entry.shape, data });
  }
  return tensors;
}

/** bfloat16 is the top half of a float32: shifting the bits up is exact. */
function fromBfloat16Bits(bits: Uint16Array): Float32Array {
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = bits[i] << 16;
  return new Float32Array(out.buffer);
}
