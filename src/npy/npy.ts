/**
 * numpy .npy files (format 1.0/2.0/3.0), as written by np.save and read by np.load. Embeddings are
 * 2-D little-endian floats in C order: '<f2', '<f4', '<f8'. Anything else is refused with a message
 * that says how to convert it, rather than being misread.
 */
import { readFileSync } from 'node:fs';
import type { Matrix } from '../numeric/matrix.js';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { fromFloat16Bits } from '../numeric/float16.js';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

export type NpyDtype = '<f2' | '<f4' | '<f8';

export interface NpyMatrix extends Matrix {
  /** dtype as stored in the file (f2 is widened to Float32Array in memory). */
  dtype: NpyDtype;
}

export interface NpyHeader {
  dtype: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset where the array data starts. */
  dataOffset: number;
}

/** Parses the header of an .npy file held in `buf`. */
export function parseNpyHeader(buf: Uint8Array, path: string): NpyHeader {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 10 || !b.subarray(0, 6).equals(MAGIC)) {
    throw new InputError(`${path} is not a .npy file (no \\x93NUMPY magic); save vectors with numpy.save`);
  }
  const major = b[6];
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = b.readUInt16LE(8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    headerLength = b.readUInt32LE(8);
    headerStart = 12;
  } else {
    throw new InputError(`${path}: unsupported .npy format version ${major}.${b[7]}`);
  }
  const header = b.subarray(headerStart, headerStart + headerLength).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new InputError(`${path}: malformed .npy header ${JSON.stringify(header.trim())}`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new InputError(`${path}: malformed shape (${shapeText})`);
  return { dtype: descr, fortranOrder: fortran === 'True', shape, dataOffset: headerStart + headerLength };
}

const BYTES: Record<NpyDtype, number> = { '<f2': 2, '<f4': 4, '<f8': 8 };

export function checkEmbeddingHeader(h: NpyHeader, path: string): { dtype: NpyDtype; rows: number; dim: number } {
  if (!(h.dtype in BYTES)) {
    throw new InputError(
      `${path}: dtype '${h.dtype}' is not supported; parity reads little-endian floats '<f2', '<f4', '<f8' ` +
        `(convert with arr.astype('<f4') before np.save)`,
    );
  }
  if (h.fortranOrder) {
    throw new InputError(`${path}: array is in Fortran order; save a C-order array (np.ascontiguousarray(arr))`);
  }
  if (h.shape.length !== 2) {
    throw new InputError(`${path}: expected a 2-D array [texts, dims], got shape (${h.shape.join(', ')})`);
  }
  return { dtype: h.dtype as NpyDtype, rows: h.shape[0], dim: h.shape[1] };
}

export function readNpy(path: string): NpyMatrix {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (error) {
    throw new InputError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`, { cause: error });
  }
  return decodeNpy(buf, path);
}

export function decodeNpy(buf: Uint8Array, path = '<buffer>'): NpyMatrix {
  const header = parseNpyHeader(buf, path);
  const { dtype, rows, dim } = checkEmbeddingHeader(header, path);
  const count = rows * dim;
  const byteLength = count * BYTES[dtype];
  if (buf.byteLength - header.dataOffset < byteLength) {
    throw new InputError(`${path}: file is truncated (${buf.byteLength - header.dataOffset} data bytes, shape needs ${byteLength})`);
  }
  // Copy: the data offset need not be aligned for a typed-array view.
  const bytes = buf.slice(header.dataOffset, header.dataOffset + byteLength);
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + byteLength);
  let data: Float32Array | Float64Array;
  if (dtype === '<f4') data = new Float32Array(ab);
  else if (dtype === '<f8') data = new Float64Array(ab);
  else data = fromFloat16Bits(new Uint16Array(ab));
  return { rows, dim, data, dtype };
}

/** Encodes a matrix as .npy 1.0 ('<f4' for Float32Array, '<f8' for Float64Array), header padded to 64 bytes. */
export function encodeNpy(m: Matrix): Uint8Array {
  const dtype = m.data instanceof Float64Array ? '<f8' : '<f4';
  return Buffer.concat([npyHeaderBytes(dtype, [m.rows, m.dim]), Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength)]);
}

export function npyHeaderBytes(dtype: NpyDtype, shape: number[]): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // numpy pads with spaces so that magic + length + header (ending in \n) is a multiple of 64.
  const total = 10 + dict.length + 1;
  dict += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = Buffer.alloc(10 + dict.length);
  MAGIC.copy(out, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(dict.length, 8);
  out.write(dict, 10, 'latin1');
  return out;
}

export function writeNpy(path: string, m: Matrix): void {
  writeFileAtomic(path, encodeNpy(m));
}
